"""Learning modes, headless: the logic classes and the widgets driven by simulated clicks."""

import datetime
import json
import random

import ipywidgets as ipw
import pytest

import widgets
from widgets.modes.cards import Deck
from widgets.modes.challenge import ChallengeSet
from widgets.modes.content import load_lesson_content
from widgets.modes.explain import ExplainPrompt
from widgets.modes.practice import PracticeProblem
from widgets.modes.quiz import QuizSession, right_index
from widgets.modes.store import ProgressStore
from widgets.modes.timer import Countdown

LESSON = "02_freezing_layers"


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def content():
    return load_lesson_content(LESSON)


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.json")


def wrong_index(item):
    return next(k for k, o in enumerate(item["options"]) if not o["correct"])


# --- recall cards --------------------------------------------------------------------------------------------

def test_deck_requeues_missed_cards_until_known(content):
    deck = Deck(content["cards"][:3])
    first, second, third = (c["id"] for c in content["cards"][:3])
    deck.reveal()
    assert deck.review_again()["id"] == first
    assert list(deck.queue) == [second, third, first]
    deck.got_it(), deck.got_it()
    assert deck.current["id"] == first and deck.misses == {first: 1}
    deck.got_it()
    assert deck.finished and deck.progress() == (3, 3)
    deck.restart(only_missed=True)
    assert list(deck.queue) == [first]


def test_shuffle_order_is_fixed_by_the_injected_rng(content):
    orders = []
    for _ in range(2):
        deck = Deck(content["cards"], rng=random.Random(7))
        deck.shuffle()
        orders.append(list(deck.queue))
    assert orders[0] == orders[1]
    assert sorted(orders[0]) == sorted(c["id"] for c in content["cards"])
    assert orders[0] != [c["id"] for c in content["cards"]]


def test_recall_cards_widget_reveals_then_saves(content, store):
    view = widgets.RecallCards(content["cards"], LESSON, store)
    assert view.got_button.disabled and not view.reveal_button.disabled
    view.reveal_button.click()
    assert content["cards"][0]["answer"].split()[0] in view.answer.value
    view.got_button.click()
    assert store.lesson(LESSON)["cards"] == {content["cards"][0]["id"]: "known"}
    # a new widget (a new session) starts with the known card out of the queue
    again = widgets.RecallCards(content["cards"], LESSON, ProgressStore(store.path))
    assert again.deck.current["id"] == content["cards"][1]["id"]


# --- quiz ----------------------------------------------------------------------------------------------------

def test_quiz_right_and_wrong_with_explanations(content):
    quiz = QuizSession(content["quiz"])
    q0 = quiz.current
    feedback = quiz.answer(right_index(q0))
    assert feedback.correct and feedback.chosen_explanation == q0["options"][right_index(q0)]["explanation"]
    quiz.next()
    q1 = quiz.current
    feedback = quiz.answer(wrong_index(q1))
    assert not feedback.correct
    assert feedback.chosen_explanation == q1["options"][wrong_index(q1)]["explanation"]
    assert feedback.right_explanation == q1["options"][right_index(q1)]["explanation"]
    assert quiz.answer(right_index(q1)) is feedback  # one answer per question per pass
    assert quiz.score == (1, 2)


def test_options_are_shown_in_a_fixed_shuffled_order(content, store):
    from widgets.modes.quiz import display_order

    view = widgets.Quiz(content["quiz"], LESSON, store)
    first = content["quiz"][0]
    assert [label for label, _ in view.options.options] == [first["options"][k]["text"] for k in display_order(first)]
    assert display_order(first) == display_order(first)
    # across the course's items the right answer is not always in the same place
    items = content["quiz"] + content["challenges"] + content["practice"]
    places = {display_order(item).index(right_index(item)) for item in items}
    assert len(places) > 1


def test_quiz_widget_keeps_a_running_score_and_saves(content, store):
    view = widgets.Quiz(content["quiz"], LESSON, store)
    view.check_button.click()
    assert "Pick an option first" in view.feedback.value
    view.choose(right_index(content["quiz"][0]))
    view.check_button.click()
    assert "Right" in view.feedback.value and "1 / 1" in view.score_label.value
    view.next_button.click()
    view.choose(wrong_index(content["quiz"][1]))
    view.check_button.click()
    assert "Not quite" in view.feedback.value and "1 / 2" in view.score_label.value
    assert "Why:" in view.feedback.value and ".:" not in view.feedback.value  # no "learns.: With ..."
    saved = store.lesson(LESSON)["quiz"]
    assert saved[content["quiz"][0]["id"]]["correct"] is True and saved[content["quiz"][1]["id"]]["correct"] is False


# --- challenge -----------------------------------------------------------------------------------------------

def test_countdown_pauses_and_expires():
    clock = FakeClock()
    countdown = Countdown(120, clock=clock)
    assert str(countdown) == "2:00" and not countdown.started
    countdown.start()
    clock.advance(30.5)
    assert str(countdown) == "1:30"
    countdown.pause()
    clock.advance(500)
    assert countdown.paused and countdown.remaining == pytest.approx(89.5)
    countdown.resume()
    clock.advance(89.5)
    assert countdown.expired and str(countdown) == "0:00"


def test_challenge_attempts_run_out(content):
    problems = content["challenges"]
    challenge = ChallengeSet(problems, clock=FakeClock())
    assert challenge.submit(0, right_index(problems[0])).message.startswith("Start")  # clock not started
    challenge.start(0)
    first = challenge.submit(0, wrong_index(problems[0]))
    assert not first.correct and first.attempts_left == 1 and first.status == "running"
    second = challenge.submit(0, wrong_index(problems[0]))
    assert second.status == "failed" and second.message.startswith("No attempts left")
    assert challenge.submit(0, right_index(problems[0])).status == "failed"  # too late


def test_challenge_timer_expires(content):
    clock = FakeClock()
    problems = content["challenges"]
    challenge = ChallengeSet(problems, clock=clock)
    challenge.start(1)
    clock.advance(60)
    challenge.pause(1)
    clock.advance(1000)  # paused: no time used
    assert challenge.state(1).status == "paused"
    challenge.resume(1)
    clock.advance(60)
    assert challenge.state(1).status == "failed" and challenge.state(1).reason == "time"
    outcome = challenge.submit(1, right_index(problems[1]))
    assert not outcome.correct and outcome.message.startswith("Time's up")


def test_badge_only_when_every_problem_is_solved(content):
    problems = content["challenges"]
    challenge = ChallengeSet(problems, clock=FakeClock())
    for i, problem in enumerate(problems):
        assert not challenge.badge
        challenge.start(i)
        if i == 0:  # a wrong first try still leaves an attempt
            challenge.submit(i, wrong_index(problem))
        assert challenge.submit(i, right_index(problem)).correct
    assert challenge.badge


def test_challenge_widget_expires_on_refresh_and_awards_the_badge(content, store):
    clock = FakeClock()
    problems = content["challenges"]
    view = widgets.Challenge(problems, LESSON, store, clock=clock, tick=None)
    assert view.submit_button.disabled and "2:00" in view.clock_label.value
    view.start_button.click()
    clock.advance(121)
    view.refresh()
    assert "Time's up" in view.feedback.value
    assert store.lesson(LESSON)["challenges"][problems[0]["id"]]["reason"] == "time"
    view.again_button.click()
    for i, problem in enumerate(problems):
        view.go_to(i)
        view.start_button.click()
        view.hint_button.click()
        assert problem["hint"].split()[0] in view.hint.value
        view.choose(right_index(problem))
        view.submit_button.click()
    assert "Badge earned" in view.badge.value
    assert store.lesson(LESSON)["badge"]


def test_switching_problem_pauses_the_clock(content, store):
    clock = FakeClock()
    view = widgets.Challenge(content["challenges"], LESSON, store, clock=clock, tick=None)
    view.start_button.click()
    view.go_to(1)
    clock.advance(500)
    assert view.set.state(0).status == "paused"


# --- practice ------------------------------------------------------------------------------------------------

def test_practice_reveals_steps_one_at_a_time(content):
    item = content["practice"][0]
    problem = PracticeProblem(item)
    assert problem.final_answer is None
    for n in range(1, len(item["steps"]) + 1):
        assert problem.next_step() == item["steps"][:n]
    assert problem.all_steps_shown and problem.final_answer == item["answer"]
    assert problem.next_step() == item["steps"]  # no step past the last
    assert problem.show_mistakes() == item["mistakes"] and problem.show_hint() == item["hint"]


def test_practice_widget(content, store):
    view = widgets.Practice(content["practice"], LESSON, store)
    item = content["practice"][0]
    view.step_button.click()
    assert "1 / " in view.steps.value and "Final answer" not in view.steps.value
    view.choose(right_index(item))
    view.check_button.click()
    assert "Right" in view.feedback.value and "Quick check" in view.feedback.value
    for _ in item["steps"]:
        view.step_button.click()
    assert "Final answer" in view.steps.value and view.step_button.disabled
    view.mistakes_button.click()
    assert "Common mistakes" in view.extra.value
    assert store.lesson(LESSON)["practice"][item["id"]]["correct"] is True


# --- explain -------------------------------------------------------------------------------------------------

def test_explain_suggests_concepts_and_the_learner_decides(content):
    item = content["explain"][0]
    prompt = ExplainPrompt(item)
    text = "Setting requires_grad to False means the weights get no gradient. Early layers find edges."
    suggested = prompt.submit(text)
    assert suggested == [c["concept"] for c in item["concepts"][:3]]
    assert prompt.summary() == f"3 / {len(item['concepts'])} concepts"
    prompt.untick(item["concepts"][0]["concept"])
    prompt.tick(item["concepts"][3]["concept"])
    assert prompt.score == (3, 4)
    with pytest.raises(ValueError, match="unknown concept"):
        prompt.tick("nonsense")
    # editing and submitting again keeps the learner's choices
    prompt.submit(text + " It keeps the features and trains faster.")
    assert prompt.ticked == [c["concept"] for c in item["concepts"][1:]]


def test_explain_stores_text_and_never_runs_it(content, store, tmp_path):
    marker = tmp_path / "ran"
    view = widgets.Explain(content["explain"], LESSON, store)
    panel = view.panels[0]
    panel.done_button.click()
    assert "Write something first" in panel.score.value and panel.checklist not in panel.children
    panel.text.value = f"open({str(marker)!r}, 'w') # requires_grad"
    panel.done_button.click()
    assert panel.checklist in panel.children  # the checklist appears once something is written
    panel.boxes[1].value = True
    assert "2 / 4 concepts" in panel.score.value
    saved = store.lesson(LESSON)["explain"][content["explain"][0]["id"]]
    assert saved["text"] == panel.text.value and len(saved["covered"]) == 2
    assert not marker.exists()


# --- progress ------------------------------------------------------------------------------------------------

def test_progress_is_saved_and_reloaded(store):
    store.record(LESSON, "quiz", "q-requires-grad", {"chosen": 0, "correct": True})
    store.set_badge(LESSON)
    reloaded = ProgressStore(store.path)
    assert reloaded.lesson(LESSON)["quiz"]["q-requires-grad"]["correct"] is True
    assert reloaded.lesson(LESSON)["badge"]
    assert json.loads(store.path.read_text())["version"] == 1


def test_two_kernels_do_not_erase_each_other(tmp_path):
    path = tmp_path / "progress.json"
    kernel_a, kernel_b = ProgressStore(path), ProgressStore(path)  # both loaded the (empty) file
    kernel_a.record("01_why_fine_tune", "cards", "a", "known")
    kernel_b.record("02_freezing_layers", "cards", "b", "known")
    kernel_a.record("01_why_fine_tune", "cards", "c", "known")
    final = ProgressStore(path)
    assert final.lesson("01_why_fine_tune")["cards"] == {"a": "known", "c": "known"}
    assert final.lesson("02_freezing_layers")["cards"] == {"b": "known"}


def _hammer(path, lesson, n):
    store = ProgressStore(path)
    for k in range(n):
        store.record(lesson, "cards", f"card{k}", "known")


def test_concurrent_processes_keep_every_answer(tmp_path):
    import multiprocessing

    path = tmp_path / "progress.json"
    ctx = multiprocessing.get_context("fork" if hasattr(__import__("os"), "fork") else "spawn")
    procs = [ctx.Process(target=_hammer, args=(path, f"lesson{k}", 25)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    final = ProgressStore(path)
    for k in range(3):
        assert len(final.lesson(f"lesson{k}")["cards"]) == 25


def test_a_corrupt_file_is_backed_up_and_replaced(tmp_path, content):
    path = tmp_path / "progress.json"
    path.write_text("{ this is not json", encoding="utf-8")
    store = ProgressStore(path)
    backups = list(tmp_path.glob("progress.corrupt-*.json"))
    assert len(backups) == 1 and backups[0].read_text() == "{ this is not json"
    assert "could not be read" in store.message and backups[0].name in store.message
    assert json.loads(path.read_text())["lessons"] == {}
    view = widgets.Progress(LESSON, content, store)
    assert "could not be read" in view.message.value
    store.record(LESSON, "cards", "x", "known")  # and it keeps working
    assert ProgressStore(path).lesson(LESSON)["cards"] == {"x": "known"}


def test_a_wrong_shape_counts_as_corrupt(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(json.dumps({"lessons": {"01_why_fine_tune": {"cards": [1, 2]}}}))
    store = ProgressStore(path)
    assert store.message and store.lessons() == []


def test_export_and_import_merge(tmp_path, store):
    store.record(LESSON, "cards", "c-freeze-what", "known")
    exported = store.export(tmp_path / "mine.json")
    other = ProgressStore(tmp_path / "other.json")
    other.record("01_why_fine_tune", "cards", "z", "known")
    assert other.import_(exported) == [LESSON]
    assert other.lesson(LESSON)["cards"] == {"c-freeze-what": "known"}
    assert other.lesson("01_why_fine_tune")["cards"] == {"z": "known"}
    with pytest.raises(ValueError, match="not a progress file"):
        other.import_(b'{"hello": 1}')


def test_progress_widgets_count_and_update_live(content, store, tmp_path, monkeypatch):
    view = widgets.Progress(LESSON, content, store)
    assert "0%" in view.lesson_html.value
    quiz = widgets.Quiz(content["quiz"], LESSON, store)
    quiz.choose(right_index(content["quiz"][0]))
    quiz.check_button.click()
    assert f"quiz 1/{len(content['quiz'])}" in view.lesson_html.value
    dashboard = widgets.ProgressDashboard(store)
    assert "02 Freezing layers" in dashboard.table.value and "challenges 0/4" in dashboard.table.value
    monkeypatch.chdir(tmp_path)
    dashboard.transfer.export_button.click()
    assert "Exported" in dashboard.transfer.message.value and (tmp_path / "my_progress.json").exists()
    (tmp_path / "bad.json").write_text("[]")
    dashboard.transfer.path.value = "bad.json"
    dashboard.transfer.import_button.click()
    assert "Nothing imported" in dashboard.transfer.message.value


def test_unwritable_progress_is_a_message_not_a_crash(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = ProgressStore(blocker / "sub" / "progress.json")  # parent is a file: cannot be created
    store.record(LESSON, "cards", "a", "known")
    assert "kept in memory" in store.message and store.lesson(LESSON)["cards"] == {"a": "known"}


# --- the tabbed widget ---------------------------------------------------------------------------------------

def test_learning_modes_tabs(store, tmp_path, monkeypatch):
    tab = widgets.learning_modes(LESSON, store=store, tick=None)
    assert isinstance(tab, ipw.Tab)
    assert tab.titles == ("Recall cards", "Quiz", "Challenge", "Practice", "Explain", "Cheat sheet", "Progress")
    sheet = tab.children[5]
    assert "requires_grad" in sheet.to_markdown()
    monkeypatch.chdir(tmp_path)
    sheet.save_button.click()
    assert (tmp_path / f"cheatsheet_{LESSON}.html").read_text().startswith("<!doctype html>")


def test_learning_modes_opens_on_progress_after_a_corrupt_file(tmp_path):
    path = tmp_path / "progress.json"
    path.write_bytes(b"\x00\xff not json")
    tab = widgets.learning_modes(LESSON, store=ProgressStore(path), tick=None)
    assert tab.titles[tab.selected_index] == "Progress"
    assert "could not be read" in tab.children[-1].message.value


def test_import_by_upload(content, store, tmp_path):
    other = ProgressStore(tmp_path / "other.json")
    other.record(LESSON, "cards", "c-freeze-what", "known")
    view = widgets.Progress(LESSON, content, store)
    data = (tmp_path / "other.json").read_bytes()
    view.transfer.upload.value = ({"name": "other.json", "type": "application/json", "size": len(data),
                                   "content": memoryview(data), "last_modified": datetime.datetime(2026, 1, 1)},)
    assert "Imported progress for 1 lesson" in view.transfer.message.value
    assert store.lesson(LESSON)["cards"] == {"c-freeze-what": "known"} and view.transfer.upload.value == ()
    assert "cards 1/" in view.lesson_html.value


def test_unknown_lesson_is_a_message(store):
    tab = widgets.learning_modes("99_nope", store=store)
    assert "No learning content for lesson" in tab.children[0].value


def test_content_dir_can_be_overridden(tmp_path, monkeypatch, store):
    monkeypatch.setenv("FTLAB_CONTENT", str(tmp_path))
    tab = widgets.learning_modes(LESSON, store=store)
    assert "No learning content" in tab.children[0].value


def test_ticker_modes():
    import threading

    from widgets.modes.timer import Ticker

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


def test_lock_file_fallback_without_fcntl(tmp_path, monkeypatch):
    from widgets.modes import store as store_module

    monkeypatch.setattr(store_module, "fcntl", None)  # as on Windows
    path = tmp_path / "progress.json"
    a, b = ProgressStore(path), ProgressStore(path)
    a.record("01_why_fine_tune", "cards", "a", "known")
    b.record("02_freezing_layers", "cards", "b", "known")
    final = ProgressStore(path)
    assert final.lessons() == ["01_why_fine_tune", "02_freezing_layers"]
    assert not (tmp_path / "progress.json.lock").exists()  # released after every write


def test_content_text_cannot_inject_markup():
    from widgets.modes._html import md

    html = md("Use `x<y>` **now**\n```python\nif a < b:\n    pass\n```\n<script>alert(1)</script>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<code>x&lt;y&gt;</code>" in html and "<b>now</b>" in html and "if a &lt; b:\n    pass</pre>" in html
