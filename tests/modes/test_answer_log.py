"""Every answer is logged (item, mode, choice, right or wrong, time, attempt, seconds taken); first-try scores come
from the log; and after a kernel restart the quiz, practice and cards show what was saved, not an empty start."""

import pytest
from modes_helpers import FakeClock, wrong_index

import widgets
from widgets.modes.choice import right_index
from widgets.modes.content import diagnostic_forms, load_lesson_content
from widgets.modes.dashboard import summarize
from widgets.modes.progress import record
from widgets.modes.progress.store import ProgressStore
from widgets.modes.review import SpacedReview

LESSON = "02_freezing_layers"


@pytest.fixture
def content():
    return load_lesson_content(LESSON)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def store(tmp_path, clock):
    return ProgressStore(tmp_path / "progress.json", clock=clock)


def restart(store):
    """A new kernel: a new store on the same file."""
    return ProgressStore(store.path, clock=store.clock)


def test_each_quiz_answer_is_logged_and_the_first_try_is_the_score(content, store, clock):
    first = content["quiz"][0]
    quiz = widgets.Quiz(content["quiz"], LESSON, store, clock=clock)
    clock.advance(7)
    quiz.choose(wrong_index(first))
    quiz.check_button.click()
    quiz.restart_button.click()  # Start over, and this time right
    clock.advance(3)
    quiz.choose(right_index(first))
    quiz.check_button.click()
    log = store.lesson(LESSON)["log"]
    assert [{k: e[k] for k in ("item", "mode", "chosen", "correct", "attempt", "seconds")} for e in log] == [
        {"item": first["id"], "mode": "quiz", "chosen": wrong_index(first), "correct": False, "attempt": 1,
         "seconds": 7.0},
        {"item": first["id"], "mode": "quiz", "chosen": right_index(first), "correct": True, "attempt": 2,
         "seconds": 3.0},
    ]
    assert log[0]["at"] == pytest.approx(clock.now - 3)
    lesson = restart(store).lesson(LESSON)
    assert lesson["quiz"][first["id"]]["correct"] is True  # the latest answer is the quiz's record
    assert record.first_tries(lesson, "quiz") == {first["id"]: False}
    assert summarize(LESSON, content, lesson).quiz_right == 0  # the score counts the first try


def test_cards_practice_and_the_diagnostic_log_their_answers(content, store):
    cards = widgets.RecallCards(content["cards"], LESSON, store)
    cards.reveal_button.click()
    cards.again_button.click()
    practice = widgets.Practice(content["practice"], LESSON, store)
    practice.choose(right_index(content["practice"][0]))
    practice.check_button.click()
    practice.step_button.click()  # a step is not an answer
    diagnostic = widgets.Diagnostic(diagnostic_forms(content), content["sections"], LESSON, store)
    diagnostic.choose(0)
    diagnostic.next()  # the diagnostic saves its runs as records: each answer is logged as well
    log = store.lesson(LESSON)["log"]
    assert [e["mode"] for e in log] == ["cards", "practice", "diagnostic"]
    assert log[0]["correct"] is False and log[1]["correct"] is True and log[2]["chosen"] == 0


def test_a_restarted_quiz_shows_its_answers_and_goes_on_where_it_was(content, store):
    quiz = widgets.Quiz(content["quiz"], LESSON, store)
    quiz.choose(right_index(content["quiz"][0]))
    quiz.check_button.click()
    quiz.next_button.click()
    quiz.choose(wrong_index(content["quiz"][1]))
    quiz.check_button.click()
    again = widgets.Quiz(content["quiz"], LESSON, restart(store))
    assert "Score: <b>1 / 2</b>" in again.score_label.value
    assert again.session.current["id"] == content["quiz"][2]["id"] and not again.check_button.disabled
    for item in content["quiz"][2:]:
        again.choose(right_index(item))
        again.check_button.click()
        again.next_button.click()
    done = widgets.Quiz(content["quiz"], LESSON, restart(store))
    assert done.session.finished and done.summary in done.children and done.summary.value.count("<li") == len(
        content["quiz"])


def test_a_restarted_practice_shows_the_answer_steps_hint_and_mistakes(content, store):
    item = content["practice"][0]
    view = widgets.Practice(content["practice"], LESSON, store)
    view.choose(wrong_index(item))
    view.check_button.click()
    view.step_button.click()
    view.hint_button.click()
    view.mistakes_button.click()
    again = widgets.Practice(content["practice"], LESSON, restart(store))
    assert "Not quite" in again.feedback.value and again.question.value == wrong_index(item)
    assert f"1 / {len(item['steps'])}" in again.steps.value
    assert "Hint" in again.extra and "Common mistakes" in again.extra
    again.go_to(1)
    assert again.feedback.value == "" and again.steps.value == ""  # the next problem was never touched


def test_a_restarted_deck_keeps_its_known_and_missed_cards(content, store):
    cards = widgets.RecallCards(content["cards"], LESSON, store)
    cards.reveal_button.click()
    cards.got_button.click()
    cards.reveal_button.click()
    cards.again_button.click()
    again = widgets.RecallCards(content["cards"], LESSON, restart(store))
    assert again.deck.progress()[0] == 1 and again.deck.misses == {content["cards"][1]["id"]: 1}


def test_a_spaced_review_answer_is_logged_and_leaves_the_quiz_first_try_alone(content, store, clock):
    first = content["quiz"][0]
    quiz = widgets.Quiz(content["quiz"], LESSON, store, clock=clock)
    quiz.choose(wrong_index(first))
    quiz.check_button.click()
    clock.days(2)
    review = SpacedReview(store)
    review.choose(right_index(first))
    review.check()
    lesson = store.lesson(LESSON)
    assert [(e["mode"], e["item"], e["correct"]) for e in lesson["log"]] == [
        ("quiz", first["id"], False), ("review", f"quiz:{first['id']}", True)]
    assert record.first_tries(lesson, "quiz") == {first["id"]: False}
