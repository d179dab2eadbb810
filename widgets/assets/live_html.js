// HTML in a region that stays in the page while its content changes, so screen readers announce each new
// message (role="status" / aria-live). The HTML comes from the package's own renderer, which escapes content
// and learner text.
function render({ model, el }) {
  const region = document.createElement("div");
  region.className = "ftlab-live";
  const role = model.get("role");
  if (role) region.setAttribute("role", role);
  region.setAttribute("aria-live", model.get("live"));
  region.setAttribute("aria-atomic", "true");
  region.tabIndex = -1; // focusable from code, not a Tab stop
  el.appendChild(region);
  const draw = () => { region.innerHTML = model.get("value"); };
  model.on("change:value", draw);
  model.on("msg:custom", (msg) => { if (msg && msg.do === "focus") region.focus(); });
  draw();
}

export default { render };
