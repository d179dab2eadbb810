"""Every lesson, the way a learner runs it: open it in JupyterLab, Run All Cells, and see no error."""

from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted(path.relative_to(REPO).as_posix() for path in (REPO / "course").glob("*.ipynb"))


@pytest.mark.parametrize("lesson", LESSONS, ids=[Path(lesson).stem for lesson in LESSONS])
def test_lesson_runs_in_jupyterlab_without_errors(lab, lesson):
    stored = (REPO / lesson).read_bytes()
    lab.open(lesson)
    lab.run_all(timeout=240)
    lab.wait_for_widgets()
    lab.screenshot(f"lesson-{Path(lesson).stem}")
    assert lab.problems() == []
    assert lab.external_requests == [], "the lesson fetched from the network"
    assert (REPO / lesson).read_bytes() == stored, "running the lesson in the browser wrote to the stored notebook"


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
