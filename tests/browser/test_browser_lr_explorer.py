"""The learning-rate lesson's LRExplorer, driven in a real browser: type rates, press Train, and the loss plot
shows one line per rate (the plot is plotly's FigureWidget, drawn by the browser)."""

import re
from pathlib import Path

import pytest
from labpage import button

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSON = "course/04_learning_rate.ipynb"
EXPLORER_CELL = "LRExplorer("
RATES = ["0.0001", "0.003", "0.3"]
LABELS = {"lr 1e-4", "lr 3e-3", "lr 3e-1"}  # how the plot's legend names them


def text_input(area, label):
    """The text box of an ipywidgets Text/IntText whose description is `label`."""
    return area.locator(".widget-text, .widget-inline-hbox").filter(
        has=area.page.locator(f"label:text-is('{label}')")
    ).locator("input").first


@pytest.fixture
def explorer(lab):
    if not (REPO / LESSON).exists():
        pytest.skip(f"{LESSON} is not written yet")
    lab.open(LESSON)
    # the set-up cell and the explorer's cell only (it trains once as the lesson runs)
    lab.run_cell("import widgets")
    lab.run_cell(EXPLORER_CELL, timeout=240)
    lab.wait_for_widgets()
    assert lab.problems(all_cells_ran=False) == []
    output = lab.cell_output(EXPLORER_CELL)
    output.locator(".js-plotly-plot").first.wait_for()
    lab.screenshot("lr-explorer-lesson", output)  # as the lesson drew it, for the README
    return output


def legend(plot):
    """The legend's rates, without the notes a run adds: "(best)", "(diverged at step 5)"."""
    return [re.sub(r" \((best|diverged[^)]*)\)", "", name) for name in plot.locator(".legendtext").all_text_contents()]


def test_a_comparison_draws_one_loss_curve_per_rate(lab, explorer):
    # The lesson's own run (4 rates) must have finished and be shown before we start ours: otherwise its status
    # line ("Trained 4 rates") could be read as the answer to our click, or our click refused as "Already running".
    explorer.get_by_text(re.compile(r"Trained 4 rates")).wait_for(timeout=240_000)
    assert not button(explorer, "Train").is_disabled()
    text_input(explorer, "rates").fill(", ".join(RATES))
    steps = text_input(explorer, "steps")
    steps.fill("8")
    steps.press("Tab")  # an IntText sends its value when it loses focus
    button(explorer, "Train").click()
    # our run's own outcome: 3 rates (never the lesson's 4), or the widget's error message
    status = explorer.get_by_text(re.compile(rf"Trained {len(RATES)} rates|Something went wrong|Stopped"))
    status.wait_for(timeout=240_000)
    assert f"Trained {len(RATES)} rates" in status.inner_text(), status.inner_text()

    loss_plot = explorer.locator(".js-plotly-plot").first
    lab.page.wait_for_function(
        "([plot, n]) => plot.querySelectorAll('.scatterlayer .trace').length === n",
        arg=[loss_plot.element_handle(), len(RATES)],
    )
    assert set(legend(loss_plot)) == LABELS
    lab.screenshot("lr-explorer", explorer)
