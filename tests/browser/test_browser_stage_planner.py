"""Lesson 03's StagePlanner, by keyboard alone in a real browser: pick a plan, press a block in and out, shorten
the stage, Train (the focus moves to Stop while it runs, and back to Train), and the live meters draw the run;
axe finds nothing serious in the widget."""

import re
from pathlib import Path

import pytest
from keys import scope, tab_until, type_over
from labpage import axe_violations

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSON = "course/03_strategy_in_vision.ipynb"
CELL = "StagePlanner("


@pytest.fixture
def planner(lab):
    if not (REPO / LESSON).exists():
        pytest.skip(f"{LESSON} is not written yet")
    lab.open(LESSON)
    lab.run_cell("import widgets")
    lab.run_cell(CELL, timeout=240)
    lab.wait_for_widgets()
    assert lab.problems(all_cells_ran=False) == []
    output = lab.cell_output(CELL)
    output.locator(".js-plotly-plot").first.wait_for()
    return output


def test_a_plan_chosen_and_trained_by_keyboard_draws_the_live_meters(lab, planner):
    plan = planner.get_by_role("radiogroup", name="plan")
    plan.locator("input:checked").focus()  # the group is one Tab stop; the arrow keys move the choice
    lab.page.keyboard.press("ArrowDown")  # the second plan: head and conv3 at once, one stage
    chosen = "(g) => g.querySelector('input:checked').parentElement.innerText"
    lab.page.wait_for_function(f"(g) => ({chosen})(g) === 'head and conv3 at once'", arg=plan.element_handle())
    stage_rows = planner.locator(".widget-hbox").filter(has_text=re.compile(r"^stage \d trains:"))
    lab.page.wait_for_function(
        "(out) => [...out.querySelectorAll('.widget-hbox')].filter(r => /^stage \\d trains:/.test(r.innerText)"
        " && r.offsetParent !== null).length === 1", arg=planner.element_handle())

    # press conv2 into stage 1, and out again: the plan becomes the learner's own, then the preset again
    now = tab_until(lab, lambda f: f["tag"] == "BUTTON" and f["text"] == "conv2")
    assert now["pressed"] == "false"
    lab.page.keyboard.press("Space")
    lab.page.wait_for_function("() => document.activeElement.getAttribute('aria-pressed') === 'true'")
    lab.page.wait_for_function(f"(g) => ({chosen})(g) === 'your own plan'", arg=plan.element_handle())
    lab.page.keyboard.press("Space")
    lab.page.wait_for_function(f"(g) => ({chosen})(g) === 'head and conv3 at once'", arg=plan.element_handle())

    tab_until(lab, lambda f: f["tag"] == "INPUT" and f["label"] == "steps")
    type_over(lab, "20")  # a short stage: the test trains it
    tab_until(lab, lambda f: f["tag"] == "BUTTON" and f["text"] == "Train")
    lab.page.keyboard.press("Enter")
    # Train is disabled while the run lasts: the focus moves to Stop (not to the page), and back to Train after
    lab.page.wait_for_function("() => document.activeElement.innerText.trim() === 'Stop'")
    status = planner.get_by_text(re.compile(r"^(Done: digits|Something went wrong|Stopped)"))
    status.wait_for(timeout=300_000)
    assert status.inner_text().startswith("Done: digits"), status.inner_text()
    lab.page.wait_for_function("() => document.activeElement.innerText.trim() === 'Train'")
    assert "conv3+head 20" in planner.locator("table").inner_text()
    plot = planner.locator(".js-plotly-plot").first
    lab.page.wait_for_function("(p) => p.querySelectorAll('.scatterlayer .trace').length === 5",
                               arg=plot.element_handle())  # two accuracies, three blocks' drift
    assert stage_rows.count() == 4  # one row per possible stage; the three unused are hidden
    assert axe_violations(lab.page, scope(planner)) == []
    lab.screenshot("stage-planner", planner)
