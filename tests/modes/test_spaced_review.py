"""Spaced review across lessons: what a learner missed comes back after 1, 2, 4, 8 and 16 days (Leitner
boxes), and the start page's dashboard shows what is due today and runs the review. The clock is injected, so
the tests move days in a second."""

import pytest
from modes_helpers import FakeClock, wrong_index

import widgets
from widgets.modes.choice import right_index
from widgets.modes.content import load_lesson_content
from widgets.modes.progress.spaced import INTERVALS, Leitner
from widgets.modes.progress.store import ProgressStore

LESSON = "02_freezing_layers"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def store(tmp_path, clock):
    return ProgressStore(tmp_path / "progress.json", clock=clock)


def test_a_missed_item_climbs_the_boxes_and_leaves_when_learned(store, clock):
    schedule = Leitner(store)
    schedule.missed(LESSON, "quiz", "q-requires-grad")
    assert schedule.due() == []  # not today: tomorrow
    waited = []
    for box, days in enumerate(INTERVALS, start=1):
        clock.days(days)
        due = schedule.due()
        assert [(d.item_id, d.box) for d in due] == [("q-requires-grad", box)]
        schedule.answered(due[0], right=True)
        waited.append(days)
        if box < len(INTERVALS):
            assert schedule.due() == [] and schedule.next_date() is not None
    assert waited == [1, 2, 4, 8, 16]
    assert schedule.scheduled() == []  # learned: off the schedule


def test_a_wrong_review_answer_goes_back_to_box_one(store, clock):
    schedule = Leitner(store)
    schedule.missed(LESSON, "cards", "c-bn-drift")
    clock.days(1)
    schedule.answered(schedule.due()[0], right=True)  # box 2: due in 2 days
    clock.days(2)
    item = schedule.due()[0]
    assert item.box == 2
    schedule.answered(item, right=False)
    assert schedule.due() == [] and schedule.scheduled()[0].box == 1
    clock.days(1)
    assert schedule.due()[0].box == 1


def test_the_views_put_misses_on_the_schedule(store, clock):
    content = load_lesson_content(LESSON)
    quiz = widgets.Quiz(content["quiz"], LESSON, store)
    quiz.choose(wrong_index(content["quiz"][0]))
    quiz.check_button.click()
    cards = widgets.RecallCards(content["cards"], LESSON, store)
    cards.reveal_button.click()
    cards.again_button.click()
    challenge = widgets.Challenge(content["challenges"], LESSON, store, clock=FakeClock(), tick=None)
    challenge.start_button.click()
    for _ in range(2):
        challenge.choose(wrong_index(content["challenges"][0]))
        challenge.submit_button.click()
    clock.days(1)
    due = {(d.kind, d.item_id) for d in Leitner(store).due()}
    assert due == {("quiz", content["quiz"][0]["id"]), ("cards", content["cards"][0]["id"]),
                   ("challenges", content["challenges"][0]["id"])}


def test_the_dashboard_shows_what_is_due_and_runs_the_review(store, clock):
    content = load_lesson_content(LESSON)
    first = content["quiz"][0]
    schedule = Leitner(store)
    schedule.missed(LESSON, "quiz", first["id"])
    schedule.missed(LESSON, "cards", content["cards"][0]["id"])
    schedule.missed("04_learning_rate", "quiz", load_lesson_content("04_learning_rate")["quiz"][0]["id"])
    dashboard = widgets.ProgressDashboard(store)
    assert "Due today for review: 0" in dashboard.due_html.value and dashboard.review_button.disabled
    clock.days(1)
    dashboard.refresh()
    assert "Due today for review: 3" in dashboard.due_html.value and "02: 2" in dashboard.due_html.value
    review = dashboard.start_review()
    assert dashboard.review_box.children == (review,) and len(review.queue) == 3
    for due, item in list(review.queue):
        if due.kind == "cards":
            review.reveal_button.click()
            review.got_button.click()
        else:
            review.choose(right_index(item))
            review.check_button.click()
            assert "Right" in review.feedback.value
            review.next_button.click()
    assert "Review done: <b>3 / 3</b>" in review.header.value
    assert "Due today for review: 0" in dashboard.due_html.value
    clock.days(2)
    dashboard.refresh()
    assert "Due today for review: 3" in dashboard.due_html.value  # box 2: back after two days


def test_a_review_item_whose_content_is_gone_is_skipped(store, clock):
    schedule = Leitner(store)
    schedule.missed(LESSON, "quiz", "no-longer-in-the-course")
    store.record(LESSON, "review", "junk", {"kind": "quiz"})  # a hand-edited entry
    clock.days(1)
    review = widgets.ProgressDashboard(store).start_review()
    assert review.queue == [] and "Nothing is due today" in review.header.value
