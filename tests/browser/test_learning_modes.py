"""The learning modes at the end of a lesson, clicked in a real browser: a recall card, the quiz right and
wrong, and a challenge badge. Each check reads what the learner reads, then the progress file it saved."""

import json
import re
from pathlib import Path

import pytest
import yaml
from labpage import button

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSON_ID = "02_freezing_layers"
LESSON = f"course/{LESSON_ID}.ipynb"
CONTENT = yaml.safe_load((REPO / "widgets" / "modes" / "content" / "lessons" / f"{LESSON_ID}.yaml").read_text())


def plain(markdown):
    """The text a learner sees for a line of the content's markdown (`code` and **bold** lose their marks)."""
    return re.sub(r"\*\*|`", "", markdown).strip()


def right_option(item):
    return next(option for option in item["options"] if option.get("correct") is True)


def wrong_option(item):
    return next(option for option in item["options"] if option.get("correct") is not True)


@pytest.fixture
def modes(lab, jupyter_server):
    """The lesson's learning modes, drawn: only the import and the learning_modes cell run (no training)."""
    if not (REPO / LESSON).exists():
        pytest.skip(f"{LESSON} is not written yet")
    jupyter_server["progress"].unlink(missing_ok=True)  # every test starts with no progress
    lab.open(LESSON)
    lab.run_cell("import widgets")
    lab.run_cell("learning_modes(")
    lab.wait_for_widgets()
    assert lab.problems(all_cells_ran=False) == []
    return lab.cell_output("learning_modes(")


def saved_progress(jupyter_server):
    return json.loads(jupyter_server["progress"].read_text())["lessons"][LESSON_ID]


def test_reveal_a_recall_card(lab, modes, jupyter_server):
    card = CONTENT["cards"][0]
    modes.get_by_role("tab", name="Recall cards").click()
    modes.get_by_text(plain(card["question"])).wait_for()
    assert plain(card["answer"]) not in modes.inner_text()

    button(modes, "Show answer").click()
    modes.get_by_text(plain(card["answer"])).wait_for()
    lab.screenshot("recall-card", modes)

    button(modes, "Good").click()
    modes.get_by_text(f"1 / {len(CONTENT['cards'])} cards known").wait_for()
    assert saved_progress(jupyter_server)["cards"] == {card["id"]: "known"}


def test_answer_the_quiz_right_then_wrong(lab, modes, jupyter_server):
    first, second = CONTENT["quiz"][:2]
    modes.get_by_role("tab", name="Quiz").click()

    modes.get_by_role("radio", name=right_option(first)["text"], exact=True).check()
    button(modes, "Check").click()
    feedback = modes.get_by_text("Right.")
    feedback.wait_for()
    assert plain(right_option(first)["explanation"]) in modes.inner_text()
    modes.get_by_text("Score: 1 / 1").wait_for()

    button(modes, "Next").click()
    modes.get_by_text(plain(second["question"])).wait_for()
    wrong = wrong_option(second)
    modes.get_by_role("radio", name=wrong["text"], exact=True).check()
    button(modes, "Check").click()
    modes.get_by_text("Not quite.").wait_for()
    text = modes.inner_text()
    assert plain(wrong["explanation"]) in text
    assert "The answer:" in text and plain(right_option(second)["text"]) in text
    modes.get_by_text("Score: 1 / 2").wait_for()
    lab.screenshot("quiz", modes)

    quiz = saved_progress(jupyter_server)["quiz"]
    assert quiz[first["id"]]["correct"] is True
    assert quiz[second["id"]]["correct"] is False


def test_solve_every_challenge_and_earn_the_badge(lab, modes, jupyter_server):
    challenges = CONTENT["challenges"]
    modes.get_by_role("tab", name="Challenge").click()
    for number, challenge in enumerate(challenges, start=1):
        button(modes, str(number)).click()
        button(modes, "Start").click()
        modes.get_by_role("radio", name=right_option(challenge)["text"], exact=True).check()
        button(modes, "Submit").click()
        modes.get_by_text(f"{number} / {len(challenges)} solved").wait_for()
    modes.get_by_text("Badge earned").wait_for()
    lab.screenshot("challenge-badge", modes)

    saved = saved_progress(jupyter_server)
    assert saved["badge"], "the badge is saved with the progress"
    assert {c["id"] for c in challenges} == {k for k, v in saved["challenges"].items() if v["status"] == "solved"}
