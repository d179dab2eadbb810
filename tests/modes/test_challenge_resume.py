"""A challenge set lives in the progress store: it resumes in a new view (a re-run cell, a kernel restart), a
forgotten view's clock never overwrites a solve, a paused problem hides its question, and no route (start over,
re-run, new view, restart, a hand-edited file) turns a failed badge round into a badge."""

import json

import pytest
from modes_helpers import FakeClock, play_round, wrong_index

import widgets
from widgets.modes import base
from widgets.modes.challenge_set import HINT_COST, PAUSES
from widgets.modes.choice import right_index
from widgets.modes.content import load_lesson_content
from widgets.modes.dashboard import summarize
from widgets.modes.progress import record
from widgets.modes.progress.store import ProgressStore

LESSON = "02_freezing_layers"


@pytest.fixture
def content():
    return load_lesson_content(LESSON)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def store(tmp_path, clock):
    return ProgressStore(tmp_path / "progress.json", clock=clock)  # one clock for the wall and the countdowns


def challenge(content, store, clock, **kw):
    return widgets.Challenge(content["challenges"], LESSON, store, clock=clock, tick=kw.pop("tick", None), **kw)


def another_kernel(monkeypatch):
    """A second kernel has its own views: forget which views this one opened."""
    monkeypatch.setattr(base, "_newest", {})


def test_a_new_view_resumes_the_running_clock_attempts_hint_and_pauses(content, store, clock, tmp_path):
    first = challenge(content, store, clock)
    first.start_button.click()
    first.pause_button.click()  # one of the set's pauses used
    first.pause_button.click()  # resume
    clock.advance(20)
    first.hint_button.click()
    first.choose(wrong_index(content["challenges"][0]))
    first.submit_button.click()
    clock.advance(15)  # the kernel restarts: its time keeps running
    again = challenge(content, ProgressStore(tmp_path / "progress.json", clock=clock), clock)
    state = again.set.states[0]
    assert state.status == "running" and state.attempts_left == 1 and state.hint_shown
    assert state.countdown.remaining == pytest.approx(120 - 20 - HINT_COST - 15)
    assert again.set.pauses_left == PAUSES - 1 and again.index == 0
    assert len(again.options.labels) == len(content["challenges"][0]["options"])  # the question shows
    assert "attempts left: <b>1</b>" in again.clock_label.value


def test_a_clock_that_ran_out_while_the_kernel_was_down_is_timed_out(content, store, clock, tmp_path):
    challenge(content, store, clock).start_button.click()
    clock.advance(500)
    again = challenge(content, ProgressStore(tmp_path / "progress.json", clock=clock), clock)
    assert again.set.states[0].status == "failed" and "Time's up" in again.feedback.value
    assert store.load()["lessons"][LESSON]["challenges"][content["challenges"][0]["id"]]["reason"] == "timed out"


def test_a_stale_view_whose_clock_runs_out_never_overwrites_the_solve(content, store, clock, monkeypatch):
    problem = content["challenges"][0]
    stale = challenge(content, store, clock)
    stale.start_button.click()
    another_kernel(monkeypatch)  # the learner opens the lesson in another notebook and solves it there
    fresh = challenge(content, ProgressStore(store.path, clock=clock), clock)
    clock.advance(30)
    fresh.choose(right_index(problem))
    fresh.submit_button.click()
    clock.advance(500)
    stale.refresh()  # what the old view's ticker does when its clock runs out
    lesson = ProgressStore(store.path).lesson(LESSON)
    assert lesson["challenges"][problem["id"]]["status"] == "solved"
    scheduled = lesson["review"][f"challenges:{problem['id']}"]
    assert (scheduled["rating"], scheduled["reviews"]) == ("Good", 1)  # scheduled once, as solved: never as Again
    assert [e["correct"] for e in lesson["log"]] == [True]
    assert stale.set.states[0].status == "solved" and "changed in another view" in stale.feedback.value


def test_running_the_cell_again_or_closing_stops_the_old_views_clock(content, store, clock):
    old = challenge(content, store, clock, tick="thread")
    old.start_button.click()
    assert old.ticker.active
    new = challenge(content, store, clock, tick="thread")  # the cell run again: a new view on the same lesson
    old.ticker._thread.join(5)
    assert not old.ticker.active and old.submit_button.disabled and "newer view" in old.feedback.value
    assert new.ticker.active and new.set.states[0].status == "running"  # the new view resumed the clock
    new.close()
    new.ticker._thread.join(5)
    assert not new.ticker.active


def test_a_paused_problem_hides_its_question_options_and_hint(content, store, clock):
    view = challenge(content, store, clock)
    problem = content["challenges"][0]
    view.start_button.click()
    view.hint_button.click()
    view.choose(wrong_index(problem))
    view.pause_button.click()
    assert view.options.labels == [] and problem["question"][:30] not in view.question.prompt.value
    assert view.hint.value == "" and "Paused" in view.question.prompt.value
    view.pause_button.click()  # resume: the question, the hint and the choice come back
    assert len(view.options.labels) == len(problem["options"]) and problem["hint"].split()[0] in view.hint.value
    assert view.question.value == wrong_index(problem)


def fail_the_badge_round(view, clock, content):
    """Problem 1 failed (no attempts left), the others solved."""
    view.go_to(0)
    view.start_button.click()
    for _ in range(2):
        clock.advance(5)
        view.choose(wrong_index(content["challenges"][0]))
        view.submit_button.click()
    play_round(view, clock)
    assert view.set.state(0).status == "failed" and view.set.solved == len(content["challenges"]) - 1


def hand_edit(path):
    data = json.loads(path.read_text())
    lesson = data["lessons"][LESSON]
    lesson["badge"] = "anything"
    for value in lesson["challenges"].values():
        value["status"] = "solved"
    del lesson["challenge_set"]
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("route", ["start over", "run the cell again", "new view", "kernel restart", "hand edit"])
def test_no_route_turns_a_failed_set_into_a_badge(content, store, clock, tmp_path, route):
    view = challenge(content, store, clock)
    fail_the_badge_round(view, clock, content)
    if route == "start over":
        view.again_button.click()
    elif route == "run the cell again":
        view = challenge(content, store, clock)
    elif route == "new view":
        view = widgets.learning_modes(LESSON, store=store, clock=clock, tick=None).children[3]
    elif route == "kernel restart":
        view = challenge(content, ProgressStore(tmp_path / "progress.json", clock=clock), clock)
    else:
        hand_edit(tmp_path / "progress.json")
        view = challenge(content, ProgressStore(tmp_path / "progress.json", clock=clock), clock)
    assert view.set.state(0).status == "failed" or view.set.practice  # problem 1 cannot be tried again for the badge
    play_round(view, clock)
    view.again_button.click()
    play_round(view, clock)  # and a practice round, all solved
    lesson = ProgressStore(tmp_path / "progress.json").lesson(LESSON)
    assert "Badge earned" not in view.badge.value
    assert not record.badge_earned(lesson, [p["id"] for p in content["challenges"]])
    assert not summarize(LESSON, content, lesson).badge


def test_try_again_is_a_practice_round_and_survives_a_restart(content, store, clock, tmp_path):
    view = challenge(content, store, clock)
    fail_the_badge_round(view, clock, content)
    view.again_button.click()
    assert view.set.practice and "practice round 1" in view.header.value
    view.start_button.click()
    again = challenge(content, ProgressStore(tmp_path / "progress.json", clock=clock), clock)
    assert again.set.practice and again.set.states[0].status == "running"
    lesson = store.load()["lessons"][LESSON]
    assert lesson["challenges"][content["challenges"][0]["id"]]["status"] == "failed"  # the badge round is kept


def test_a_version_1_file_with_a_backed_badge_keeps_it(content, tmp_path):
    """Today's format before the answer log: challenge records, a badge date, no log."""
    solved = {p["id"]: {"status": "solved", "reason": "", "attempts_used": 1, "seconds": 31.5, "hint": False,
                        "chosen": [right_index(p)]} for p in content["challenges"]}
    v1 = {"version": 1, "lessons": {LESSON: {"cards": {}, "quiz": {"q-requires-grad": {"chosen": 0, "correct": True}},
                                             "challenges": solved, "practice": {}, "explain": {}, "diagnostic": {},
                                             "review": {}, "badge": "2026-03-01 09:30"}}}
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(v1))
    store = ProgressStore(path)
    assert store.message == ""
    lesson = store.lesson(LESSON)
    assert summarize(LESSON, content, lesson).badge and record.first_tries(lesson, "quiz") == {"q-requires-grad": True}
    view = challenge(content, store, FakeClock())
    assert "Badge earned" in view.badge.value and view.set.done
