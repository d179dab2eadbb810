"""Spaced review of everything learned, scheduled by FSRS: right and wrong answers both come back (a wrong one
sooner), four grades order the waits, nothing leaves the schedule, the day turns at 4 am, options are shuffled
anew at each review, and the review is reachable from every lesson. The clock is injected (a fake one, set to
local times), so the tests move weeks in a second."""

import datetime as dt
import json

import pytest
from fsrs import Card, Rating, State
from modes_helpers import FakeClock, wrong_index

import widgets
from widgets.modes.choice import right_index
from widgets.modes.content import available_lessons, load_lesson_content
from widgets.modes.lesson import TAB_TITLES
from widgets.modes.progress.spaced import GRADES, MAX_DAYS, ReviewSchedule, learning_day
from widgets.modes.progress.store import ProgressStore
from widgets.modes.review import ReviewPanel

LESSON = "02_freezing_layers"


def local(*when):
    """Seconds since the epoch of a local date and time, whatever the machine's time zone."""
    return dt.datetime(*when).timestamp()


@pytest.fixture
def clock():
    return FakeClock(local(2024, 1, 15, 12, 0))  # a Monday, noon


@pytest.fixture
def store(tmp_path, clock):
    return ProgressStore(tmp_path / "progress.json", clock=clock)


def wait_for(schedule, clock, item):
    """Move the clock to noon of the learning day ``item`` falls due, and return the item as due then."""
    clock.now = local(item.due.year, item.due.month, item.due.day, 12, 0)
    return next(d for d in schedule.due() if d.key == item.key)


def waits(schedule, lesson_id, kind, item_id, rating):
    """Days until due after grading ``rating`` now."""
    return (schedule.grade(lesson_id, kind, item_id, rating).due - schedule.today()).days


# --- the schedule --------------------------------------------------------------------------------------------

def test_a_right_answer_comes_back_later_than_a_wrong_one(store):
    schedule = ReviewSchedule(store)
    right = schedule.answered(LESSON, "quiz", "q-right", True)
    wrong = schedule.answered(LESSON, "quiz", "q-wrong", False)
    assert schedule.due() == []  # neither is due today
    assert wrong.due == schedule.today() + dt.timedelta(days=1) < right.due
    assert {i.item_id for i in schedule.scheduled()} == {"q-right", "q-wrong"}


def test_again_hard_good_easy_wait_longer_and_longer(store, clock):
    schedule = ReviewSchedule(store)
    first = [waits(schedule, LESSON, "cards", f"new-{r.name}", r) for r in GRADES]
    assert first[0] <= first[1] < first[2] < first[3]  # a new card: Again and Hard both say "tomorrow"
    for r in GRADES:  # the same cards once more, a week on: now every grade waits longer than the one before
        schedule.grade(LESSON, "cards", f"seen-{r.name}", Rating.Good)
    clock.days(7)
    again, hard, good, easy = [waits(schedule, LESSON, "cards", f"seen-{r.name}", r) for r in GRADES]
    assert 1 <= again < hard < good < easy <= MAX_DAYS


def test_over_weeks_an_item_known_comes_back_ever_later_and_a_missed_one_every_day(store, clock):
    schedule = ReviewSchedule(store)
    schedule.answered(LESSON, "quiz", "known", True)
    schedule.answered(LESSON, "quiz", "missed", False)
    start, seen = schedule.today(), {"known": [], "missed": []}
    for _ in range(10 * 7):  # ten weeks, one review a day
        clock.days(1)
        for item in schedule.due():
            seen[item.item_id].append((schedule.today() - start).days)
            schedule.answered(LESSON, "quiz", item.item_id, item.item_id == "known")
    assert seen["missed"] == list(range(1, 10 * 7 + 1))  # wrong every time: back the next day, every day
    gaps = [b - a for a, b in zip([0] + seen["known"], seen["known"])]
    assert len(gaps) >= 3 and gaps == sorted(set(gaps)) and gaps[0] > 1  # right every time: ever longer waits
    assert {i.item_id for i in schedule.scheduled()} == {"known", "missed"}


def test_nothing_leaves_the_schedule_for_good(store, clock):
    schedule = ReviewSchedule(store)
    item = schedule.grade(LESSON, "cards", "c-bn-drift", Rating.Easy)
    for _ in range(12):  # the old Leitner schedule dropped an item after five right reviews
        item = schedule.review(wait_for(schedule, clock, item), Rating.Easy)
        assert schedule.scheduled() == [item] and 1 <= (item.due - schedule.today()).days <= MAX_DAYS
    assert item.reviews == 13 and (item.due - schedule.today()).days == MAX_DAYS  # at most a year away


def test_a_miss_at_half_past_eleven_is_not_due_at_half_past_midnight(store, clock):
    clock.now = local(2024, 1, 15, 23, 30)
    schedule = ReviewSchedule(store)
    schedule.missed(LESSON, "quiz", "q-late")
    for when in [(2024, 1, 16, 0, 30), (2024, 1, 16, 3, 59)]:  # the same night: still the same learning day
        clock.now = local(*when)
        assert schedule.due() == [] and schedule.next_date() == dt.date(2024, 1, 16)
    clock.now = local(2024, 1, 16, 4, 0)  # "tomorrow" starts at 4 am
    assert [d.item_id for d in schedule.due()] == ["q-late"]


def test_the_learning_day_turns_at_four_in_the_morning():
    assert learning_day(local(2024, 1, 16, 3, 59)) == dt.date(2024, 1, 15)
    assert learning_day(local(2024, 1, 16, 4, 0)) == dt.date(2024, 1, 16)
    assert learning_day(local(2024, 1, 16, 23, 59)) == dt.date(2024, 1, 16)


def test_the_schedule_is_saved_as_fsrs_cards(store, clock):
    ReviewSchedule(store).grade(LESSON, "cards", "c-bn-drift", Rating.Hard)
    entry = json.loads(store.path.read_text())["lessons"][LESSON]["review"]["cards:c-bn-drift"]
    card = Card.from_dict(entry["card"])
    assert card.to_dict() == entry["card"] and card.state == State.Review and card.stability > 0
    assert entry["rating"] == "Hard" and entry["reviews"] == 1
    reread = ReviewSchedule(ProgressStore(store.path, clock=clock)).item(LESSON, "cards", "c-bn-drift")
    assert reread.due.isoformat() == entry["due"] and reread.card.to_dict() == entry["card"]


def test_grades_and_kinds_outside_the_schedule_are_refused(store):
    schedule = ReviewSchedule(store)
    with pytest.raises(ValueError, match="rating"):
        schedule.grade(LESSON, "cards", "c1", 5)
    with pytest.raises(ValueError, match="kind"):
        schedule.grade(LESSON, "explain", "e1", Rating.Good)
    assert schedule.scheduled() == []


# --- older progress files ---------------------------------------------------------------------------------------

def test_leitner_boxes_from_an_older_progress_file_are_migrated(tmp_path, clock):
    # what the Leitner schedule wrote: box 4 waited 8 days, box 1 one day
    old = {"version": 1, "lessons": {LESSON: {"review": {
        "quiz:q-requires-grad": {"kind": "quiz", "id": "q-requires-grad", "box": 4, "due": "2024-01-15"},
        "cards:c-bn-drift": {"kind": "cards", "id": "c-bn-drift", "box": 1, "due": "2024-01-16"},
        "junk": {"kind": "quiz", "id": "q", "box": 9, "due": "2024-01-15"}}}}}
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(old))
    store = ProgressStore(path, clock=clock)
    schedule = ReviewSchedule(store)
    assert [(d.item_id, d.due) for d in schedule.scheduled()] == [
        ("q-requires-grad", dt.date(2024, 1, 15)), ("c-bn-drift", dt.date(2024, 1, 16))]
    (due,) = schedule.due()
    assert due.card.state == State.Review and due.card.stability == 8 and due.reviews == 4
    again = schedule.review(due, Rating.Good)
    assert (again.due - schedule.today()).days > 8  # right after eight days: a longer wait than the box gave
    entry = store.lesson(LESSON)["review"]["quiz:q-requires-grad"]
    assert "box" not in entry and Card.from_dict(entry["card"]).to_dict() == entry["card"]


# --- the views ---------------------------------------------------------------------------------------------------

def test_the_views_schedule_right_and_wrong_answers(store, clock):
    content = load_lesson_content(LESSON)
    quiz = widgets.Quiz(content["quiz"], LESSON, store)
    quiz.choose(wrong_index(content["quiz"][0]))
    quiz.check_button.click()
    quiz.next_button.click()
    quiz.choose(right_index(content["quiz"][1]))
    quiz.check_button.click()
    cards = widgets.RecallCards(content["cards"], LESSON, store)
    for grade in ("again_button", "hard_button", "good_button", "easy_button"):
        cards.reveal_button.click()
        getattr(cards, grade).click()
    challenge = widgets.Challenge(content["challenges"], LESSON, store, clock=FakeClock(), tick=None)
    challenge.start_button.click()
    challenge.choose(right_index(content["challenges"][0]))
    challenge.submit_button.click()
    schedule = ReviewSchedule(store)
    ratings = {(kind, i): e["rating"] for kind, i, e in
               [(e["kind"], e["id"], e) for e in store.lesson(LESSON)["review"].values()]}
    c = [card["id"] for card in content["cards"]]
    assert ratings == {("quiz", content["quiz"][0]["id"]): "Again", ("quiz", content["quiz"][1]["id"]): "Good",
                       ("cards", c[0]): "Again", ("cards", c[1]): "Hard", ("cards", c[2]): "Good",
                       ("cards", c[3]): "Easy", ("challenges", content["challenges"][0]["id"]): "Good"}
    assert store.lesson(LESSON)["cards"] == {c[0]: "review", c[1]: "known", c[2]: "known", c[3]: "known"}
    clock.days(1)
    assert {(d.kind, d.item_id) for d in schedule.due()} == {("quiz", content["quiz"][0]["id"]), ("cards", c[0]),
                                                             ("cards", c[1])}  # Again and Hard: tomorrow


def test_the_dashboard_shows_what_is_due_and_runs_the_review(store, clock):
    content = load_lesson_content(LESSON)
    first = content["quiz"][0]
    schedule = ReviewSchedule(store)
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
            assert review.good_button.disabled
            review.reveal_button.click()
            days = schedule.preview(due)  # what each grade would do, shown on its button before it is pressed
            assert [b.description for b in review.grade_buttons.values()] == [f"{r.name} ({days[r]} d)" for r in GRADES]
            assert days[Rating.Again] == 1 < days[Rating.Good] < days[Rating.Easy]
            review.good_button.click()
        else:
            review.choose(right_index(item))
            review.check_button.click()
            assert "Right" in review.feedback.value
            review.next_button.click()
    assert "Review done: <b>3 / 3</b>" in review.header.value
    assert "Due today for review: 0" in dashboard.due_html.value
    clock.days(1)
    dashboard.refresh()
    assert "Due today for review: 0" in dashboard.due_html.value  # right in review: longer than a day away
    clock.days(30)
    dashboard.refresh()
    assert "Due today for review: 3" in dashboard.due_html.value  # ... but back, not gone


def test_options_are_shuffled_anew_at_each_review_and_the_same_when_shown_again(store, clock):
    item = load_lesson_content(LESSON)["quiz"][0]
    schedule = ReviewSchedule(store)
    scheduled = schedule.missed(LESSON, "quiz", item["id"])
    orders = []
    for _ in range(4):
        wait_for(schedule, clock, scheduled)
        review, again = widgets.SpacedReview(store), widgets.SpacedReview(store)
        assert review.options == again.options  # the same review shown twice: the same order
        orders.append(review.options)
        review.choose(wrong_index(item))
        review.check_button.click()
        assert "Not quite" in review.feedback.value
        scheduled = schedule.item(LESSON, "quiz", item["id"])
    assert all(sorted(o) == sorted(opt["text"] for opt in item["options"]) for o in orders)
    assert len({tuple(o) for o in orders}) > 1  # a new order across reviews


def test_a_review_item_whose_content_is_gone_is_skipped(store, clock):
    schedule = ReviewSchedule(store)
    schedule.missed(LESSON, "quiz", "no-longer-in-the-course")
    store.record(LESSON, "review", "junk", {"kind": "quiz"})  # a hand-edited entry
    store.record(LESSON, "review", "bad-card", {"kind": "cards", "id": "c", "due": "2024-01-16", "reviews": 1,
                                                "card": {"state": 2}})
    clock.days(1)
    review = widgets.ProgressDashboard(store).start_review()
    assert review.queue == [] and "Nothing is due today" in review.header.value


@pytest.mark.parametrize("lesson_id", available_lessons())
def test_every_lesson_counts_what_is_due_and_runs_the_review(lesson_id, store, clock):
    ReviewSchedule(store).missed("01_why_fine_tune", "quiz", load_lesson_content("01_why_fine_tune")["quiz"][0]["id"])
    ReviewSchedule(store).missed(LESSON, "quiz", load_lesson_content(LESSON)["quiz"][0]["id"])
    clock.days(1)
    tab = widgets.learning_modes(lesson_id, store=store, tick=None)
    assert tab.titles == TAB_TITLES and "Review" in TAB_TITLES
    progress, panel = tab.children[TAB_TITLES.index("Progress")], tab.children[TAB_TITLES.index("Review")]
    assert isinstance(panel, ReviewPanel)
    here = int(lesson_id in ("01_why_fine_tune", LESSON))
    for html in (progress.due_html.value, panel.due_html.value):
        assert "Due today for review: 2" in html and f"from this lesson: {here}" in html
    review = panel.start_review()
    due, item = review.queue[0]
    review.choose(right_index(item))
    review.check_button.click()  # one answer: every count in the lesson follows
    assert "Due today for review: 1" in progress.due_html.value and "Due today for review: 1" in panel.due_html.value
