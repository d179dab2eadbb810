"""The "test this pattern" diagnostic: two parallel forms of the lesson's own questions, answers shown only at the
end, every run kept in the progress file, the gain from the first run to the latest shown, and a verdict that
names the sections to read."""

import pytest
from modes_helpers import FakeClock, wrong_index

import widgets
from widgets.modes.choice import right_index
from widgets.modes.content import diagnostic_forms, level, load_lesson_content
from widgets.modes.diagnostic import (
    Diagnostic,
    DiagnosticRun,
    diagnostic_answers,
    diagnostic_runs,
    gain,
    section_anchor,
)
from widgets.modes.progress.store import ProgressStore

LESSON = "03_strategy_in_vision"


@pytest.fixture
def content():
    return load_lesson_content(LESSON)


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.json", clock=FakeClock())


def right(item):
    return item["numeric"]["value"] if "numeric" in item else right_index(item)


def wrong(item):
    return item["numeric"]["value"] * 10 + 1 if "numeric" in item else wrong_index(item)


def answer_all(run, missed=()):
    for i, item in enumerate(run.items):
        run.answer(i, wrong(item) if item["id"] in missed else right(item))


def take(view, missed=()):
    """Answer every question of the view's current run, as a learner clicking Next (and Finish) would."""
    for item in list(view.run.items):
        view.choose(wrong(item) if item["id"] in missed else right(item))
        if "numeric" in item:
            view.question.number.value = str(wrong(item) if item["id"] in missed else right(item))
        view.next_button.click()


def test_all_right_is_strong(content):
    run = DiagnosticRun(diagnostic_forms(content)["A"], content["sections"])
    answer_all(run)
    verdict = run.verdict()
    assert verdict.strong and verdict.review == []
    assert sum(n for _, n in verdict.by_level.values()) == len(run.items) and "Strong" in verdict.html()


def test_misses_name_the_sections_to_read_in_lesson_order(content):
    items = diagnostic_forms(content)["B"]
    missed = [i for i in items if level(i) == "hard"] + [items[0]]
    run = DiagnosticRun(items, content["sections"], "B")
    answer_all(run, {i["id"] for i in missed})
    verdict = run.verdict()
    numbers = sorted({i["section"] for i in missed})
    assert not verdict.strong and [n for n, _ in verdict.review] == numbers and verdict.by_level["hard"][0] == 0
    html = verdict.html().replace("&#x27;", "'")
    for number in numbers:
        assert f"href='#{section_anchor(number, content['sections'][number - 1])}'" in html


def test_strong_needs_every_level(content):
    items = diagnostic_forms(content)["A"]
    hard = {i["id"] for i in items if level(i) == "hard"}
    run = DiagnosticRun(items, content["sections"])
    answer_all(run, hard)
    assert run.score == (len(items) - len(hard), len(items)) and not run.verdict().strong


def test_no_answer_is_shown_before_the_end(content, store):
    view = widgets.learning_modes(LESSON, store=store, tick=None).children[0]
    assert isinstance(view, Diagnostic) and view.run.form == "A"
    first = view.run.items[0]
    view.next_button.click()  # nothing chosen yet
    assert "Pick an option first" in view.message.value and view.index == 0
    view.choose(wrong(first))
    view.next_button.click()
    shown = view.intro.value + view.message.value + view.result.value
    why = first["options"][right(first)]["explanation"]
    assert "Not quite" not in shown and "Right" not in shown and why not in shown
    assert view.index == 1 and view.back_button.disabled is False
    view.back_button.click()  # an answer may change until the end
    assert view.question.value == wrong(first)
    view.choose(right(first))
    view.next_button.click()
    take_rest = list(view.run.items)[1:]
    for item in take_rest:
        view.choose(right(item))
        if "numeric" in item:
            view.question.number.value = str(right(item))
        view.next_button.click()
    n = len(take_rest) + 1
    assert view.run.done and "Review" in view.result.value and f"{n} / {n} right" in view.result.value


def test_both_runs_are_kept_and_the_second_shows_the_gain(content, store):
    view = widgets.learning_modes(LESSON, store=store, tick=None).children[0]
    forms = diagnostic_forms(content)
    hard_a = {i["id"] for i in forms["A"] if level(i) != "easy"}
    take(view, missed=hard_a)
    first_score = len(forms["A"]) - len(hard_a)
    assert "Gain" not in view.result.value and not view.new_button.disabled
    store.clock.days(7)
    view.new_button.click()
    assert view.run.form == "B" and view.index == 0 and not view.run.answers
    take(view)
    runs = diagnostic_runs(store.lesson(LESSON)["diagnostic"])
    assert [(r["form"], r["score"]) for r in runs] == [("A", [first_score, 8]), ("B", [8, 8])]
    for run in runs:
        assert run["finished"] and run["started"] and set(run["answers"]) == {i["id"] for i in forms[run["form"]]}
    assert runs[0]["started"] < runs[1]["started"]
    assert f"Gain: +{8 - first_score}" in view.result.value and "form A" in view.result.value
    assert gain(runs)[2] == 8 - first_score
    answers = diagnostic_answers(store.lesson(LESSON)["diagnostic"])
    assert len(answers) == 16 and all(isinstance(a["correct"], bool) for a in answers.values())


def test_a_run_stopped_half_way_goes_on_where_it_stopped(content, store):
    view = widgets.learning_modes(LESSON, store=store, tick=None).children[0]
    items = view.run.items
    for item in items[:3]:
        view.choose(right(item))
        view.next_button.click()
    saved = diagnostic_runs(store.lesson(LESSON)["diagnostic"])
    assert len(saved) == 1 and not saved[0]["finished"] and len(saved[0]["answers"]) == 3
    again = widgets.learning_modes(LESSON, store=store, tick=None).children[0]  # a new kernel, the same file
    assert again.run.form == "A" and again.index == 3 and len(again.run.answers) == 3
    take_rest = items[3:]
    for item in take_rest:
        again.choose(right(item))
        if "numeric" in item:
            again.question.number.value = str(right(item))
        again.next_button.click()
    runs = diagnostic_runs(store.lesson(LESSON)["diagnostic"])
    assert len(runs) == 1 and runs[0]["finished"] and runs[0]["score"] == [8, 8]


def test_a_view_without_a_lesson_keeps_its_runs_in_memory(content):
    view = Diagnostic(diagnostic_forms(content), content["sections"], clock=FakeClock())
    take(view)
    view.new_button.click()
    take(view)
    assert [r["form"] for r in view.runs()] == ["A", "B"] and "Gain: +0" in view.result.value


def test_section_anchor_is_jupyterlabs_heading_id():
    assert section_anchor(3, "Which layers to freeze, and why") == "3.-Which-layers-to-freeze,-and-why"


def test_answers_saved_before_the_forms_existed_are_not_runs():
    old = {"sq-early-layers": {"chosen": 0, "correct": True}, "run-x": {"form": "C"}}
    assert diagnostic_runs(old) == [] and diagnostic_answers(old) == {}
