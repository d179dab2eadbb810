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

  // Rebuild the options only when the labels change; a new choice or a disabled state updates the inputs in
  // place, so the focused radio keeps the focus (a rebuilt one would drop it to the page).
  function build() {
    const hadFocus = group.contains(document.activeElement);
    group.textContent = "";
    model.get("labels").forEach((text, k) => {
      const label = document.createElement("label");
      label.className = "ftlab-radio";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = name;
      input.value = String(k);
      const span = document.createElement("span");
      span.textContent = text; // plain text: option labels never carry markup
      label.append(input, span);
      group.appendChild(label);
    });
    update();
    if (hadFocus) focusChoice();
  }

  function update() {
    group.setAttribute("aria-label", model.get("label") || "Options");
    group.setAttribute("aria-disabled", model.get("disabled") ? "true" : "false");
    const index = model.get("index");
    for (const input of group.querySelectorAll("input")) {
      input.checked = Number(input.value) === index;
      input.disabled = model.get("disabled");
    }
  }

  function focusChoice() {
    const inputs = Array.from(group.querySelectorAll("input"));
    const target = inputs.find((i) => i.checked) || inputs[0];
    if (target) target.focus();
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
      // the choice travels with the message: a state update may still wait in ipywidgets' send queue
      model.send({ event: "enter", index: model.get("index") });
    }
  });
  model.on("msg:custom", (msg) => {
    if (msg && msg.do === "focus") focusChoice();
  });
  model.on("change:labels", build);
  model.on("change:index", update);
  model.on("change:disabled", update);
  model.on("change:label", update);
  build();
}

export default { render };
