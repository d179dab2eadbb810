"""The explain prompts' concept detector: stuffing, stop words, negation, and its precision and recall on the
labelled answers in tests/data (benchmarks/explain_detector.py prints the same figures per prompt)."""

from pathlib import Path

import pytest
import yaml

from widgets.modes.concepts import covered, detect, phrase_problems
from widgets.modes.content import LESSON_IDS, load_lesson_content

DATA = Path(__file__).resolve().parent / "data"
PROMPTS = {item["id"]: item for lesson in LESSON_IDS for item in load_lesson_content(lesson)["explain"]}


def scores(answers):
    """Precision and recall of the detector over (answer, concept) pairs, with the counts behind them."""
    tp = fp = fn = 0
    for prompt_id, rows in answers.items():
        concepts = PROMPTS[prompt_id]["concepts"]
        for row in rows:
            found = {m.concept + 1 for m in detect(row["text"], concepts)}
            wanted = set(row["covers"])
            tp, fp, fn = tp + len(found & wanted), fp + len(found - wanted), fn + len(wanted - found)
    return tp / (tp + fp), tp / (tp + fn), (tp, fp, fn)


@pytest.mark.parametrize("text, prompt_id", [
    ("Layers step higher.", "le-schedules"),  # scored 3/3 with the old keyword lists
    ("It is true that none of it was zero, the head said so.", "e-freeze-all"),  # scored 3/4
])
def test_the_stuffing_examples_from_the_issue_score_nothing(text, prompt_id):
    assert covered(text, PROMPTS[prompt_id]["concepts"]) == []


def test_a_list_of_keywords_is_not_an_answer():
    concepts = PROMPTS["e-freezing"]["concepts"]
    assert covered("requires_grad false gradient unchanged edges textures faster", concepts) == []
    assert len(covered("Freezing sets requires_grad to False, so the weights stay unchanged.", concepts)) == 2


def test_negation_is_not_counted_and_ends_at_a_comma():
    concepts = PROMPTS["e-freezing"]["concepts"]
    assert "Frozen weights get no gradient and do not change" not in covered(
        "Freezing does not keep the weights unchanged at all.", concepts)
    assert "Frozen weights get no gradient and do not change" in covered(
        "There is no doubt about it, the frozen weights stay unchanged.", concepts)


def test_whole_words_only():
    concepts = [{"concept": "rate", "phrases": ["lr"]}]
    assert covered("The picture is too blurry to read at all.", concepts) == []
    assert covered("The lr is what we tune here.", concepts) == ["rate"]


def test_matches_carry_their_place_in_the_text():
    text = "You set requires_grad to False on the layer."
    match = detect(text, PROMPTS["e-freezing"]["concepts"])[0]
    assert text[match.start:match.end] == "requires_grad to False"


def test_stop_words_and_bare_numbers_are_not_phrases():
    assert phrase_problems("the") and phrase_problems("true") and phrase_problems("0") and phrase_problems("high")
    assert phrase_problems("requires_grad false") == [] and phrase_problems("overfitting") == []


@pytest.mark.parametrize("prompt_id", sorted(PROMPTS))
def test_every_model_answer_shows_every_concept(prompt_id):
    prompt = PROMPTS[prompt_id]
    assert covered(prompt["model_answer"], prompt["concepts"]) == [c["concept"] for c in prompt["concepts"]]


@pytest.mark.parametrize("name", ["explain_answers", "explain_holdout", "explain_holdout2", "explain_holdout3"])
def test_every_prompt_has_good_and_bad_labelled_answers(name):
    answers = yaml.safe_load((DATA / f"{name}.yaml").read_text())
    assert set(answers) == set(PROMPTS)
    for rows in answers.values():
        assert any(row["covers"] for row in rows) and any(not row["covers"] for row in rows)


def test_precision_and_recall_on_the_labelled_answers():
    """The goal is 0.9 for both. The tuning set was used to write the phrases, so it must stay near perfect;
    the fresh set was never tuned on, so it measures what learners will see."""
    precision, recall, _ = scores(yaml.safe_load((DATA / "explain_answers.yaml").read_text()))
    assert precision >= 0.95 and recall >= 0.95
    precision, recall, _ = scores(yaml.safe_load((DATA / "explain_holdout2.yaml").read_text()))
    assert precision >= 0.9 and recall >= 0.85
