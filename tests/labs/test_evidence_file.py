"""The ledger's machinery, on made-up experiments: per-seed counts, the 95% interval, the "every seed" rule, the seed
ranges, and the evidence file's staleness and checksum (the real claims run under ``pytest -m claims``)."""

import json

import pytest

from widgets.labs import evidence, evidence_file, ledger

SEEDS = tuple(range(1000, 1010))


def _entry(statement="It holds on every seed.", **fields):
    return {"id": "made-up", "statement": statement, "experiment": "made:up", "seeds": [0, 1, 2],
            "evaluation_seeds": list(SEEDS), "measure": {"value": "gain", "unit": "points"}, "taught": [],
            "tested": [], **fields}


@pytest.fixture
def fake(monkeypatch):
    """A made-up experiment: the gain is 0.02 on every seed but the ones in ``failing`` (-0.01 there); it holds when
    the mean gain is positive, and says so per seed only if ``fills`` is set. ``calls``: the seeds of each call."""
    state = {"failing": {1003}, "fills": False, "calls": []}

    def experiment(seeds):
        state["calls"].append(tuple(seeds))
        gain = [-0.01 if s in state["failing"] else 0.02 for s in seeds]
        held = [g > 0 for g in gain] if state["fills"] else None
        return evidence(sum(gain) > 0, seeds, f"gain {sum(gain) / len(gain):+.3f}", held_per_seed=held, gain=gain)

    monkeypatch.setattr(ledger, "experiment", lambda dotted: experiment)
    return state


def test_a_claim_said_of_every_seed_fails_on_one_bad_evaluation_seed_and_says_what_it_measured(fake):
    record = ledger.measure(_entry(), SEEDS)
    assert record["holds"] and not record["ok"]  # the mean holds; "every seed" does not
    assert record["held"] == 9 and record["held_per_seed"][3] is False
    assert "held on 9 of 10 seeds (1000-1009)" in record["sentence"] and "on average +1.7 points" in record["sentence"]
    message = ledger.failure(_entry(), record, "evaluation")
    assert message.startswith("It holds on every seed.") and "95% interval [" in message
    assert ledger.measure(_entry("The mean gain is positive."), SEEDS)["ok"]  # no "every seed": the verdict decides


def test_without_a_per_seed_verdict_the_experiment_is_called_once_per_seed_and_with_one_it_is_not(fake):
    ledger.measure(_entry(), SEEDS)
    assert fake["calls"] == [SEEDS] + [(s,) for s in SEEDS]
    fake["calls"].clear()
    fake["fills"] = True
    assert ledger.measure(_entry(), SEEDS)["held"] == 9 and fake["calls"] == [SEEDS]


def test_a_pooled_claim_is_judged_on_the_seeds_together(fake):
    record = ledger.measure(_entry("The mean gain is positive.", pooled=True), SEEDS)
    assert record["held"] is None and record["ok"] and "judged on the 10 seeds together" in record["sentence"]


def test_the_interval_is_students_t_over_the_seeds():
    mean, low, high = ledger.interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and high - mean == pytest.approx(4.302653 / 3**0.5, rel=1e-6)  # t(0.975, 2) x sd / sqrt(3)
    assert ledger.interval([0.5]) == (0.5, 0.5, 0.5)


def test_seed_ranges_and_the_evaluation_override(monkeypatch):
    assert ledger.parse_seeds("2000-2003") == (2000, 2001, 2002, 2003)
    assert ledger.parse_seeds("5, 7,2000-2001") == (5, 7, 2000, 2001)
    for bad in ("", "a", "9-3", "1-"):
        with pytest.raises(ValueError, match="FTLAB_CLAIM_SEEDS"):
            ledger.parse_seeds(bad)
    assert ledger.evaluation_seeds(_entry(), {}) == SEEDS
    monkeypatch.setenv(ledger.SEEDS_VARIABLE, "2000-2009")
    assert ledger.evaluation_seeds(_entry()) == tuple(range(2000, 2010))
    assert ledger.evaluation_seeds(_entry(seeded=False)) == ()


def test_the_evidence_file_says_when_it_is_stale_or_edited(fake, tmp_path, monkeypatch):
    monkeypatch.setenv(ledger.EVALUATION_VARIABLE, "1")  # as `make evidence` runs: the evaluation seeds count too
    path, entry = tmp_path / "evidence.json", _entry()
    for seeds in (entry["seeds"], SEEDS):
        evidence_file.write(entry, ledger.measure(entry, seeds), path)
    data, code = evidence_file.read(path), evidence_file.code_hash(entry=entry)
    assert evidence_file.problems(data, [entry]) == evidence_file.problems(data, [entry], code) == []
    assert evidence_file.problems(data, [entry], "another") == [
        f"made-up ({role}): measured on other experiment code (engine, kit or labs)"
        for role in ("design", "evaluation")]
    assert "its ledger entry changed" in evidence_file.problems(data, [_entry("Reworded.")], code)[0]
    assert evidence_file.problems(data, [entry, {**entry, "id": "new"}], code) == [
        "new: never measured on its design seeds", "new: never measured on its evaluation seeds"]
    monkeypatch.delenv(ledger.EVALUATION_VARIABLE)  # `make test`: the design seeds only
    assert evidence_file.problems(data, [entry, {**entry, "id": "new"}], code) == [
        "new: never measured on its design seeds"]
    data["claims"]["made-up"]["evaluation"]["held"] = 10  # a hand-made improvement
    assert evidence_file.problems(data, [entry], code) == [
        "course/evidence.json was edited by hand (its checksum does not match its content)"]
    assert "has not been written" in evidence_file.problems({"claims": {}}, [], code)[0]


def test_the_file_reads_back_as_written_and_a_lesson_can_quote_it(fake, tmp_path, monkeypatch):
    path, entry = tmp_path / "evidence.json", _entry()
    evidence_file.write(entry, ledger.measure(entry, entry["seeds"]), path)
    evidence_file.write(entry, ledger.measure(entry, SEEDS), path)
    evidence_file.write(entry, ledger.measure(entry, (2000, 2001)), path)  # another range: kept beside, not instead
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["checksum"] == evidence_file.checksum(data)
    assert set(data["claims"]["made-up"]) == {"design", "evaluation", "seeds 2000, 2001"}
    assert '"seeds": [1000, 1001, 1002' in path.read_text(encoding="utf-8")  # a list of numbers on one line
    monkeypatch.setattr(ledger, "read_ledger", lambda path=None: [entry])
    quoted = evidence_file.evidence_for("made-up", data)
    assert quoted.fresh and str(quoted).startswith("measured ") and "on 10 evaluation seeds" in str(quoted)
    assert "held on 9 of 10 seeds" in str(quoted)
    with pytest.raises(KeyError):
        evidence_file.evidence_for("no-such-claim", data)


def test_a_claims_code_is_what_its_experiment_imports_and_nothing_else(tmp_path):
    """A change to a lab a claim does not run leaves its record fresh; a change to anything it imports does not."""
    files = {
        "widgets/__init__.py": "", "widgets/labs/__init__.py": "RUNS = 1\n",
        "widgets/labs/ledger.py": "import yaml\n",
        "widgets/labs/one.py": "from ..engine import maths\nfrom . import RUNS\n",
        "widgets/labs/two.py": "from .one import RUNS\n", "widgets/engine/__init__.py": "",
        "widgets/engine/maths.py": "def f():\n    from .deep import g\n", "widgets/engine/deep.py": "G = 1\n",
        "widgets/engine/unused.py": "", **{name: "weights" for name in evidence_file.CHECKPOINTS}}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    one, two = ({"experiment": f"widgets.labs.{m}:run"} for m in ("one", "two"))

    def hashes():  # the caches are keyed by modification time, which a fast test may not move
        for cache in (evidence_file._module_index, evidence_file._file_digest, evidence_file._parsed_imports):
            cache.cache_clear()
        return evidence_file.code_hash(tmp_path, one), evidence_file.code_hash(tmp_path, two)

    before = hashes()
    (tmp_path / "widgets/engine/unused.py").write_text("X = 2\n")
    (tmp_path / "widgets/__init__.py").write_text("# the names notebooks import\n")
    assert hashes() == before  # imported by neither
    (tmp_path / "widgets/labs/two.py").write_text("from .one import RUNS  # changed\n")
    after_two = hashes()
    assert after_two[0] == before[0] and after_two[1] != before[1]  # only the claim that runs it
    (tmp_path / "widgets/engine/deep.py").write_text("G = 2\n")  # imported inside a function, two modules down
    assert all(new != old for new, old in zip(hashes(), after_two))


def test_a_statement_that_gives_its_count_of_evaluation_seeds_is_judged_by_it():
    statement = "The head wins on every design seed and on only 8 of 10 evaluation seeds."
    entry = {"statement": statement, "seeds": [0, 1, 2]}
    record = {"holds": False, "every_seed": False, "seeds": list(range(1000, 1010))}
    assert evidence_file.judge(entry, {**record, "held": 8})["ok"]
    assert not evidence_file.judge(entry, {**record, "held": 7})["ok"]
    twenty = {**record, "seeds": list(range(2000, 2020))}  # another count of them: the same share
    assert evidence_file.judge(entry, {**twenty, "held": 16})["ok"]
    assert not evidence_file.judge(entry, {**twenty, "held": 15})["ok"]
    design = {**record, "seeds": [0, 1, 2], "held": 2}  # on the design seeds, the experiment's verdict decides
    assert not evidence_file.judge(entry, design)["ok"] and evidence_file.judge(entry, {**design, "holds": True})["ok"]
    plain = {**entry, "statement": "The head wins on every seed."}  # no stated count: every seed must hold
    assert not evidence_file.judge(plain, {**record, "held": 9, "holds": True, "every_seed": True})["ok"]
    control = {**entry, "control": {"statement": "Without it, it loses on 9 of 10 evaluation seeds."}}
    both = evidence_file.judge(control, {**record, "held": 8, "control": {**record, "held": 9}})
    assert both["ok"] and both["control"]["ok"]


def test_on_another_range_a_stated_count_is_a_rate_that_few_held_seeds_can_refute():
    entry = {"statement": "The head wins on every design seed and on 8 of 10 evaluation seeds.", "seeds": [0, 1, 2],
             "evaluation_seeds": list(range(1000, 1010))}
    other = {"holds": False, "every_seed": False, "seeds": list(range(2000, 2010))}
    # 8 of 10 per seed: 6 or fewer of 10 happen 12% of the time, 5 or fewer 3.3%, 4 or fewer 0.6%
    assert evidence_file.judge(entry, {**other, "held": 6})["ok"]
    assert not evidence_file.judge(entry, {**other, "held": 5})["ok"]
    assert not evidence_file.judge(entry, {**other, "held": 4})["ok"]
    on_its_own = {**other, "seeds": list(range(1000, 1010))}  # where the count was written: the count itself
    assert evidence_file.judge(entry, {**on_its_own, "held": 8})["ok"]
    assert not evidence_file.judge(entry, {**on_its_own, "held": 7})["ok"]
    every = {**entry, "statement": "The head wins on every design seed and on 10 of 10 evaluation seeds."}
    assert evidence_file.judge(every, {**other, "held": 10})["ok"]
    assert not evidence_file.judge(every, {**other, "held": 9})["ok"]  # a rate of 1 allows no miss


def test_binomial_cdf_matches_the_counts():
    assert evidence_file.binomial_cdf(10, 10, 0.3) == pytest.approx(1.0)
    assert evidence_file.binomial_cdf(0, 3, 0.5) == pytest.approx(1 / 8)
    assert evidence_file.binomial_cdf(4, 10, 0.8) == pytest.approx(0.00637, abs=1e-5)
    assert evidence_file.binomial_cdf(9, 10, 1.0) == 0


def test_a_seed_label_writes_each_run_of_seeds_as_a_range():
    from widgets.labs import ledger

    assert ledger.seeds_label([0, 1, 2]) == "0-2"
    twenty = [*range(1000, 1010), *range(2000, 2010)]
    assert ledger.seeds_label(twenty) == "1000-1009, 2000-2009"
    assert ledger.parse_seeds(ledger.seeds_label(twenty)) == tuple(twenty)  # FTLAB_CLAIM_SEEDS reads it back
    assert ledger.seeds_label([5, 7]) == "5, 7" and ledger.seeds_label([1, 2, 5, 6, 7]) == "1, 2, 5-7"
