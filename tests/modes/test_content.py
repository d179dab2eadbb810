"""The learning-mode content files: schema, counts, the sets each lesson must hold, the sections they point
at (the core path only, never a deep dive), the diagnostic's own parallel forms, and every Predict Output item run
for real."""

import contextlib
import copy
import io
import json
import re
from pathlib import Path

import pytest

from widgets.modes.content import (
    LESSON_IDS,
    ContentError,
    content_dir,
    diagnostic_forms,
    diagnostic_items,
    level,
    load_lesson_content,
)
from widgets.modes.content.schema import (
    CARD_ANSWER_WORDS,
    CATEGORIES,
    COUNTS,
    DIAGNOSTIC_ITEMS,
    core_sections,
    validate_content,
)

REPO = Path(__file__).resolve().parents[2]


def all_content():
    return {lesson_id: load_lesson_content(lesson_id, validate=False) for lesson_id in LESSON_IDS}


def predict_output_items():
    items = []
    for path in sorted(content_dir().glob("*.yaml")):
        data = load_lesson_content(path.stem, validate=False)
        for section in ("challenges", "practice"):
            for item in data.get(section, []):
                if item.get("category") == "Predict Output" and "options" in item:  # numeric ones: test_numeric
                    items.append(pytest.param(item, id=f"{path.stem}:{item['id']}"))
    return items


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_lesson_has_valid_content(lesson_id):
    data = load_lesson_content(lesson_id, validate=False)
    assert validate_content(data) == []


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_lesson_holds_the_full_set(lesson_id):
    data = load_lesson_content(lesson_id)
    forms = diagnostic_forms(data)
    assert set(forms) == {"A", "B"} and all(len(items) == DIAGNOSTIC_ITEMS for items in forms.values())
    assert all({level(item) for item in items} == {"easy", "medium", "hard"} for items in forms.values())
    assert len(data["challenges"]) == 5 and {c["category"] for c in data["challenges"]} == set(CATEGORIES)
    assert len(data["practice"]) >= 5 and {level(p) for p in data["practice"]} >= {"easy", "medium", "hard"}
    for prompt in data["explain"]:
        assert 4 <= len(prompt["concepts"]) <= 5 and prompt["model_answer"].strip()
    assert data["badge"].strip()


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_sections_are_the_lessons_own_headings(lesson_id):
    """The diagnostic's verdict names sections: they must be the notebook's numbered ## headings, in order."""
    notebook = json.loads((REPO / "course" / f"{lesson_id}.ipynb").read_text())
    headings = [m.group(2) for cell in notebook["cells"] if cell["cell_type"] == "markdown"
                for m in re.finditer(r"^## (\d+)\. (.+)$", "".join(cell["source"]), re.M)]
    assert load_lesson_content(lesson_id)["sections"] == headings


def _notebook_cells(lesson_id):
    return json.loads((REPO / "course" / f"{lesson_id}.ipynb").read_text())["cells"]


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_the_core_sections_are_the_ones_before_the_learning_modes(lesson_id):
    """A lesson's deep dives come after its learning modes; the modes may ask only about what comes before."""
    cells = _notebook_cells(lesson_id)
    modes = next(i for i, c in enumerate(cells) if "learning_modes(" in "".join(c["source"]))
    before = [m.group(2) for cell in cells[:modes] if cell["cell_type"] == "markdown"
              for m in re.finditer(r"^## (\d+)\. (.+)$", "".join(cell["source"]), re.M)]
    data = load_lesson_content(lesson_id)
    assert [data["sections"][n - 1] for n in core_sections(data)] == before
    items = [i for s in ("quiz", "challenges", "practice") for i in data[s]] + diagnostic_items(data)
    assert all(item["section"] in core_sections(data) for item in items)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_the_diagnostic_asks_its_own_questions(lesson_id):
    """No diagnostic item is a quiz, challenge or practice item, nor one with half or more of the same words."""
    data = load_lesson_content(lesson_id)

    def words(item):
        return set(re.findall(r"[a-z0-9]+", str(item.get("question") or item.get("problem")).lower()))

    others = [i for s in ("quiz", "challenges", "practice") for i in data[s]]
    for item in diagnostic_items(data):
        assert item["id"] not in {o["id"] for o in others}
        for other in others:
            overlap = len(words(item) & words(other)) / len(words(item) | words(other))
            assert overlap < 0.5, (item["id"], other["id"], round(overlap, 2))


def test_the_two_forms_are_parallel():
    """Form B asks the k-th question on the same section at the same level as form A, so two runs compare."""
    for lesson_id in LESSON_IDS:
        forms = diagnostic_forms(load_lesson_content(lesson_id))
        for a, b in zip(forms["A"], forms["B"]):
            shape = [(item["section"], level(item), "numeric" in item) for item in (a, b)]
            assert shape[0] == shape[1], (a["id"], b["id"])


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_card_answers_in_at_most_45_words(lesson_id):
    lengths = {c["id"]: len(c["answer"].split()) for c in load_lesson_content(lesson_id)["cards"]}
    assert max(lengths.values()) <= CARD_ANSWER_WORDS, lengths


def test_ids_are_unique_across_the_course():
    # Progress is stored per lesson, but unique ids everywhere keep reports and bug reports unambiguous.
    seen = {}
    for lesson_id, data in all_content().items():
        for section in ("cards", "quiz", "challenges", "practice", "explain", "diagnostic"):
            for item in (diagnostic_items(data) if section == "diagnostic" else data[section]):
                assert item["id"] not in seen, f"{item['id']} in {lesson_id} and {seen.get(item['id'])}"
                seen[item["id"]] = lesson_id


def test_the_resnet18_head_fact_is_a_predict_output_challenge():
    items = [p.values[0] for p in predict_output_items()]
    assert any("resnet18" in item["code"] and "5130" in [o["text"] for o in item["options"]] for item in items)


@pytest.mark.parametrize("item", predict_output_items())
def test_predict_output_answer_is_the_real_output(item):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(item["code"], item["id"], "exec"), {"__name__": "__predict__"})
    printed = out.getvalue().strip()
    keyed = next(o["text"] for o in item["options"] if o["correct"])
    assert printed == str(keyed).strip()
    wrong = [str(o["text"]).strip() for o in item["options"] if not o["correct"]]
    assert printed not in wrong


# --- the validator catches each kind of mistake --------------------------------------------------------------

@pytest.fixture
def good():
    return copy.deepcopy(load_lesson_content("02_freezing_layers"))


def test_validator_rejects_two_right_options(good):
    good["quiz"][0]["options"][1]["correct"] = True
    assert any("exactly one option" in p for p in validate_content(good))


def test_validator_rejects_no_right_option(good):
    for option in good["quiz"][0]["options"]:
        option["correct"] = False
    assert any("exactly one option" in p for p in validate_content(good))


def test_validator_rejects_a_missing_explanation(good):
    del good["challenges"][0]["options"][2]["explanation"]
    assert any("no explanation" in p for p in validate_content(good))


def test_validator_rejects_markdown_in_option_labels(good):
    good["quiz"][0]["options"][0]["text"] = "`p.requires_grad = False`"
    assert any("plain text" in p for p in validate_content(good))


def test_validator_rejects_duplicate_ids(good):
    good["cards"][1]["id"] = good["cards"][0]["id"]
    assert any("duplicate ids" in p for p in validate_content(good))


def test_validator_rejects_an_unknown_difficulty(good):
    good["cards"][0]["difficulty"] = "easy"
    assert any("difficulty 'easy'" in p for p in validate_content(good))


def test_validator_rejects_an_unknown_category(good):
    good["challenges"][0]["category"] = "Trivia"
    assert any("category 'Trivia'" in p for p in validate_content(good))


def test_validator_requires_code_for_predict_output(good):
    item = next(c for c in good["challenges"] if c["category"] == "Predict Output")
    del item["code"]
    assert any("needs its code" in p for p in validate_content(good))


def test_validator_requires_every_kind_in_a_challenge_set(good):
    good["challenges"][1]["category"] = "Predict Output"
    assert any("must cover every kind" in p for p in validate_content(good))


def test_validator_requires_every_level_in_practice(good):
    for item in good["practice"]:
        item["difficulty"] = "beginner"
    assert any("one easy, one medium and one hard" in p for p in validate_content(good))


def test_validator_checks_the_diagnostic(good):
    forms = good["diagnostic"]
    forms["A"][0]["section"], forms["A"][1]["id"] = forms["A"][0]["section"] % 6 + 1, good["quiz"][0]["id"]
    forms["B"] = forms["B"][:7]
    problems = validate_content(good)
    assert any("are not parallel (same section, same level)" in p for p in problems)
    assert any(f"used twice or by another mode's item: {good['quiz'][0]['id']}" in p for p in problems)
    assert any("diagnostic form B: has 7 item(s), needs exactly 8" in p for p in problems)
    good["diagnostic"] = [good["quiz"][0]["id"]]  # the old format: a list of other modes' ids
    assert "diagnostic must be a mapping with two forms, A and B, each a list of items" in validate_content(good)


def test_validator_wants_four_options(good):
    good["quiz"][0]["options"] = good["quiz"][0]["options"][:3]
    assert any("needs a list of exactly 4 options" in p for p in validate_content(good))


def test_validator_caps_card_answers(good):
    good["cards"][0]["answer"] = " ".join(["word"] * 46)
    assert any("the answer has 46 words; a card answers in at most 45" in p for p in validate_content(good))


def test_validator_keeps_items_out_of_deep_dives():
    data = copy.deepcopy(load_lesson_content("04_learning_rate"))
    deep = data["sections"].index("Deep dive: discriminative learning rates") + 1
    data["quiz"][0]["section"] = deep
    assert any("section must be the number of a core section (1, 2, 3)" in p for p in validate_content(data))


def test_validator_checks_numeric_items(good):
    item = next(p for p in good["practice"] if "numeric" in p)
    item["options"] = good["quiz"][0]["options"]
    assert any("give options or numeric, not both" in p for p in validate_content(good))
    del item["options"]
    item["numeric"]["misses"].append({"value": item["numeric"]["value"], "explanation": "Same as the key."})
    del item["numeric"]["code"]
    problems = validate_content(good)
    assert any("would count as right" in p for p in problems) and any("numeric needs its code" in p for p in problems)


def test_validator_rejects_weak_explain_phrases(good):
    good["explain"][0]["concepts"][0]["phrases"].append("true")
    good["explain"][1]["concepts"][0]["phrases"].append("0")
    problems = validate_content(good)
    assert any("'true' is a single common word" in p for p in problems)
    assert any("'0' is a bare number" in p for p in problems)


def test_validator_checks_the_model_answer_shows_every_concept(good):
    good["explain"][0]["model_answer"] = "Freezing sets requires_grad to False on the parameters."
    assert any("the model answer does not show" in p for p in validate_content(good))


def test_validator_enforces_counts(good):
    good["practice"] = good["practice"][:2]
    good["challenges"] = good["challenges"] + good["challenges"][:1]
    del good["cheatsheet"]
    problems = validate_content(good)
    assert any("practice: has 2 item(s), needs at least 5" in p for p in problems)
    assert any("challenges: has 6 item(s), needs exactly 5" in p for p in problems)
    assert "missing top-level key 'cheatsheet'" in problems
    assert COUNTS["challenges"] == (5, 5)


def test_a_broken_file_gives_a_readable_error(tmp_path):
    (tmp_path / "broken.yaml").write_text("cards: [unclosed", encoding="utf-8")
    with pytest.raises(ContentError, match="not valid YAML"):
        load_lesson_content("broken", directory=tmp_path)
    with pytest.raises(ContentError, match="No learning content for lesson 'missing'"):
        load_lesson_content("missing", directory=tmp_path)


def test_model_sizes_quoted_in_lesson_05_are_real():
    # The card quotes parameter counts in millions; count them (on the meta device: no memory, no init time).
    import torch
    from torchvision import models

    card = next(c for c in load_lesson_content("05_choosing_a_model")["cards"] if c["id"] == "m-sizes")
    names = ("mobilenet_v2", "efficientnet_b0", "resnet18", "resnet50", "resnet152")
    quoted = []
    for name in names:
        with torch.device("meta"):
            model = getattr(models, name)(weights=None)
        quoted.append(f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f} M")
    assert "About " + ", ".join(quoted[:-1]) + " and " + quoted[-1] in card["answer"]


def test_the_freeze_explorer_blocks_quoted_in_a_challenge_are_real():
    """ch-unfreeze-depth names ResNet18's blocks with parameters and what "Unfreeze last 2" trains."""
    import torch
    from torchvision import models

    from widgets.engine import params

    with torch.device("meta"):
        resnet = models.resnet18(weights=None)
    blocks = [name for name, part in params.blocks(resnet, 1) if params.parameters_of(part)]
    item = next(c for c in load_lesson_content("02_freezing_layers")["challenges"] if c["id"] == "ch-unfreeze-depth")
    assert ", ".join(blocks[:-1]) + " and " + blocks[-1] in item["question"]
    right = next(o["text"] for o in item["options"] if o["correct"])
    assert right == " and ".join(blocks[-2:])
