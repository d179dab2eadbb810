"""Every lesson, the way a learner runs it: open it in JupyterLab, Run All Cells, and see no error."""

from pathlib import Path

import nbformat
import pytest
from labpage import axe_violations

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted(path.relative_to(REPO).as_posix() for path in (REPO / "course").glob("*.ipynb"))
OUTPUTS = ".jp-Notebook .jp-OutputArea-output"
# A laptop screen with JupyterLab's file browser open: the notebook is narrower than the window.
LAPTOP = {"width": 1150, "height": 900}
WIDER_THAN_THE_NOTEBOOK = """(selector) => Array.from(document.querySelectorAll(selector)).map((out, i) => {
    const cell = out.closest('.jp-Cell');
    const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
    return {cell: cells.indexOf(cell), scroll: out.scrollWidth, visible: out.clientWidth};
}).filter(o => o.scroll > o.visible + 2)"""


@pytest.mark.parametrize("lesson", LESSONS, ids=[Path(lesson).stem for lesson in LESSONS])
def test_lesson_runs_in_jupyterlab_without_errors(lab, lesson):
    """Run All as a learner would, then: no error, no request to another host, the stored notebook unchanged,
    no output wider than the notebook on a laptop screen, and no serious or critical axe violation in the
    course's outputs. Every figure is saved as a screenshot (tests/browser/screenshots/) to look at."""
    stored = (REPO / lesson).read_bytes()
    lab.page.set_viewport_size(LAPTOP)
    lab.open(lesson)
    lab.run_all(timeout=900)  # a guard against a hang, not a speed goal (benchmarks/memory.py times lessons)
    lab.wait_for_widgets()
    lab.screenshot(f"lesson-{Path(lesson).stem}")
    assert lab.problems() == []
    assert lab.external_requests == [], "the lesson fetched from the network"
    assert (REPO / lesson).read_bytes() == stored, "running the lesson in the browser wrote to the stored notebook"
    assert lab.page.evaluate(WIDER_THAN_THE_NOTEBOOK, OUTPUTS) == [], "outputs wider than the notebook"
    found = axe_violations(lab.page, OUTPUTS)
    assert found == [], "\n".join(found)
    figures = lab.page.locator(f"{OUTPUTS}:has(.main-svg)")  # plotly.js draws every figure, widget or not, in one
    for k in range(figures.count()):
        figures.nth(k).scroll_into_view_if_needed()
        lab.screenshot(f"lesson-{Path(lesson).stem}-figure-{k + 1}", figures.nth(k))


def test_a_too_wide_output_is_caught(lab):
    """The width check can fail: a figure 2,000 pixels wide is reported."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(
        "import plotly.graph_objects as go\ngo.Figure(go.Bar(y=[1, 2]), layout=dict(width=2000, height=200))")]
    probe = REPO / "tests" / "browser" / "screenshots" / "_wide.ipynb"
    probe.parent.mkdir(exist_ok=True)
    nbformat.write(notebook, probe)
    try:
        lab.page.set_viewport_size(LAPTOP)
        lab.open(probe.relative_to(REPO).as_posix())
        lab.run_all(timeout=60)
        assert [o["cell"] for o in lab.page.evaluate(WIDER_THAN_THE_NOTEBOOK, OUTPUTS)] == [0]
    finally:
        probe.unlink(missing_ok=True)


def test_problems_are_caught(lab):
    """The check above can fail: a cell that raises, and cells that never run, are both reported."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell("import ipywidgets as ipw\nipw.IntSlider(value=3, description='probe')"),
        nbformat.v4.new_code_cell("raise ValueError('probe failure')"),
        nbformat.v4.new_code_cell("print('never runs')"),
    ]
    probe = REPO / "tests" / "browser" / "screenshots" / "_probe.ipynb"
    probe.parent.mkdir(exist_ok=True)
    nbformat.write(notebook, probe)
    try:
        lab.open(probe.relative_to(REPO).as_posix())
        lab.run_all(timeout=60)
        lab.wait_for_widgets()
        # the widget is drawn by the front end, so its label is in the page
        assert lab.cell_output("IntSlider").locator(".widget-slider").count() == 1
        problems = lab.problems()
        assert any("ValueError: probe failure" in line for line in problems), problems
        assert any("did not run" in line and "never runs" in line for line in problems), problems
        assert lab.external_requests == []
        lab.screenshot("probe")
    finally:
        probe.unlink(missing_ok=True)
