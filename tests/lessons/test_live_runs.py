"""A lesson runs each experiment live on one design seed and shows the evidence file's line for every seed beside it
(issue #21, item 4): the lesson stays fast, and the multi-seed evidence is still on the page."""

import ast
import json
from pathlib import Path

import pytest
import yaml

from widgets import sitting

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = yaml.safe_load((ROOT / "course" / "claims.yaml").read_text(encoding="utf-8"))["claims"]
TEACHING = sorted({lesson for claim in CLAIMS for lesson in claim["taught"]})
#: lessons another change converts to live runs; remove a lesson from here once it is converted
NOT_YET_LIVE = {"04_learning_rate", "05_choosing_a_model", "06_reading_the_metrics", "08_fine_tuning_now"}


def _notebook(lesson):
    return json.loads((ROOT / "course" / f"{lesson}.ipynb").read_text(encoding="utf-8"))


def _calls(cells):
    """Every call in the code cells, parsed (``ast.Call`` nodes)."""
    return [node for cell in cells if cell["cell_type"] == "code"
            for node in ast.walk(ast.parse("".join(cell["source"]))) if isinstance(node, ast.Call)]


def _name(call):
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _experiments(lesson):
    """The functions (by name) that measure the claims ``lesson`` teaches, and their controls."""
    taught = [claim for claim in CLAIMS if lesson in claim["taught"]]
    dotted = [claim["experiment"] for claim in taught] + [claim["control"]["experiment"] for claim in taught
                                                           if "control" in claim]
    return {name.partition(":")[2] for name in dotted}


def _live(lesson):
    return pytest.param(lesson, marks=pytest.mark.xfail(reason="not converted yet", strict=True)) \
        if lesson in NOT_YET_LIVE else lesson


@pytest.mark.parametrize("lesson", [_live(lesson) for lesson in TEACHING])
def test_each_experiment_runs_live_on_one_seed(lesson):
    calls = [call for call in _calls(_notebook(lesson)["cells"]) if _name(call) in _experiments(lesson)]
    assert calls, f"{lesson} calls none of its experiments"
    for call in calls:
        seeds = [kw.value for kw in call.keywords if kw.arg == "seeds"] or call.args[:1]
        assert seeds and isinstance(seeds[0], (ast.List, ast.Tuple)) and len(seeds[0].elts) == 1, \
            f"{lesson}: {ast.unparse(call)} should run one live seed, e.g. seeds=[0]"


@pytest.mark.parametrize("lesson", [_live(lesson) for lesson in TEACHING])
def test_every_taught_claim_shows_its_evidence_once(lesson):
    shown = [ast.literal_eval(call.args[0]) for call in _calls(_notebook(lesson)["cells"])
             if _name(call) == "evidence" and call.args]
    taught = [claim["id"] for claim in CLAIMS if lesson in claim["taught"]]
    assert {claim["id"] for claim in CLAIMS} >= set(shown), f"{lesson} shows the evidence of an unknown claim"
    for claim_id in taught:
        assert shown.count(claim_id) == 1, \
            f"{lesson} shows widgets.evidence({claim_id!r}) {shown.count(claim_id)} times"


@pytest.mark.parametrize("lesson", [_live(lesson) for lesson in TEACHING])
def test_the_core_path_offers_to_reproduce_the_lesson(lesson):
    calls = _calls(sitting.core_cells(_notebook(lesson)))
    assert any(_name(call) == "Reproduce" and [ast.literal_eval(a) for a in call.args] == [lesson] for call in calls), \
        f"{lesson}: no widgets.Reproduce({lesson!r}) before its learning modes"
