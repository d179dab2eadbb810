"""Items answered with a number: every key computed by running code, what a learner may type, the message for text
that is no number, the feedback for a misconception, and the number box in the practice widget."""

import contextlib
import io

import pytest

import widgets
from widgets.modes.choice import ChoiceQuestion, check
from widgets.modes.content import LESSON_IDS, diagnostic_items, load_lesson_content
from widgets.modes.content.numeric import NumberError, fmt, parse_number, within
from widgets.modes.progress.store import ProgressStore


def numeric_items():
    found = []
    for lesson_id in LESSON_IDS:
        content = load_lesson_content(lesson_id)
        for item in content["practice"] + diagnostic_items(content):
            if "numeric" in item:
                found.append(pytest.param(lesson_id, item, id=f"{lesson_id}:{item['id']}"))
    return found


@pytest.mark.parametrize("lesson_id, item", numeric_items())
def test_every_numeric_key_is_what_its_code_prints(lesson_id, item):
    spec = item["numeric"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(spec.get("code") or item["code"], item["id"], "exec"), {"__name__": "__numeric__"})
    printed = parse_number(out.getvalue().strip(), spec.get("unit", ""))
    assert within(printed, spec["value"], 1e-9), (printed, spec["value"])  # the key itself, not just near it
    for miss in spec.get("misses") or []:
        assert not check(item, miss["value"]).correct


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_lesson_with_a_number_to_get_right_asks_for_it(lesson_id):
    content = load_lesson_content(lesson_id)
    assert any("numeric" in item for item in content["practice"] + diagnostic_items(content))


@pytest.mark.parametrize("typed, value", [
    ("11000", 11000), ("11,000", 11000), ("11 000", 11000), ("11_000", 11000), ("1e-3", 0.001), ("3E-4", 3e-4),
    (" 0.5 ", 0.5), (".25", 0.25), ("−2", -2), ("1,234,567.5", 1234567.5), ("14 MB", 14),
])
def test_a_number_may_be_typed_the_way_people_write_it(typed, value):
    assert parse_number(typed, unit="MB") == pytest.approx(value)


@pytest.mark.parametrize("typed, message", [
    ("", "Type a number first"), ("abc", "is not a number"), ("1,5", "decimals with a point"),
    ("12%", "without the % sign"), ("1,0000", "decimals with a point"), ("1e999", "too large"),
    ("5 apples", "not a number"),
])
def test_text_that_is_no_number_gets_a_message_that_says_what_to_type(typed, message):
    with pytest.raises(NumberError, match=message):
        parse_number(typed)


def test_numbers_are_shown_as_the_course_writes_them():
    assert [fmt(v) for v in (97866, 0.0125, 1e-5, 3.2, 2565.0)] == ["97,866", "0.0125", "1e-5", "3.2", "2,565"]


def _item(lesson_id, item_id):
    content = load_lesson_content(lesson_id)
    return next(i for i in content["practice"] + diagnostic_items(content) if i["id"] == item_id)


def test_the_tolerance_is_relative_and_a_misconception_gets_its_own_explanation():
    item = _item("01_why_fine_tune", "wp-epochs-50")  # 3.2 epochs, 1% tolerance
    assert check(item, "3.2").correct and check(item, "3.22").correct and not check(item, "3.3").correct
    feedback = check(item, "16")
    assert not feedback.correct and "100 images" in feedback.chosen_explanation
    assert feedback.right_text == "3.2 epochs" and "1,600" in feedback.right_explanation
    assert "factor of ten" in check(item, "32").chosen_explanation
    with pytest.raises(NumberError):
        check(item, "three")


def test_an_exact_count_accepts_only_the_count():
    item = _item("02_freezing_layers", "p-count-trainable")  # 2,565, tolerance 0
    assert check(item, "2,565").correct and not check(item, "2566").correct
    assert "5 biases" in check(item, 2560).chosen_explanation


def test_the_question_shows_a_number_box_and_says_at_once_what_is_wrong():
    question = ChoiceQuestion()
    item = _item("02_freezing_layers", "p-count-trainable")
    question.show(item, "Problem 2")
    assert question.number in question.children[1].children and question.options not in question.children
    assert question.value is None and question.missing == "Type a number first."
    question.number.value = "2.565,0"
    assert question.value is None and "not a number" in question.message.value and "not a number" in question.missing
    question.number.value = "2,565"
    assert question.value == 2565 and question.message.value == ""
    question.value = 97866
    assert question.number.value == "97,866"
    question.disabled = True
    assert question.number.disabled
    question.show(load_lesson_content("02_freezing_layers")["quiz"][0], "Question 1")  # back to options
    assert question.options in question.children and question.value is None


def test_the_practice_widget_checks_a_typed_answer_and_keeps_it(tmp_path):
    store = ProgressStore(tmp_path / "progress.json")
    content = load_lesson_content("02_freezing_layers")
    k = next(i for i, p in enumerate(content["practice"]) if "numeric" in p)
    view = widgets.Practice(content["practice"], "02_freezing_layers", store)
    view.go_to(k)
    view.check_button.click()
    assert "Type a number first" in view.feedback.value
    view.question.number.value = "two thousand"
    view.check_button.click()
    assert "not a number" in view.feedback.value and content["practice"][k]["id"] not in store.lesson(
        "02_freezing_layers")["practice"]
    view.question.number.value = "2560"
    view.check_button.click()
    assert "Not quite" in view.feedback.value and "5 biases" in view.feedback.value
    assert store.lesson("02_freezing_layers")["practice"][content["practice"][k]["id"]]["chosen"] == 2560
    view.go_to(0)
    view.go_to(k)
    assert view.question.number.value == "2,560"  # the answer comes back with the problem
