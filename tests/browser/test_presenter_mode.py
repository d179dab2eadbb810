"""Presenter mode, as docs/instructor.md describes it: the lesson opened through /doc (JupyterLab's Simple
Interface), View -> Collapse All Code, View -> Presentation Mode. The code is hidden; prose and widgets stay,
and the widgets still answer clicks."""

from pathlib import Path

import pytest
from test_browser_freeze_explorer import EXPLORER_CELL, block_size, trainable, wait_for_trainable

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSON = "course/02_freezing_layers.ipynb"


def visible(locator):
    return [element for element in locator.all() if element.is_visible()]


def test_presenter_mode_hides_the_code_and_keeps_the_widgets_working(lab):
    if not (REPO / LESSON).exists():
        pytest.skip(f"{LESSON} is not written yet")
    lab.open(LESSON, simple=True)
    assert lab.page.evaluate("() => window.jupyterapp.shell.mode") == "single-document"
    lab.command("notebook:hide-all-cell-code")          # View -> Collapse All Code
    lab.command("application:toggle-presentation-mode")  # View -> Presentation Mode
    lab.command("application:toggle-left-area")          # View -> Show Left Sidebar (off)

    lab.run_cell("import widgets")
    lab.run_cell(EXPLORER_CELL)
    lab.wait_for_widgets()
    assert lab.problems(all_cells_ran=False) == []

    page = lab.page
    code_cells = len(lab.state()["cells"])
    assert visible(page.locator(".jp-CodeCell .cm-editor")) == [], "a code cell still shows its code"
    assert page.locator(".jp-CodeCell .jp-InputPlaceholder").count() == code_cells
    assert visible(page.locator(".jp-MarkdownCell .jp-RenderedMarkdown")), "the prose must stay"
    assert page.evaluate("() => window.jupyterapp.shell.presentationMode") is True

    explorer = lab.cell_output(EXPLORER_CELL)
    toggle = next(t for t in explorer.locator("button.widget-toggle-button").all()
                  if t.get_attribute("title").endswith("trainable"))
    before, size = trainable(explorer), block_size(toggle)
    toggle.click()
    wait_for_trainable(lab, explorer, before - size)
    lab.screenshot("presenter-mode")
