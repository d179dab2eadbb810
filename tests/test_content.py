"""The learning-mode content files: schema, counts, and every Predict Output challenge run for real."""

import contextlib
import copy
import io

import pytest

from widgets.modes.content import (
    CATEGORIES,
    LESSON_IDS,
    MINIMUM_COUNTS,
    ContentError,
    content_dir,
    load_lesson_content,
    validate_content,
)


def all_content():
    return {lesson_id: load_lesson_content(lesson_id, validate=False) for lesson_id in LESSON_IDS}


def predict_output_items():
    items = []
    for path in sorted(content_dir().glob("*.yaml")):
        data = load_lesson_content(path.stem, validate=False)
        for item in data.get("challenges", []):
            if item.get("category") == "Predict Output":
                items.append(pytest.param(item, id=f"{path.stem}:{item['id']}"))
    return items


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_lesson_has_valid_content(lesson_id):
    data = load_lesson_content(lesson_id, validate=False)
    assert validate_content(data) == []
    for section, least in MINIMUM_COUNTS.items():
        assert len(data[section]) >= least, section


def test_ids_are_unique_across_the_course():
    # Progress is stored per lesson, but unique ids everywhere keep reports and bug reports unambiguous.
    seen = {}
    for lesson_id, data in all_content().items():
        for section in MINIMUM_COUNTS:
            for item in data[section]:
                assert item["id"] not in seen, f"{item['id']} in {lesson_id} and {seen.get(item['id'])}"
                seen[item["id"]] = lesson_id


def test_the_course_uses_every_challenge_category():
    used = {item["category"] for data in all_content().values() for item in data["challenges"]}
    assert used == set(CATEGORIES)


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


def test_validator_enforces_minimum_counts(good):
    good["practice"] = good["practice"][:2]
    del good["cheatsheet"]
    problems = validate_content(good)
    assert any("practice: has 2 item(s), needs at least 3" in p for p in problems)
    assert "missing top-level key 'cheatsheet'" in problems


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
