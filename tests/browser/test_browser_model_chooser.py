"""Lesson 05's ModelChooser, by keyboard alone in a real browser: untick models, type a budget, Measure, and the
table and the chart fill in, the budget drawn as a line; axe finds nothing serious in the widget."""

import re
from pathlib import Path

import pytest
from keys import scope, tab_until, type_over
from labpage import axe_violations

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSON = "course/05_choosing_a_model.ipynb"
CELL = "ModelChooser("


@pytest.fixture
def chooser(lab):
    if not (REPO / LESSON).exists():
        pytest.skip(f"{LESSON} is not written yet")
    lab.open(LESSON)
    lab.run_cell("import widgets")
    lab.run_cell(CELL)
    lab.wait_for_widgets()
    assert lab.problems(all_cells_ran=False) == []
    output = lab.cell_output(CELL)
    output.locator(".js-plotly-plot").first.wait_for()
    return output


def test_models_measured_by_keyboard_against_a_typed_budget(lab, chooser):
    first = chooser.locator("input[type=checkbox]").first
    first.focus()
    for name in ("efficientnet_b0", "resnet18"):  # keep the two course models and mobilenet_v2: a quick test
        now = tab_until(lab, lambda f, name=name: f["type"] == "checkbox" and f["label"] == name)
        assert now["checked"] is True
        lab.page.keyboard.press("Space")
        lab.page.wait_for_function("() => document.activeElement.checked === false")
    tab_until(lab, lambda f: f["tag"] == "INPUT" and f["label"] == "at most")
    type_over(lab, "50")
    tab_until(lab, lambda f: f["tag"] == "BUTTON" and f["text"] == "Measure")
    lab.page.keyboard.press("Enter")
    status = chooser.get_by_text(re.compile(r"^(Done: measured here|Something went wrong|Stopped)"))
    status.wait_for(timeout=600_000)
    assert status.inner_text().startswith("Done: measured here"), status.inner_text()

    table = chooser.locator("table").inner_text()
    rows = [line for line in table.splitlines() if line.startswith(("course model", "mobilenet_v2"))]
    assert len(rows) == 3 and all(" ms" in row for row in rows), table
    assert "efficientnet_b0" not in table and re.search(r"course model \(3 conv blocks\).*%", table)
    plot = chooser.locator(".js-plotly-plot").first
    assert "your budget: 50" in plot.inner_text()
    lab.page.wait_for_function("(p) => p.querySelectorAll('.scatterlayer .point').length === 3",
                               arg=plot.element_handle())
    assert axe_violations(lab.page, scope(chooser)) == []
    lab.screenshot("model-chooser", chooser)
