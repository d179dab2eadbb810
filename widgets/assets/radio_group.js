// One radio group: native radio inputs sharing a name, so the group is one Tab stop and the arrow keys move
// the choice, as in any web form. JupyterLab's notebook takes the arrow keys in command mode (they move
// between cells); `data-lm-suppress-shortcuts` tells JupyterLab's keyboard shortcuts to leave this subtree
// alone, and stopping the keydown here keeps the notebook's own handlers out too.
let groups = 0;

function render({ model, el }) {
  const name = `ftlab-radio-${++groups}`;
  const group = document.createElement("div");
  group.setAttribute("role", "radiogroup");
  group.setAttribute("data-lm-suppress-shortcuts", "true");
  group.className = "ftlab-radiogroup";
  el.appendChild(group);

  function draw() {
    group.setAttribute("aria-label", model.get("label") || "Options");
    group.setAttribute("aria-disabled", model.get("disabled") ? "true" : "false");
    const labels = model.get("labels");
    const index = model.get("index");
    group.textContent = "";
    labels.forEach((text, k) => {
      const label = document.createElement("label");
      label.className = "ftlab-radio";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = name;
      input.value = String(k);
      input.checked = k === index;
      input.disabled = model.get("disabled");
      const span = document.createElement("span");
      span.textContent = text; // plain text: option labels never carry markup
      label.append(input, span);
      group.appendChild(label);
    });
  }

  group.addEventListener("change", (event) => {
    if (event.target.name !== name) return;
    model.set("index", Number(event.target.value));
    model.save_changes();
  });
  group.addEventListener("keydown", (event) => {
    if (event.key.startsWith("Arrow") || event.key === " ") event.stopPropagation();
    if (event.key === "Enter" && !model.get("disabled")) {
      event.preventDefault();
      event.stopPropagation();
      model.send({ event: "enter" });
    }
  });
  model.on("msg:custom", (msg) => {
    if (msg && msg.do === "focus") {
      const inputs = Array.from(group.querySelectorAll("input"));
      const target = inputs.find((i) => i.checked) || inputs[0];
      if (target) target.focus();
    }
  });
  model.on("change:labels", draw);
  model.on("change:index", draw);
  model.on("change:disabled", draw);
  model.on("change:label", draw);
  draw();
}

export default { render };
