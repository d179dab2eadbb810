"""The freezing lesson's FreezeExplorer, clicked in a real browser: a toggle and a preset change the counts
the learner reads. Expected numbers come from the page itself (each toggle's tooltip gives its block's size)."""

import re
from pathlib import Path

import pytest
from labpage import button

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSON = "course/02_freezing_layers.ipynb"
EXPLORER_CELL = "FreezeExplorer("


def number(text):
    return int(text.replace(",", ""))


def trainable(explorer):
    """The trainable count the summary line shows: '<b>1,234</b> trainable · ...'."""
    match = re.search(r"([\d,]+) trainable", explorer.inner_text())
    assert match, explorer.inner_text()[:500]
    return number(match.group(1))


def block_size(toggle):
    """A toggle's tooltip reads 'conv1: 2,432 parameters, trainable'."""
    return number(re.search(r": ([\d,]+) parameters", toggle.get_attribute("title")).group(1))


def wait_for_trainable(lab, explorer, expected):
    deadline_ms = 10_000
    waited = 0
    while trainable(explorer) != expected and waited < deadline_ms:
        lab.page.wait_for_timeout(100)
        waited += 100
    assert trainable(explorer) == expected


@pytest.fixture
def explorer(lab):
    if not (REPO / LESSON).exists():
        pytest.skip(f"{LESSON} is not written yet")
    lab.open(LESSON)
    # the set-up cell and the explorer's cell only: the lesson's training cells are not needed here
    lab.run_cell("import widgets")
    lab.run_cell(EXPLORER_CELL)
    lab.wait_for_widgets()
    assert lab.problems(all_cells_ran=False) == []
    output = lab.cell_output(EXPLORER_CELL)
    output.locator(".widget-toggle-button").first.wait_for()
    return output


def test_a_freeze_toggle_changes_the_trainable_count(lab, explorer):
    toggles = explorer.locator("button.widget-toggle-button")
    before = trainable(explorer)
    # the first block that trains now: freezing it must take exactly its parameters away
    toggle = next(t for t in toggles.all() if t.get_attribute("title").endswith("trainable"))
    size = block_size(toggle)
    toggle.click()
    wait_for_trainable(lab, explorer, before - size)
    assert toggle.get_attribute("title").endswith("frozen")
    lab.screenshot("freeze-explorer", explorer)

    toggle.click()  # and back
    wait_for_trainable(lab, explorer, before)


def test_the_train_head_only_preset_leaves_only_the_head_trainable(lab, explorer):
    button(explorer, "Train head only").click()
    explorer.get_by_text("Only the head").wait_for()
    toggles = explorer.locator("button.widget-toggle-button").all()
    states = {t.get_attribute("title").split(":")[0]: t.get_attribute("title").rsplit(", ", 1)[1] for t in toggles}
    trainable_blocks = [name for name, state in states.items() if state == "trainable"]
    assert len(trainable_blocks) == 1, states  # the head
    assert all(state == "frozen" for name, state in states.items() if name not in trainable_blocks), states
    head = next(t for t in toggles if t.get_attribute("title").endswith("trainable"))
    wait_for_trainable(lab, explorer, block_size(head))
    lab.screenshot("freeze-explorer-head-only", explorer)

    button(explorer, "Freeze all").click()
    wait_for_trainable(lab, explorer, 0)
    explorer.get_by_text("Nothing would train").wait_for()  # the warning the learner needs before training
