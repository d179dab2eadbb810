"""Learning modes, headless: the logic classes and the widgets driven by simulated clicks."""

import random

import ipywidgets as ipw
import pytest
from modes_helpers import wrong_index

import widgets
from widgets.modes.cards import Deck
from widgets.modes.choice import display_order, right_index
from widgets.modes.content import load_lesson_content
from widgets.modes.explain import ExplainPrompt, highlight
from widgets.modes.practice import PracticeProblem
from widgets.modes.progress.store import ProgressStore
from widgets.modes.quiz import QuizSession

LESSON = "02_freezing_layers"


@pytest.fixture
def content():
    return load_lesson_content(LESSON)


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.json")


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


def test_a_view_without_a_lesson_saves_nothing(content, tmp_path, monkeypatch):
    monkeypatch.setenv("FTLAB_PROGRESS", str(tmp_path / "never.json"))
    view = widgets.Quiz(content["quiz"])
    view.choose(right_index(content["quiz"][0]))
    view.check_button.click()
    assert "Right" in view.feedback.value and not (tmp_path / "never.json").exists()


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
    view = widgets.Quiz(content["quiz"], LESSON, store)
    first = content["quiz"][0]
    assert view.options.labels == [first["options"][k]["text"] for k in display_order(first)]
    assert display_order(first) == display_order(first)
    # across the course's items the right answer is not always in the same place
    items = [i for i in content["quiz"] + content["challenges"] + content["practice"] if "options" in i]
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
    view.options.send_state()  # as the front end does when an arrow key moves the choice
    view.check_button.click()
    assert "Not quite" in view.feedback.value and "1 / 2" in view.score_label.value
    assert "Why:" in view.feedback.value and ".:" not in view.feedback.value  # no "learns.: With ..."
    saved = store.lesson(LESSON)["quiz"]
    assert saved[content["quiz"][0]["id"]]["correct"] is True and saved[content["quiz"][1]["id"]]["correct"] is False


def test_enter_in_the_radio_group_checks_the_answer(content, store):
    view = widgets.Quiz(content["quiz"], LESSON, store)
    view.choose(right_index(content["quiz"][0]))
    view.options._on_message(view.options, {"event": "enter"}, [])  # the front end's message on Enter
    assert "Right" in view.feedback.value and view.check_button.disabled


def test_the_quiz_ends_with_a_review_of_every_answer(content, store):
    view = widgets.Quiz(content["quiz"], LESSON, store)
    for k, item in enumerate(content["quiz"]):
        view.choose(right_index(item) if k else wrong_index(item))
        view.check_button.click()
        view.next_button.click()
    review = view.summary.value
    assert f"{len(content['quiz']) - 1} / {len(content['quiz'])}" in review and view.summary in view.children
    first = content["quiz"][0]
    right = next(o for o in first["options"] if o["correct"])
    assert "Your answer: " + first["options"][wrong_index(first)]["text"].replace("'", "&#x27;") in review
    assert "Right answer: " + right["text"].replace("'", "&#x27;") in review
    assert review.count("<li") == len(content["quiz"])


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
    view.hint_button.click()
    assert "Common mistakes" in view.extra and "Hint" in view.extra
    assert store.lesson(LESSON)["practice"][item["id"]]["correct"] is True


def test_practice_shows_the_code_of_a_predict_output_problem(content, store):
    view = widgets.Practice(content["practice"], LESSON, store)
    k = next(i for i, p in enumerate(content["practice"]) if p.get("code"))
    view.go_to(k)
    assert "<pre" in view.question.prompt.value and "Predict Output" in view.question.prompt.value


# --- explain -------------------------------------------------------------------------------------------------

def test_explain_suggests_concepts_and_the_learner_decides(content):
    item = content["explain"][0]
    prompt = ExplainPrompt(item)
    text = "Freezing sets requires_grad to False, so the frozen weights get no gradient. Early layers find edges."
    suggested = prompt.submit(text)
    assert suggested == [c["concept"] for c in item["concepts"][:3]]
    assert prompt.summary() == f"3 / {len(item['concepts'])} concepts"
    prompt.untick(item["concepts"][0]["concept"])
    prompt.tick(item["concepts"][3]["concept"])
    assert prompt.score == (3, 4)
    with pytest.raises(ValueError, match="unknown concept"):
        prompt.tick("nonsense")
    # submitting again starts from the new text: the detector's ticks, not the earlier choices
    prompt.submit(text + " It keeps the pretrained features and trains faster.")
    assert prompt.ticked == [c["concept"] for c in item["concepts"]]


def test_explain_shows_a_model_answer_with_the_concepts_highlighted(content, store):
    view = widgets.Explain(content["explain"], LESSON, store)
    panel = view.panels[0]
    panel.text.value = "You set requires_grad to False. <script>alert(1)</script>"
    panel.done_button.click()
    shown = panel.comparison.value
    assert "A model answer" in shown and "<mark" in shown and "requires_grad to False<sup>1</sup>" in shown
    assert "<script>" not in shown and "&lt;script&gt;" in shown
    assert shown.count("<sup>") >= 1 + len(content["explain"][0]["concepts"])  # the model answer shows them all
    saved = store.lesson(LESSON)["explain"][content["explain"][0]["id"]]
    assert saved["detected"] == [content["explain"][0]["concepts"][0]["concept"]]


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
    assert "1 / 4 concepts" in panel.score.value
    saved = store.lesson(LESSON)["explain"][content["explain"][0]["id"]]
    assert saved["text"] == panel.text.value and len(saved["covered"]) == 1
    assert not marker.exists()


def test_highlight_escapes_and_numbers(content):
    concepts = content["explain"][0]["concepts"]
    html = highlight("A <b>bold</b> claim: requires_grad is False.", concepts)
    assert "&lt;b&gt;" in html and "<b>" not in html and "<sup>1</sup>" in html


# --- the tabbed widget ---------------------------------------------------------------------------------------

def test_learning_modes_tabs(store, tmp_path, monkeypatch):
    tab = widgets.learning_modes(LESSON, store=store, tick=None)
    assert isinstance(tab, ipw.Tab)
    assert tab.titles == ("Diagnostic", "Recall cards", "Quiz", "Challenge", "Practice", "Explain", "Cheat sheet",
                          "Review", "Progress")
    sheet = tab.children[6]
    assert "requires_grad" in sheet.to_markdown()
    monkeypatch.chdir(tmp_path)
    sheet.save_button.click()
    assert (tmp_path / f"cheatsheet_{LESSON}.html").read_text().startswith("<!doctype html>")


def test_unknown_lesson_is_a_message(store):
    tab = widgets.learning_modes("99_nope", store=store)
    assert "No learning content for lesson" in tab.children[0].value


def test_content_dir_can_be_overridden(tmp_path, monkeypatch, store):
    monkeypatch.setenv("FTLAB_CONTENT", str(tmp_path))
    tab = widgets.learning_modes(LESSON, store=store)
    assert "No learning content" in tab.children[0].value


def test_content_text_cannot_inject_markup():
    from widgets.modes.markup import md

    html = md("Use `x<y>` **now**\n```python\nif a < b:\n    pass\n```\n"
              "<script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html
    assert "<code>x&lt;y&gt;</code>" in html and "<strong>now</strong>" in html and "if a &lt; b:\n    pass" in html
    assert md("one line") == "one line"  # a single paragraph sits inside a sentence
