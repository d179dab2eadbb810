"""The course by keyboard alone: one quiz question, one challenge problem and one freeze toggle, with Tab,
arrow keys, Space and Enter only. The arrow keys move the choice inside a radio group (JupyterLab must not
take them to move between cells), and after each action the focus stays somewhere sensible."""

import json
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSON_ID = "02_freezing_layers"
LESSON = f"course/{LESSON_ID}.ipynb"
CONTENT = yaml.safe_load((REPO / "widgets" / "modes" / "content" / "lessons" / f"{LESSON_ID}.yaml").read_text())

FOCUSED = """() => { const a = document.activeElement;
  return {tag: a.tagName, type: a.type || '', text: (a.innerText || a.value || '').trim().slice(0, 60),
          label: a.closest('label') ? a.closest('label').innerText.trim() : '',
          pressed: a.getAttribute('aria-pressed'),
          group: a.closest('[role=radiogroup]') ? true : false}; }"""


def focused(lab):
    return lab.page.evaluate(FOCUSED)


def active_cell(lab):
    return lab.page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex")


def tab_until(lab, predicate, limit=40):
    """Press Tab until the focused element satisfies ``predicate`` (as a learner tabs through a page)."""
    for _ in range(limit):
        if predicate(focused(lab)):
            return focused(lab)
        lab.page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached the element; focus is on {focused(lab)}")


def arrow_to(lab, text, limit=8):
    """Move with ArrowDown until the radio labelled ``text`` has the focus, then Space: it is chosen (Tab into a
    group with nothing chosen focuses the first option without choosing it)."""
    for _ in range(limit):
        if focused(lab)["label"] == text:
            lab.page.keyboard.press("Space")
            return
        lab.page.keyboard.press("ArrowDown")
    raise AssertionError(f"ArrowDown never reached {text!r}; focus is on {focused(lab)}")


def right_text(item):
    return next(o["text"] for o in item["options"] if o.get("correct") is True)


@pytest.fixture
def modes(lab, jupyter_server):
    jupyter_server["progress"].unlink(missing_ok=True)
    lab.open(LESSON)
    lab.run_cell("import widgets")
    lab.run_cell("learning_modes(")
    lab.wait_for_widgets()
    return lab.cell_output("learning_modes(")


def open_tab(lab, modes, name):
    """Reach a tab of the learning modes with the keyboard: focus the tab bar, then arrow along it."""
    modes.get_by_role("tab", name="Diagnostic").focus()
    for _ in range(10):
        if focused(lab)["text"] == name:
            lab.page.keyboard.press("Enter")
            return
        lab.page.keyboard.press("ArrowRight")
    raise AssertionError(f"no tab {name!r}; focus is on {focused(lab)}")


def test_a_quiz_question_by_keyboard(lab, modes, jupyter_server):
    question = CONTENT["quiz"][0]
    open_tab(lab, modes, "Quiz")
    cell = active_cell(lab)
    tab_until(lab, lambda f: f["group"])  # the whole group is one Tab stop
    lab.page.keyboard.press("ArrowDown")
    assert focused(lab)["group"] and active_cell(lab) == cell, "the arrow key left the radio group"
    arrow_to(lab, right_text(question))
    lab.page.keyboard.press("Enter")  # Enter in the group checks the answer
    modes.get_by_text("Right.").wait_for()
    lab.page.wait_for_function("() => document.activeElement.innerText.trim() === 'Next'")
    lab.screenshot("keyboard-quiz", modes)
    saved = json.loads(jupyter_server["progress"].read_text())["lessons"][LESSON_ID]["quiz"]
    assert saved[question["id"]]["correct"] is True


def test_a_challenge_problem_by_keyboard(lab, modes):
    problem = CONTENT["challenges"][0]
    open_tab(lab, modes, "Challenge")
    assert problem["question"][:40] not in modes.inner_text()  # hidden until Start
    tab_until(lab, lambda f: f["tag"] == "BUTTON" and f["text"] == "Start")
    lab.page.keyboard.press("Enter")
    lab.page.wait_for_function("() => !!document.activeElement.closest('[role=radiogroup]')")  # focus on the options
    arrow_to(lab, right_text(problem))
    lab.page.keyboard.press("Enter")
    modes.get_by_text("1 / 5 solved").wait_for()
    lab.page.wait_for_function("() => document.activeElement.innerText.trim() === 'Next problem'")
    lab.screenshot("keyboard-challenge", modes)


def test_a_freeze_toggle_by_keyboard(lab):
    lab.open(LESSON)
    lab.run_cell("import widgets")
    lab.run_cell("FreezeExplorer(")
    lab.wait_for_widgets()
    explorer = lab.cell_output("FreezeExplorer(")
    toggle = explorer.locator("button.widget-toggle-button").first
    toggle.wait_for()
    before = toggle.get_attribute("aria-pressed")
    toggle.focus()
    lab.page.keyboard.press("Space")
    lab.page.wait_for_function(
        "(b) => document.activeElement.getAttribute('aria-pressed') !== b", arg=before)
    assert focused(lab)["pressed"] == ("false" if before == "true" else "true")
    lab.page.keyboard.press("Space")
    lab.page.wait_for_function("(b) => document.activeElement.getAttribute('aria-pressed') === b", arg=before)
