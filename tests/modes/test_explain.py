"""Explain in your own words (issue 23): ticks are recomputed at every submit, answers are capped at
:data:`MAX_ANSWER` characters with a message, and the detector cannot be stuffed. Also ``Quiz.choose``."""

import time

import pytest

import widgets
from widgets.modes.choice import right_index
from widgets.modes.content import load_lesson_content
from widgets.modes.content.concepts import MAX_TEXT, covered
from widgets.modes.explain import MAX_ANSWER, ExplainPrompt
from widgets.modes.progress.store import ProgressStore

LESSON = "04_learning_rate"


@pytest.fixture
def le_lr():
    return next(p for p in load_lesson_content(LESSON)["explain"] if p["id"] == "le-lr")


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.json")


GOOD = ("The learning rate decides how far the weights jump on every update. When you fine-tune you pick a tiny "
        "value, because the network is already good. Set it too large and the loss bounces all over the place, and "
        "the big jumps wipe out what the network picked up during pre-training.")


def test_ticks_do_not_stick_when_the_answer_is_replaced(le_lr):
    prompt = ExplainPrompt(le_lr)
    assert len(prompt.submit(GOOD)) == 4
    assert prompt.submit("I really do not know anything about this.") == []
    assert prompt.score == (0, 4)


def test_the_view_recomputes_ticks_and_saves_what_the_new_text_shows(le_lr, store):
    view = widgets.Explain([le_lr], LESSON, store)
    panel = view.panels[0]
    panel.text.value = GOOD
    panel.done_button.click()
    assert all(box.value for box in panel.boxes) and "4 / 4" in panel.score.value
    panel.text.value = "I really do not know anything about this."
    panel.done_button.click()
    assert not any(box.value for box in panel.boxes) and "0 / 4" in panel.score.value
    saved = store.lesson(LESSON)["explain"]["le-lr"]
    assert saved["covered"] == [] and saved["detected"] == [] and saved["text"].startswith("I really")


def test_an_answer_over_the_cap_is_refused_with_a_message_and_kept_in_the_box(le_lr, store):
    view = widgets.Explain([le_lr], LESSON, store)
    panel = view.panels[0]
    panel.text.value = GOOD
    panel.done_button.click()
    huge = GOOD + " more" * 10_000  # 50,000 characters
    panel.text.value = huge
    started = time.perf_counter()
    panel.done_button.click()
    assert time.perf_counter() - started < 0.5  # refused before the detector reads it
    assert f"{MAX_ANSWER:,}" in panel.score.value and "not submitted" in panel.score.value
    assert panel.text.value == huge  # nothing the learner typed is lost
    assert store.lesson(LESSON)["explain"]["le-lr"]["text"] == GOOD  # the last accepted answer stays stored
    with pytest.raises(ValueError, match="characters"):
        ExplainPrompt(le_lr).submit(huge)


def test_the_detector_reads_only_the_first_max_text_characters(le_lr):
    concepts = le_lr["concepts"]
    padding = "We talked about many things that day and it was fine. " * 60
    assert len(padding) > MAX_TEXT
    assert covered(padding + GOOD, concepts) == []
    assert len(covered(GOOD + padding, concepts)) == 4


@pytest.mark.parametrize("text, expected", [
    ("Keep it small. It is the step size. It diverges. It forgets.", [1, 2]),  # was 4/4
    ("A large learning rate is best for fine-tuning, since small steps make training unstable and make the model "
     "forget what it learned.", []),  # the right words, wrong ideas: was 3/4
    ("The learning rate has nothing to do with the step size, and a high rate never makes the model forget "
     "anything.", []),
    ("Step size. Small rate. Divergence. Forgetting.", []),  # no verb: nothing said
    (GOOD, [1, 2, 3, 4]),  # a paraphrase without the model answer's words: was 3/4
])
def test_stuffed_wrong_and_paraphrased_answers_from_the_issue(le_lr, text, expected):
    names = [c["concept"] for c in le_lr["concepts"]]
    assert covered(text, le_lr["concepts"]) == [names[k - 1] for k in expected]


@pytest.mark.parametrize("bad", [True, False, 1.0, "1", None, -1, 4])
def test_quiz_choose_refuses_anything_but_an_options_number(bad, store):
    questions = load_lesson_content(LESSON)["quiz"][:2]
    quiz = widgets.Quiz(questions, LESSON, store)
    with pytest.raises(ValueError, match="option's number"):
        quiz.choose(bad)
    assert quiz.question.value is None  # nothing was selected
    quiz.choose(right_index(questions[0]))
    assert quiz.question.value == right_index(questions[0])
