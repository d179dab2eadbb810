"""Reproduce, headless: it reruns a claim's experiment in the background, beside what the evidence file recorded,
says beforehand how long that should take, stops between seeds, and says what is wrong with bad input."""

import pytest

from widgets.labs import evidence, evidence_file, ledger
from widgets.ui.reproduce import Reproduce

CHEAP = "conv1-filters-smooth"  # a random conv1 per seed: no training
SEEDS = (1000, 1001, 1002)


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    """An evidence file of its own, holding CHEAP measured on SEEDS (12.5 s recorded for it)."""
    monkeypatch.setattr(evidence_file, "EVIDENCE", tmp_path / "evidence.json")
    entry = ledger.claim(CHEAP)
    record = ledger.measure(entry, SEEDS)
    evidence_file.write(entry, {**record, "seconds": 12.5})
    return record


def test_it_reruns_a_claim_and_shows_the_fresh_numbers_beside_the_recorded_ones(recorded):
    widget = Reproduce(claims=[CHEAP], seeds=SEEDS)
    assert "About 12 s" in widget.note.value and "not run yet" in widget.table.value
    assert widget.runner.start()
    widget.runner.wait(120)
    fresh = widget.fresh[CHEAP]
    assert fresh["seeds"] == list(SEEDS) and fresh["held"] == 3 and fresh["ok"]
    assert fresh["per_seed"] == recorded["per_seed"]  # the same seeds, the same code: the same numbers
    assert widget.runner.bar.value == 1.0 and "1 claims measured; 1 held as worded" in widget.runner.status.value
    assert recorded["sentence"] in widget.table.value and "✓ holds as worded" in widget.table.value
    assert "<td>yes</td>" in widget.table.value


def test_stop_ends_the_run_after_the_seed_in_progress(recorded, monkeypatch):
    widget = Reproduce(claims=[CHEAP], seeds=(1, 2, 3, 4, 5))
    calls = []

    def experiment(seeds):
        calls.append(seeds)
        widget.runner.stop()  # the learner presses Stop while the first seed runs
        return evidence(True, seeds, "made up", value=[0.5] * len(seeds))

    monkeypatch.setattr(ledger, "experiment", lambda dotted: experiment)
    widget.runner.start()
    widget.runner.wait(60)
    assert calls == [(1,)] and widget.fresh == {} and "Stopped" in widget.runner.status.value
    assert not widget.runner.running and widget.runner.start_button.disabled is False


@pytest.mark.parametrize(("arguments", "says"), [
    (dict(lesson="99_no_such_lesson"), "No lesson '99_no_such_lesson' teaches a claim. The lessons: 01_why"),
    (dict(claims=["no-such-claim"]), "No claim no-such-claim in course/claims.yaml."),
    (dict(claims=[]), "Name at least one claim."),
    (dict(claims=[CHEAP], seeds=[]), "seeds: a list of whole numbers (at least one)"),
    (dict(claims=[CHEAP], seeds="ten"), "seeds: a list of whole numbers, or a range"),
    (dict(claims=[CHEAP], seeds=[1.5]), "seeds: a list of whole numbers"),
])
def test_bad_input_is_said_in_the_widget_and_nothing_can_start(arguments, says):
    widget = Reproduce(**arguments)
    assert says in widget.note.value.replace("&#x27;", "'") and widget.runner.start_button.disabled


def test_a_lesson_reproduces_the_claims_it_teaches():
    widget = Reproduce("05_choosing_a_model")
    assert [e["id"] for e in widget.entries][:2] == ["bytes-per-parameter", "model-parameter-counts"]
    assert widget.seeds_for(widget.entries[0]) == (0, 1, 2)  # a count: its design seeds
    assert widget.seeds_for(ledger.claim("deeper-course-model")) == tuple(range(1000, 1010))
