"""Drive one JupyterLab page: open a notebook, run it, wait for the kernel, read errors, take screenshots.

JupyterLab runs with ``expose_app_in_browser``, so ``window.jupyterapp`` is the application: the page runs
JupyterLab's own commands (``notebook:run-all-cells`` is what Run -> Run All Cells calls) and reads the
notebook's model, which is exact, rather than scraping text. Widgets are clicked like a person clicks them.
"""

import itertools
import json
import os
import re
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

# Without the background-networking flags Chromium keeps calling home, which floods a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium():
    """The Chromium to drive: ``$FTLAB_CHROMIUM`` if set, else the first one on the PATH (None if none)."""
    explicit = os.environ.get("FTLAB_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def missing(reason):
    """Skip on a laptop; fail under CI, where a skipped browser suite would pass without testing anything."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run in CI)", pytrace=False)
    pytest.skip(reason)


# Text that ipywidgets and JupyterLab put in an output when a widget or an output cannot be shown.
RENDER_FAILURES = (
    "Error displaying widget",
    "Error rendering output",
    "Javascript Error",
    "Failed to load model class",
    "Could not create a view",
)

_workspace_ids = itertools.count()

# The open notebook's state, read from its model: what ran, what failed, and whether the kernel is busy.
_NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  const model = panel.content.model;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    cells.push({
      index: i,
      source: cell.sharedModel.getSource().slice(0, 200),
      executionCount: cell.executionCount,
      outputs: cell.outputs.toJSON(),
    });
  }
  const prompts = Array.from(document.querySelectorAll('.jp-Notebook .jp-InputPrompt'));
  return {
    kernel: kernel ? kernel.status : 'none',
    running: prompts.filter(p => p.textContent.includes('[*]')).length,
    cells: cells,
  };
}"""


def button(area, label):
    """The visible button labelled exactly `label` inside `area`.

    An icon puts its glyph (CSS content, a private-use character) and a space before the label's text."""
    # escape by hand: re.escape also escapes spaces, which the browser's regular expressions reject
    literal = re.sub(r"([.*+?^${}()|\[\]\\])", r"\\\1", label)
    return area.get_by_role("button", name=re.compile(rf"^[^A-Za-z0-9]*{literal}\s*$"))


class LabPage:
    def __init__(self, page, url, token, screenshots):
        self.page = page
        self.url = url
        self.token = token
        self.screenshots = screenshots
        # Offline first: the page must not fetch anything from anywhere but our own server.
        self.external_requests = []
        page.on("request", self._note_request)

    def _note_request(self, request):
        if not request.url.startswith((self.url, "data:", "blob:", "about:")):
            self.external_requests.append(request.url)

    # --- notebooks -------------------------------------------------------------------------------------

    def open(self, path, timeout=60, simple=False):
        """Open a notebook (path relative to the repository root) in a workspace of its own; wait for its kernel.

        ``simple=True`` opens it through JupyterLab's ``/doc`` address: the Simple Interface, one document."""
        workspace = f"test{next(_workspace_ids)}"
        view = "doc" if simple else "lab"
        self.page.goto(f"{self.url}/{view}/workspaces/{workspace}/tree/{path}?token={self.token}")
        self.page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext",
            timeout=timeout * 1000,
        )
        self.page.evaluate(
            """async () => {
              const panel = window.jupyterapp.shell.currentWidget;
              await panel.context.ready;
              await panel.sessionContext.ready;
            }"""
        )
        self.page.wait_for_function(
            "() => { const s = window.jupyterapp.shell.currentWidget.sessionContext;"
            " return s.session && s.session.kernel && s.session.kernel.status === 'idle'; }",
            timeout=timeout * 1000,
        )

    def command(self, command_id, args=None):
        """Run a JupyterLab command, the same one a menu item or a shortcut runs."""
        self.page.evaluate(
            "([id, args]) => window.jupyterapp.commands.execute(id, args)", [command_id, args or {}]
        )

    def run_all(self, timeout=180):
        """Run -> Run All Cells, then wait until every cell has run and the kernel is idle."""
        self.command("notebook:run-all-cells")
        return self.wait_until_idle(timeout)

    def cell_index(self, contains):
        """Index of the first code cell whose source contains `contains`."""
        index = self.page.evaluate(
            """(text) => {
              const model = window.jupyterapp.shell.currentWidget.content.model;
              for (let i = 0; i < model.cells.length; i++) {
                const cell = model.cells.get(i);
                if (cell.type === 'code' && cell.sharedModel.getSource().includes(text)) return i;
              }
              return -1;
            }""",
            contains,
        )
        assert index >= 0, f"no cell contains {contains!r}"
        return index

    def run_cells(self, first, last, timeout=180):
        """Select cells first..last (indices, inclusive) and run them, as shift-click then Run would."""
        self.page.evaluate(
            """([first, last]) => {
              const notebook = window.jupyterapp.shell.currentWidget.content;
              notebook.deselectAll();
              notebook.activeCellIndex = first;
              notebook.extendContiguousSelectionTo(last);
            }""",
            [first, last],
        )
        self.command("notebook:run-cell")
        return self.wait_until_idle(timeout)

    def run_through(self, contains, timeout=180):
        """Run every cell from the top down to the first one containing `contains`."""
        return self.run_cells(0, self.cell_index(contains), timeout)

    def run_cell(self, contains, timeout=180):
        index = self.cell_index(contains)
        return self.run_cells(index, index, timeout)

    def state(self):
        return self.page.evaluate(_NOTEBOOK_STATE)

    def wait_until_idle(self, timeout=180, settle=1.0):
        """Wait until no cell shows [*] and the kernel has stayed idle for `settle` seconds."""
        deadline = time.monotonic() + timeout
        idle_since = None
        while time.monotonic() < deadline:
            state = self.state()
            if state and state["kernel"] == "idle" and state["running"] == 0:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since >= settle:
                    return state
            else:
                idle_since = None
            self.page.wait_for_timeout(250)
        raise TimeoutError(f"the notebook was still running after {timeout} s: {self.state()}")

    def problems(self, all_cells_ran=True):
        """Everything that went wrong in the open notebook, as readable lines (empty when all is well).

        With ``all_cells_ran`` (after Run All), a code cell that never ran is a problem too."""
        state = self.state()
        found = []
        for cell in state["cells"]:
            where = f"cell {cell['index']} ({cell['source'][:60]!r})"
            if all_cells_ran and cell["executionCount"] is None:
                found.append(f"{where} did not run")
            for output in cell["outputs"]:
                if output.get("output_type") == "error":
                    found.append(f"{where} raised {output.get('ename')}: {output.get('evalue')}")
                elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                    text = "".join(output.get("text", ""))
                    if "Traceback" in text:
                        found.append(f"{where} wrote an error to stderr: {text[:300]}")
        # Widgets are drawn by the browser: a widget that fails to draw only shows up here.
        for text in self.page.locator(".jp-OutputArea-output").all_inner_texts():
            for failure in RENDER_FAILURES:
                if failure in text:
                    found.append(f"an output could not be shown: {text[:300]}")
        return found

    def wait_for_widgets(self, timeout=30):
        """Wait until no widget output still says 'Loading widget...' (the front end has drawn them all)."""
        self.page.wait_for_function(
            "() => !Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
            ".some(o => o.textContent.includes('Loading widget'))",
            timeout=timeout * 1000,
        )

    # --- outputs and widgets ----------------------------------------------------------------------------

    def cell_output(self, contains):
        """The output area of the first code cell whose source contains `contains`."""
        cell = self.page.locator(".jp-Notebook .jp-Cell").nth(self.cell_index(contains))
        cell.scroll_into_view_if_needed()
        return cell.locator(".jp-OutputArea")

    # --- screenshots and clean-up -----------------------------------------------------------------------

    def screenshot(self, name, locator=None):
        path = self.screenshots / f"{name}.png"
        (locator or self.page).screenshot(path=str(path))
        return path

    def shutdown_kernels(self):
        """Stop this page's kernels so the next test starts with the CPU to itself."""
        try:
            kernels = self._api("GET", "/api/kernels")
            for kernel in kernels:
                self._api("DELETE", f"/api/kernels/{kernel['id']}")
        except OSError:
            pass

    def _api(self, method, path):
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None


# --- accessibility: axe-core from the npm package (node_modules, installed by `npm ci`), never downloaded ---

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, include, impacts=("serious", "critical")):
    """axe-core's violations of the given impacts inside the elements matching the CSS selector ``include``:
    a list of readable lines (rule, impact, help and the first elements it names)."""
    if not AXE.is_file():
        missing("axe-core is not installed: run `npm ci` in the repository root (make test does)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        """async (selector) => {
          const nodes = Array.from(document.querySelectorAll(selector));
          if (!nodes.length) return [];
          const r = await window.axe.run({include: nodes.map(n => n)}, {resultTypes: ['violations']});
          return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                         targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }""",
        include,
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} -> {v['targets']}" for v in results if v["impact"] in impacts]
