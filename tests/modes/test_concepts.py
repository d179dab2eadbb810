"""The explain prompts' concept detector: stuffing, stop words, negation, and its precision and recall on the
labelled answers in tests/modes/data (benchmarks/explain_detector.py prints the same figures per prompt)."""

from pathlib import Path

import pytest
import yaml

from widgets.modes.content import LESSON_IDS, load_lesson_content
from widgets.modes.content.concepts import covered, detect, phrase_problems

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


def test_any_order_phrases_find_the_slots_either_way_round_within_one_sentence():
    concepts = [{"concept": "destroyed", "phrases": ["~ destroy|wreck knowledge|features"]}]
    assert covered("A big step destroys the knowledge.", concepts) == ["destroyed"]
    assert covered("With a big step the knowledge is destroyed.", concepts) == ["destroyed"]
    assert covered("The knowledge is kept. A big step would destroy it.", concepts) == []  # two sentences
    assert covered("With a big step the knowledge is not destroyed.", concepts) == []  # negated
    ordered = [{"concept": "destroyed", "phrases": ["destroy|wreck knowledge|features"]}]
    assert covered("With a big step the knowledge is destroyed.", ordered) == []


def test_contractions_negate_with_or_without_the_apostrophe():
    concepts = PROMPTS["e-freezing"]["concepts"]
    for text in ("Freezing doesn't keep the weights unchanged.", "Freezing doesnt keep the weights unchanged.",
                 "Freezing won\u2019t leave the weights unchanged."):
        assert "Frozen weights get no gradient and do not change" not in covered(text, concepts), text


def test_a_negation_that_is_the_idea_itself_counts():
    concepts = [{"concept": "count is not speed", "phrases": ["not automatically|necessarily faster|slower"]}]
    assert covered("A model with fewer parameters isn't automatically faster.", concepts) == ["count is not speed"]
    assert covered("More parameters doesnt necessarily mean slower at all.", concepts) == ["count is not speed"]


def test_a_phrase_waved_away_right_after_does_not_count():
    concepts = [{"concept": "gap", "phrases": ["gap between the curves"]}]
    assert covered("The gap between the curves doesn't really matter here.", concepts) == []
    assert covered("The gap between the curves is irrelevant here.", concepts) == []
    assert covered("The gap between the curves grows, it matters.", concepts) == ["gap"]


def test_a_contradiction_phrase_cancels_the_concept_in_its_sentence_only():
    concepts = PROMPTS["se-layers"]["concepts"]
    swapped = "Early layers learn the specific classes and late layers learn edges, so freeze the late layers."
    assert covered(swapped, concepts) == []
    right = "Early layers learn edges. Late layers learn the specific classes, so freeze the early layers."
    assert covered(right, concepts) == [c["concept"] for c in concepts[:3]]
    concepts = [{"concept": "edges", "phrases": ["edges|textures", "! late|deep layers learn|detect edges"]}]
    assert covered("Late layers learn edges. The first layer finds edges too.", concepts) == ["edges"]
    assert covered("It is not true that late layers learn edges, the first ones find edges.", concepts) == ["edges"]


def test_a_short_sentence_without_function_words_counts_by_its_longer_phrases_only():
    concepts = PROMPTS["se-layers"]["concepts"]
    assert covered("Deep layers recognise object parts.", concepts) == ["Late layers learn task-specific features"]
    assert covered("edges textures specific parts frozen", concepts) == []


def test_a_colon_ends_a_negation_but_not_the_sentence():
    concepts = PROMPTS["se-layers"]["concepts"]
    assert "Late layers learn task-specific features" in covered("Last layers: they hold class-specific features.",
                                                                 concepts)
    concepts = [{"concept": "no grad", "phrases": ["weights unchanged"]}]
    assert covered("Not hard: the weights unchanged is what freezing gives.", concepts) == ["no grad"]


def test_a_hyphenated_word_also_counts_as_its_last_part_unless_that_is_a_prefix_split():
    concepts = [{"concept": "loaded", "phrases": ["load pretrained weights"]}]
    assert covered("Load the ImageNet-pretrained weights first.", concepts) == ["loaded"]
    concepts = [{"concept": "tuned", "phrases": ["tuned the head"]}]
    assert covered("We fine-tuned the head only.", concepts) == []


def test_british_spellings_and_dimensions_fold():
    concepts = [{"concept": "x", "phrases": ["optimizer center crop 224 224"]}]
    assert covered("The optimiser centre crop 224x224 is it.", concepts) == ["x"]


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


@pytest.mark.parametrize("name", ["explain_answers", "explain_holdout", "explain_holdout2", "explain_holdout3",
                                  "explain_fresh2"])
def test_every_prompt_has_good_and_bad_labelled_answers(name):
    answers = yaml.safe_load((DATA / f"{name}.yaml").read_text())
    assert set(answers) == set(PROMPTS)
    for rows in answers.values():
        assert any(row["covers"] for row in rows) and any(not row["covers"] for row in rows)


@pytest.mark.parametrize("name", ["explain_answers", "explain_holdout", "explain_holdout2", "explain_holdout3"])
def test_precision_and_recall_on_the_labelled_answers(name):
    """The goal is 0.9 for both on answers by people who never saw the phrases. Every set here has been used
    to change the phrases or rules (held-out 1-3 each after a once-only measurement), so each must stay at
    0.95 precision and 0.9 recall; the honest figure comes from a fresh set measured once."""
    precision, recall, counts = scores(yaml.safe_load((DATA / f"{name}.yaml").read_text()))
    assert precision >= 0.95 and recall >= 0.9, counts


def test_precision_and_recall_on_the_fresh_answers():
    """The fresh set (tests/modes/data/explain_fresh.yaml): 84 answers written blind after the last change to the
    phrases and rules, by someone who never saw them. Measured once on 2026-12-01: precision 0.93, recall 0.95 (163
    of 172 concepts found, 12 false); never used to change a phrase or a rule since (after issue 23's clause rules:
    0.94, 0.95). The goal is 0.9 for both; a change to the detector must not push it below."""
    answers = yaml.safe_load((DATA / "explain_fresh.yaml").read_text())
    assert set(answers) == set(PROMPTS) and all(any(r["covers"] for r in rows) and any(not r["covers"] for r in rows)
                                                for rows in answers.values())
    precision, recall, counts = scores(answers)
    assert precision >= 0.9 and recall >= 0.9, counts


def test_precision_and_recall_on_the_second_fresh_set():
    """Fresh set 2 (issue 23): 84 answers, six per prompt (a paraphrase without the keywords, a stuffed one, a wrong
    one with the right words, a negated one, an off-topic one, partial ones), measured before the clause rules
    (precision 0.72, recall 0.74: 78 of 106 found, 30 false), then used to change them: a tuning set now."""
    answers = yaml.safe_load((DATA / "explain_fresh2.yaml").read_text())
    assert set(answers) == set(PROMPTS) and sum(len(rows) for rows in answers.values()) >= 60
    precision, recall, counts = scores(answers)
    assert precision >= 0.9 and recall >= 0.9, counts


def test_a_sentence_without_a_verb_says_nothing():
    concepts = PROMPTS["le-lr"]["concepts"]
    assert covered("Step size. Small rate. Divergence. Forgetting.", concepts) == []
    assert covered("The learning rate is the step size.", concepts) == [concepts[0]["concept"]]
    assert covered("Layers: the learning rate = the step size.", concepts) == [concepts[0]["concept"]]  # notes


def test_a_condition_phrase_must_be_in_the_same_sentence():
    concepts = [{"concept": "too high diverges", "phrases": ["diverge|diverges", "@ high|large|too"]}]
    assert covered("It is a rate. It diverges.", concepts) == []
    assert covered("With a large rate it diverges.", concepts) == ["too high diverges"]
    assert covered("A rate that is not large still diverges.", concepts) == []  # the condition is negated


def test_too_x_to_and_nothing_to_do_with_negate_what_follows():
    concepts = [{"concept": "damage", "phrases": ["damage the backbone"]}]
    assert covered("The gradients are too small to damage the backbone.", concepts) == []
    assert covered("The gradients are large enough to damage the backbone.", concepts) == ["damage"]
    concepts = [{"concept": "step", "phrases": ["step size"]}]
    assert covered("The rate has nothing to do with the step size.", concepts) == []
    assert covered("The rate has nothing to do with speed, it sets the step size.", concepts) == ["step"]


def test_e_g_ends_no_sentence_and_thaw_is_unfreeze():
    concepts = [{"concept": "flops", "phrases": ["flops"]}]
    assert covered("Costs such as FLOPs (e.g. depthwise convs) matter more than size.", concepts) == ["flops"]
    concepts = [{"concept": "unfreeze", "phrases": ["unfreeze the last block"]}]
    assert covered("Then thaw the last block and train it.", concepts) == ["unfreeze"]
