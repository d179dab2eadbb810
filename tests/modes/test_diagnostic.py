"""The "test this pattern" diagnostic: ten questions drawn from the lesson's content, scored per level, with
a verdict that names the sections to read."""

import pytest
from modes_helpers import wrong_index

import widgets
from widgets.modes.choice import right_index
from widgets.modes.content import LESSON_IDS, diagnostic_items, level, load_lesson_content
from widgets.modes.diagnostic import DiagnosticRun, section_anchor
from widgets.modes.progress.store import ProgressStore

LESSON = "03_strategy_in_vision"


@pytest.fixture
def content():
    return load_lesson_content(LESSON)


def answer_all(run, wrong=()):
    for i, item in enumerate(run.items):
        run.answer(i, wrong_index(item) if item["id"] in wrong else right_index(item))


def test_all_right_is_strong(content):
    run = DiagnosticRun(diagnostic_items(content), content["sections"])
    answer_all(run)
    verdict = run.verdict()
    assert verdict.strong and verdict.review == []
    assert sum(n for _, n in verdict.by_level.values()) == 10 and "Strong" in verdict.html()


def test_misses_name_the_sections_to_read_in_lesson_order(content):
    items = diagnostic_items(content)
    missed = [i for i in items if level(i) == "hard"] + [items[0]]
    run = DiagnosticRun(items, content["sections"])
    answer_all(run, wrong={i["id"] for i in missed})
    verdict = run.verdict()
    numbers = sorted({i["section"] for i in missed})
    assert not verdict.strong and [n for n, _ in verdict.review] == numbers
    assert verdict.by_level["hard"][0] == 0
    html = verdict.html()
    for number in numbers:
        title = content["sections"][number - 1]
        assert f"href='#{section_anchor(number, title)}'" in html.replace("&#x27;", "'") or title in html


def test_strong_needs_every_level(content):
    """8 of 10 right is not strong when the hard questions are all wrong."""
    items = diagnostic_items(content)
    hard = [i["id"] for i in items if level(i) == "hard"]
    run = DiagnosticRun(items, content["sections"])
    answer_all(run, wrong=set(hard))
    right = sum(r for r, _ in run.by_level().values())
    assert right == 10 - len(hard) and not run.verdict().strong


def test_the_widget_runs_saves_and_gives_the_verdict(content, tmp_path):
    store = ProgressStore(tmp_path / "progress.json")
    items = diagnostic_items(content)
    view = widgets.learning_modes(LESSON, store=store, tick=None).children[0]
    missed = [item for item in items if level(item) == "hard"]
    for item in items:
        view.choose(wrong_index(item) if item in missed else right_index(item))
        view.check_button.click()
        view.next_button.click()
    assert "Review" in view.result.value and f"section {missed[0]['section']}" in view.result.value
    saved = store.lesson(LESSON)["diagnostic"]
    assert len(saved) == 10 and saved[missed[0]["id"]]["correct"] is False


def test_section_anchor_is_jupyterlabs_heading_id():
    assert section_anchor(3, "Which layers to freeze, and why") == "3.-Which-layers-to-freeze,-and-why"


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_diagnostic_item_points_at_a_real_section(lesson_id):
    content = load_lesson_content(lesson_id)
    for item in diagnostic_items(content):
        assert 1 <= item["section"] <= len(content["sections"])
