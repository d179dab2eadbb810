"""Timed challenges, headless: the clock, attempts, pauses, the hint's price, timed-out answers, the badges."""

import threading

import pytest
from modes_helpers import FakeClock, play_round, wrong_index

import widgets
from widgets.modes.challenge_set import HINT_COST, PAUSES, ChallengeSet
from widgets.modes.choice import right_index
from widgets.modes.content import COURSE_BADGE, LESSON_IDS, load_lesson_content
from widgets.modes.progress.store import ProgressStore
from widgets.modes.timer import Countdown, Ticker

LESSON = "02_freezing_layers"


@pytest.fixture
def problems():
    return load_lesson_content(LESSON)["challenges"]


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.json")


def test_countdown_pauses_expires_and_takes_a_penalty():
    clock = FakeClock()
    countdown = Countdown(120, clock=clock)
    assert str(countdown) == "2:00" and not countdown.started
    countdown.start()
    clock.advance(30.5)
    assert str(countdown) == "1:30"
    countdown.pause()
    clock.advance(500)
    assert countdown.paused and countdown.remaining == pytest.approx(89.5)
    countdown.penalize(30)
    assert countdown.remaining == pytest.approx(59.5)
    countdown.resume()
    clock.advance(59.5)
    assert countdown.expired and str(countdown) == "0:00"


def test_attempts_run_out(problems):
    challenge = ChallengeSet(problems, clock=FakeClock())
    assert challenge.submit(0, right_index(problems[0])).message.startswith("Start")  # clock not started
    challenge.start(0)
    first = challenge.submit(0, wrong_index(problems[0]))
    assert not first.correct and first.attempts_left == 1 and first.status == "running"
    second = challenge.submit(0, wrong_index(problems[0]))
    assert second.status == "failed" and second.message.startswith("No attempts left")
    assert challenge.submit(0, right_index(problems[0])).status == "failed"  # too late


def test_an_answer_after_the_time_ran_out_is_recorded_as_timed_out(problems):
    clock = FakeClock()
    challenge = ChallengeSet(problems, clock=clock)
    challenge.start(1)
    clock.advance(121)  # nobody refreshed the view: the clock ran out silently
    outcome = challenge.submit(1, right_index(problems[1]))
    assert not outcome.correct and outcome.status == "failed" and outcome.message.startswith("Time's up")
    record = challenge.states[1].record()
    assert record["status"] == "failed" and record["reason"] == "timed out" and record["seconds"] == 120
    assert record["chosen"] == [right_index(problems[1])]  # the late answer is kept, and counts as timed out


def test_pauses_are_limited_per_set(problems):
    clock = FakeClock()
    challenge = ChallengeSet(problems, clock=clock)
    for i in range(PAUSES):
        challenge.start(i)
        assert challenge.pause(i) and challenge.state(i).status == "paused"
        clock.advance(1000)  # paused: no time used
        challenge.resume(i)
        assert challenge.state(i).countdown.remaining == 120
        challenge.submit(i, right_index(problems[i]))  # finished: its clock stops
    challenge.start(PAUSES)
    assert not challenge.pause(PAUSES) and challenge.state(PAUSES).status == "running"
    assert challenge.pauses_left == 0


def test_a_hint_costs_time_and_the_rules_say_so(problems):
    clock = FakeClock()
    challenge = ChallengeSet(problems, clock=clock)
    assert f"A hint costs {HINT_COST} seconds" in challenge.rules()
    with pytest.raises(RuntimeError, match="start the problem"):
        challenge.show_hint(0)
    challenge.start(0)
    assert challenge.show_hint(0) == problems[0]["hint"]
    assert challenge.state(0).countdown.remaining == 120 - HINT_COST
    challenge.show_hint(0)  # asking again costs nothing more
    assert challenge.state(0).countdown.remaining == 120 - HINT_COST


def test_a_clock_keeps_running_when_you_switch_problems(problems, store):
    clock = FakeClock()
    view = widgets.Challenge(problems, LESSON, store, clock=clock, tick=None)
    view.start_button.click()
    view.go_to(1)
    clock.advance(30)
    assert view.set.state(0).status == "running" and view.set.state(0).countdown.remaining == 90


def test_the_question_is_hidden_until_start(problems, store):
    view = widgets.Challenge(problems, LESSON, store, clock=FakeClock(), tick=None)
    first = problems[0]
    assert view.options.labels == [] and first["question"][:30] not in view.question.prompt.value
    assert "Press <b>Start</b>" in view.question.prompt.value and "Rules:" in view.rules.value
    view.start_button.click()
    assert len(view.options.labels) == len(first["options"]) and "<pre" in view.question.prompt.value


def test_the_widget_saves_a_timed_out_problem(problems, store):
    clock = FakeClock()
    view = widgets.Challenge(problems, LESSON, store, clock=clock, tick=None, badge="Layer Locksmith")
    assert view.submit_button.disabled and "2:00" in view.clock_label.value and "Layer Locksmith" in view.header.value
    view.start_button.click()
    clock.advance(121)
    view.refresh()
    assert "Time's up" in view.feedback.value
    saved = store.lesson(LESSON)["challenges"][problems[0]["id"]]
    assert saved["status"] == "failed" and saved["reason"] == "timed out" and saved["seconds"] == 120
    assert store.lesson(LESSON)["review"][f"challenges:{problems[0]['id']}"]["rating"] == "Again"  # back soon


def test_a_clean_badge_round_awards_the_named_badge_with_its_times(problems, store):
    clock = FakeClock()
    view = widgets.Challenge(problems, LESSON, store, clock=clock, tick=None, badge="Layer Locksmith")
    for i, problem in enumerate(problems):
        view.go_to(i)
        view.start_button.click()
        clock.advance(10)
        if i == 0:
            view.hint_button.click()
            assert problem["hint"].split()[0] in view.hint.value
        view.choose(right_index(problem))
        view.submit_button.click()
    assert "Badge earned: Layer Locksmith" in view.badge.value and store.lesson(LESSON)["badge"]["items"]
    times = {k: v["seconds"] for k, v in store.lesson(LESSON)["challenges"].items()}
    assert times[problems[0]["id"]] == 10 + HINT_COST and times[problems[1]["id"]] == 10
    log = store.lesson(LESSON)["log"]
    assert [(e["item"], e["correct"], e["attempt"]) for e in log] == [(p["id"], True, 1) for p in problems]


def test_a_solve_in_no_time_is_flagged_and_earns_no_badge(problems, store):
    clock = FakeClock()
    view = widgets.Challenge(problems, LESSON, store, clock=clock, tick=None)
    play_round(view, clock, seconds=0)
    assert view.set.solved == len(problems) and "Badge earned" not in view.badge.value
    assert "flagged" in view.feedback.value and store.lesson(LESSON)["badge"] is None
    assert all(e.get("flag") == "0.0 s" for e in store.lesson(LESSON)["log"])


def test_the_course_badge_needs_every_lesson_badge(store):
    clock = FakeClock()
    for lesson_id in LESSON_IDS[:-1]:  # every other lesson's badge, earned as a learner earns it
        play_round(widgets.Challenge(load_lesson_content(lesson_id)["challenges"], lesson_id, store, clock=clock,
                                     tick=None), clock)
    tab = widgets.learning_modes(LESSON_IDS[-1], store=store, clock=clock, tick=None)
    challenge = tab.children[3]
    content = load_lesson_content(LESSON_IDS[-1])
    play_round(challenge, clock)
    assert content["badge"] in challenge.badge.value and COURSE_BADGE in challenge.badge.value
    assert COURSE_BADGE in widgets.ProgressDashboard(store).table.value


def test_ticker_modes():
    ticks, done = [], threading.Event()

    def tick():
        ticks.append(1)
        if len(ticks) == 3:
            done.set()
            return False  # nothing left to show: the ticker stops itself
        return True

    ticker = Ticker(tick, interval=0.01, mode="thread")
    ticker.start()
    assert done.wait(5) and len(ticks) == 3
    ticker._thread.join(5)
    assert not ticker.active
    silent = Ticker(lambda: ticks.append(1), interval=0.01, mode=None)
    silent.start()  # a test or a non-interactive run: never ticks
    assert not silent.active and len(ticks) == 3
    # Asked for asyncio where no event loop runs: nothing ticks. A fresh thread has no running loop for sure
    # (the browser tests' Playwright leaves one marked running in pytest's main thread).
    outside_a_loop = Ticker(lambda: ticks.append(1), interval=0.01, mode="asyncio")
    starter = threading.Thread(target=outside_a_loop.start)
    starter.start()
    starter.join(5)
    assert not outside_a_loop.active and len(ticks) == 3
