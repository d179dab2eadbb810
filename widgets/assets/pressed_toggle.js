// A toggle button that says its state to assistive technology (aria-pressed), not only by colour and icon.
// It keeps ipywidgets' ToggleButton classes, so it looks and is found like one.
function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "jupyter-widgets jupyter-button widget-toggle-button ftlab-toggle";
  button.setAttribute("data-lm-suppress-shortcuts", "true");
  el.appendChild(button);

  function draw() {
    const on = model.get("value");
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.classList.toggle("mod-active", on);
    for (const style of ["primary", "success", "info", "warning", "danger"]) {
      button.classList.toggle(`ftlab-${style}`, model.get("button_style") === style);
    }
    button.disabled = model.get("disabled");
    button.title = model.get("tooltip") || model.get("description");
    button.textContent = "";
    const icon = model.get("icon");
    if (icon) {
      const i = document.createElement("i");
      i.className = `fa fa-${icon}`;
      i.setAttribute("aria-hidden", "true");
      button.append(i, " ");
    }
    button.append(model.get("description"));
  }

  button.addEventListener("click", () => {
    model.set("value", !model.get("value"));
    model.save_changes();
  });
  button.addEventListener("keydown", (event) => {
    if (event.key === " " || event.key === "Enter") event.stopPropagation();
  });
  model.on("msg:custom", (msg) => { if (msg && msg.do === "focus") button.focus(); });
  for (const name of ["value", "description", "tooltip", "icon", "button_style", "disabled"]) {
    model.on(`change:${name}`, draw);
  }
  draw();
}

export default { render };
