"""The claims ledger (``course/claims.yaml``): every empirical statement of the course, measured and checked.

- ``pytest -m claims`` runs every claim's experiment (and its control, for a claim about a cause) on its design
  seeds and on its evaluation seeds (``FTLAB_CLAIM_SEEDS=2000-2009``: that range instead), asserts that it holds as
  worded on both, writes what it measured into ``course/evidence.json`` and prints one sentence per claim at the end
  of the run (mean, 95% interval, seeds held).
- The consistency tests (always run, instant) check the ledger against the content and the lessons: every cited
  id exists, every content item says which claims it rests on, and a lesson that teaches a claim shows the
  numbers of the claim's own experiment; and the evidence file against the code and the ledger.
"""

import importlib
import json
from pathlib import Path

import pytest
import yaml

from widgets.labs import evidence_file, ledger

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "course" / "claims.yaml"
CONTENT = ROOT / "widgets" / "modes" / "content" / "lessons"
SECTIONS_WITH_ITEMS = ("cards", "quiz", "challenges", "practice", "explain")  # and the diagnostic's two forms
FIELDS = {"id", "statement", "experiment", "seeds", "taught", "tested", "measure", "budget"}
#: a claim's ``budget``: the training its experiment does and why (the ledger's header says what each key holds)
BUDGET_KEYS = {"steps", "batch", "why", "longer"}


def _ledger():
    return yaml.safe_load(LEDGER.read_text(encoding="utf-8"))["claims"] or []


def _function(dotted):
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def _content():
    """``{lesson id: {item id: item}}`` over every section that holds items (and the cheat sheet's points)."""
    out = {}
    for path in sorted(CONTENT.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = {}
        for section in SECTIONS_WITH_ITEMS:
            for item in data.get(section) or []:
                items[item["id"]] = item
        for form in (data.get("diagnostic") or {}).values():
            items.update({item["id"]: item for item in form})
        for k, point in enumerate((data.get("cheatsheet") or {}).get("points") or []):
            items[f"cheatsheet-{k + 1}"] = point if isinstance(point, dict) else {"text": point}  # text: no claims
        out[path.stem] = items
    return out


def _lesson_code(lesson):
    notebook = json.loads((ROOT / "course" / f"{lesson}.ipynb").read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")


# --- the ledger's shape and its links (instant) ----------------------------------------------------------------


def test_every_claim_has_what_it_needs():
    claims = _ledger()
    ids = [c["id"] for c in claims]
    assert len(ids) == len(set(ids)), "duplicate claim ids"
    for claim in claims:
        assert FIELDS <= set(claim), f"{claim.get('id')}: missing {sorted(FIELDS - set(claim))}"
        assert len(claim["seeds"]) >= 3, f"{claim['id']}: a measured claim needs at least 3 seeds"
        if claim.get("seeded", True):
            evaluation = claim.get("evaluation_seeds") or []
            assert len(set(evaluation)) >= 10, f"{claim['id']}: at least 10 evaluation seeds (or seeded: false)"
            assert not set(evaluation) & set(claim["seeds"]), f"{claim['id']}: evaluation seeds are design seeds"
        else:
            assert claim["seeded"] is False and "evaluation_seeds" not in claim, claim["id"]
        assert claim["measure"]["unit"] in ledger.UNITS, claim["id"]
        assert callable(_function(claim["experiment"])), claim["id"]
        if claim.get("cause"):
            assert claim.get("control"), f"{claim['id']} states a cause: it needs a control experiment"
            assert callable(_function(claim["control"]["experiment"])), claim["id"]


def budget_problem(claim):
    """What is wrong with ``claim``'s budget, naming the claim, or None: ``{steps: a positive whole number, or none
    for a claim that trains nothing; why: a sentence}``, with ``batch`` (a positive whole number) and ``longer`` (a
    sentence) where they apply."""
    name = claim.get("id")
    budget = claim.get("budget")
    if not isinstance(budget, dict):
        return f"{name}: no budget (budget: {{steps: ..., why: ...}}; steps: none for a claim that trains nothing)"
    if set(budget) - BUDGET_KEYS:
        return f"{name}: budget has unknown keys {sorted(set(budget) - BUDGET_KEYS)} (known: {sorted(BUDGET_KEYS)})"
    steps = budget.get("steps")
    whole = isinstance(steps, int) and not isinstance(steps, bool) and steps > 0
    if not (whole or steps == "none"):
        return f"{name}: budget steps must be a positive whole number or none, not {steps!r}"
    batch = budget.get("batch", 1)
    if not (isinstance(batch, int) and not isinstance(batch, bool) and batch > 0):
        return f"{name}: budget batch must be a positive whole number, not {batch!r}"
    for key in ("why", "longer"):
        text = budget.get(key, "a sentence, not asked for" if key == "longer" else None)
        if not isinstance(text, str) or len(text.split()) < 3:
            return f"{name}: budget {key} must say in a sentence {'why' if key == 'why' else 'what was measured'}"
    return None


def test_every_claim_says_what_it_trains_for_and_why():
    problems = [p for p in map(budget_problem, _ledger()) if p]
    assert not problems, "\n".join(problems)


def test_a_budget_without_steps_or_a_reason_is_refused():
    """The control: the check refuses what the ledger must not hold, and names the claim."""
    why = "the lesson's budget: a learner's run in a few seconds."
    good = [{"steps": 50, "batch": 32, "why": why}, {"steps": "none", "why": "a count: no training."},
            {"steps": 40, "why": why, "longer": "transfer.long_starts measures 400 steps: the order holds."}]
    assert [budget_problem({"id": "x", "budget": b}) for b in good] == [None] * len(good)
    bad = [None, "none", {"why": why}, {"steps": 0, "why": why}, {"steps": 2.5, "why": why},
           {"steps": True, "why": why}, {"steps": "many", "why": why}, {"steps": 50}, {"steps": 50, "why": ""},
           {"steps": 50, "why": "   "}, {"steps": 50, "why": "speed"}, {"steps": 50, "batch": 0, "why": why},
           {"steps": 50, "why": why, "longer": ""}, {"steps": 50, "why": why, "reason": why}]
    for budget in bad:
        entry = {"id": "some-claim"} if budget is None else {"id": "some-claim", "budget": budget}
        problem = budget_problem(entry)
        assert problem and problem.startswith("some-claim: "), (budget, problem)


@pytest.mark.parametrize("lesson", sorted(p.stem for p in CONTENT.glob("*.yaml")))
def test_cited_claims_exist_and_every_content_item_says_what_it_rests_on(lesson):
    known = {c["id"] for c in _ledger()}
    for items in [_content()[lesson]]:
        for item_id, item in items.items():
            assert "claims" in item, f"{lesson} {item_id}: say which claims it rests on (claims: [] if none)"
            missing = set(item["claims"]) - known
            assert not missing, f"{lesson} {item_id} cites unknown claims {sorted(missing)}"


def test_the_ledger_says_where_each_claim_is_taught_and_tested():
    content = _content()
    for claim in _ledger():
        for lesson in claim["taught"]:
            assert (ROOT / "course" / f"{lesson}.ipynb").exists(), f"{claim['id']}: no lesson {lesson}"
        for item_id in claim["tested"]:
            citing = [lesson for lesson, items in content.items() if item_id in items]
            assert citing, f"{claim['id']}: no content item {item_id}"
            assert any(claim["id"] in content[lesson][item_id].get("claims", []) for lesson in citing), \
                f"{claim['id']}: item {item_id} is listed as testing it but does not cite it"


def test_a_lesson_that_teaches_a_claim_shows_the_numbers_of_its_experiment():
    for claim in _ledger():
        name = claim["experiment"].partition(":")[2]
        for lesson in claim["taught"]:
            assert name in _lesson_code(lesson), f"{claim['id']}: lesson {lesson} never calls {name}"


# --- the measurements (pytest -m claims) -----------------------------------------------------------------------


def _measurements():
    """``(claim, "design" | "evaluation")`` in ledger order; a claim that is not seed-dependent has no evaluation."""
    claims = _ledger() if LEDGER.exists() else []
    return [pytest.param(claim, role, id=f"{claim['id']}-{role}") for claim in claims
            for role in ledger.roles() if role == "design" or ledger.seeded(claim)]


@pytest.mark.claims
@pytest.mark.parametrize(("claim", "role"), _measurements())
def test_claim_holds(claim, role, record_property):
    seeds = ledger.design_seeds(claim) if role == "design" else ledger.evaluation_seeds(claim)
    record = evidence_file.judge(claim, ledger.measure(claim, seeds))
    evidence_file.write(claim, record)
    record_property("measured", f"{claim['id']} ({role}): {record['sentence']}")  # printed by the root conftest
    failed = not record["ok"] or (record.get("control") and not record["control"]["ok"])
    assert not failed, ledger.failure(claim, record, role)


# --- the evidence file (instant) ---------------------------------------------------------------------------------


def test_the_evidence_file_describes_the_code_and_the_ledger_and_nobody_edited_it():
    issues = evidence_file.problems()
    assert not issues, "\n".join(["course/evidence.json is stale or was edited:", *issues[:20],
                                   f"({len(issues)} problems.) To bring it up to date, {evidence_file.REMEASURE}."])
