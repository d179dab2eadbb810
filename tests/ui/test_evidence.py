"""widgets.evidence: a lesson's live run, and beside it every seed the ledger measured, from the evidence file."""

import json

import widgets
from widgets.labs import evidence_file, ledger
from widgets.ui import evidence as shown


def _file(tmp_path, monkeypatch, records):
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps({"claims": records}))
    monkeypatch.setattr(evidence_file, "EVIDENCE", path)
    return path


def test_both_seed_sets_are_shown_with_their_sentences(tmp_path, monkeypatch):
    entry = ledger.claim("metrics-overfitting")
    code, claim = evidence_file.code_hash(entry=entry), evidence_file.claim_hash(entry)
    stamp = {"date": "2026-12-07", "code": code, "claim": claim}
    _file(tmp_path, monkeypatch, {"metrics-overfitting": {
        "design": {**stamp, "seeds": [0, 1, 2], "sentence": "gap +40; held on 3 of 3 seeds (0-2)"},
        "evaluation": {**stamp, "seeds": list(range(1000, 1010)), "sentence": "gap +39; held on 10 of 10"}}})
    result = widgets.evidence("metrics-overfitting")
    assert result.lines[:2] == ["design seeds: gap +40; held on 3 of 3 seeds (0-2)",
                                "evaluation seeds: gap +39; held on 10 of 10"]
    assert "older code" not in repr(result) and "2026-12-07" in result.lines[-1]
    assert "<li>evaluation seeds: gap +39; held on 10 of 10</li>" in result._repr_html_()


def test_a_record_of_other_code_says_so_and_how_to_measure_again(tmp_path, monkeypatch):
    _file(tmp_path, monkeypatch, {"metrics-overfitting": {
        "design": {"date": "2026-01-01", "code": "old", "claim": "old", "seeds": [0, 1, 2], "sentence": "gap +40"}}})
    text = repr(widgets.evidence("metrics-overfitting"))
    assert "older code" in text and "pytest -m claims" in text


def test_an_unmeasured_or_unknown_claim_gets_a_sentence_not_a_traceback(tmp_path, monkeypatch):
    _file(tmp_path, monkeypatch, {})
    assert "not measured yet" in repr(widgets.evidence("metrics-overfitting"))
    unknown = widgets.evidence("no-such-claim")
    assert "No claim 'no-such-claim'" in repr(unknown) and "metrics-overfitting" in unknown._repr_html_()
    assert shown.evidence("<b>")._repr_html_().count("<b>") == 0  # the id is escaped
