"""Lesson 01's TwoStartsLab in a real browser, by keyboard alone: type the budget, tick a start
with Space, press Train with Enter; the plot draws a training and a test line per start, and axe finds nothing."""

import re

import pytest
from labpage import axe_violations, button

pytestmark = pytest.mark.browser

LESSON = "course/01_why_fine_tune.ipynb"
CELL = "TwoStartsLab("


@pytest.fixture
def race(lab):
    lab.open(LESSON)
    lab.run_cell("import widgets")
    lab.run_cell(CELL, timeout=240)
    lab.wait_for_widgets()
    output = lab.cell_output(CELL)
    output.locator(".js-plotly-plot").first.wait_for()
    return output


def test_the_lab_by_keyboard_trains_and_draws_each_start(lab, race):
    assert axe_violations(lab.page, ".jp-OutputArea-output") == []
    steps = race.locator(".widget-text, .widget-inline-hbox").filter(
        has=lab.page.locator("label:text-is('steps')")).locator("input").first
    steps.focus()
    lab.page.keyboard.press("Control+A")
    lab.page.keyboard.type("10")  # a short race
    lab.page.keyboard.press("Tab")  # a number box sends its value when it loses focus
    scratch = race.get_by_role("checkbox", name="from scratch")
    scratch.focus()
    lab.page.keyboard.press("Space")  # untick: pre-trained alone
    assert not scratch.is_checked()
    train = button(race, "Train")
    train.focus()
    lab.page.keyboard.press("Enter")
    race.get_by_text(re.compile(r"Done: every run is in the table|Stopped|Something went wrong")).wait_for(
        timeout=240_000)
    assert "Done" in race.inner_text()
    plot = race.locator(".js-plotly-plot").first
    lab.page.wait_for_function("(plot) => plot.querySelectorAll('.scatterlayer .trace').length === 2",
                               arg=plot.element_handle())
    names = plot.locator(".legendtext").all_text_contents()
    assert names == ["pre-trained, every weight: train", "pre-trained, every weight: test"], names
    assert "10" in race.locator("table").inner_text()
    assert axe_violations(lab.page, ".jp-OutputArea-output") == []
    lab.screenshot("two-starts-lab", race)
