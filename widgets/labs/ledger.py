"""The claims ledger (``course/claims.yaml``) measured: each claim on its design seeds and on its evaluation seeds.

A claim's thresholds were written looking at its design ``seeds`` (0, 1, 2); its ``evaluation_seeds`` (1000-1009)
were not looked at, so only they say whether the claim holds on seeds nobody tuned it on. :func:`measure` runs a
claim's experiment (and its control) on some seeds and returns a record: whether it held, on how many seeds it held
(``Evidence.held_per_seed`` when the experiment fills it, else one call per seed), the mean and a 95% interval of
every number it measured, and one sentence. ``pytest -m claims`` writes the records into ``course/evidence.json``
(:mod:`widgets.labs.evidence_file`); ``FTLAB_CLAIM_SEEDS=2000-2009 pytest -m claims`` measures another range instead of
the evaluation seeds.

The 95% interval is Student's t-interval over seeds: mean ± t(0.975, n - 1) × standard deviation / √n. A claim that
is not seed-dependent (a count, a byte size, a fact of the code) says ``seeded: false`` and runs on its design seeds
only. A claim that is about the seeds together (a mean, or a spread over seeds) says ``pooled: true``: it has no
per-seed count.
"""

import importlib
import os
import re
import statistics
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "course" / "claims.yaml"
#: a range of seeds to measure instead of every claim's evaluation seeds: "2000-2009", or "5,7,2000-2003"
SEEDS_VARIABLE = "FTLAB_CLAIM_SEEDS"
#: set (to 1) to measure the evaluation seeds too: ``make evidence`` does; ``make test`` measures the design seeds
EVALUATION_VARIABLE = "FTLAB_EVALUATION"
EVERY_SEED = re.compile(r"\b(every|each|no) seed\b", re.IGNORECASE)  # "on no seed by a point": each seed too
UNITS = {  # unit -> how one number is written
    "points": lambda v: f"{100 * v:+.1f}",
    "%": lambda v: f"{100 * v:.1f}%",
    "x": lambda v: f"{v:.2f}x",
    "rate": lambda v: f"{v:.1e}",
    "": lambda v: f"{v:,.0f}" if abs(v) >= 1000 and v == int(v) else f"{v:.3g}",
}


class Stopped(Exception):
    """A measurement was asked to stop (the Reproduce widget's Stop button)."""


# --- the ledger -------------------------------------------------------------------------------------------------


def read_ledger(path=None):
    """Every claim of the ledger, in its order (a list of dicts, as the YAML file says them)."""
    return yaml.safe_load(Path(path or LEDGER).read_text(encoding="utf-8"))["claims"] or []


def claim(claim_id, claims=None):
    found = [c for c in (claims or read_ledger()) if c["id"] == claim_id]
    if not found:
        raise KeyError(f"no claim {claim_id!r} in course/claims.yaml")
    return found[0]


def experiment(dotted):
    """``"widgets.labs.transfer:starts"`` -> the function."""
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)


def roles(environ=None):
    """What ``pytest -m claims`` measures: the design seeds always; the evaluation seeds with
    ``$FTLAB_EVALUATION=1`` or ``$FTLAB_CLAIM_SEEDS`` set (``make evidence``: 13 seeds a claim take about an hour
    on two cores, too long for every ``make test``)."""
    environ = os.environ if environ is None else environ
    wanted = environ.get(EVALUATION_VARIABLE, "") not in ("", "0") or bool(environ.get(SEEDS_VARIABLE))
    return ("design", "evaluation") if wanted else ("design",)


def seeded(entry):
    return entry.get("seeded", True)


def every_seed(statement):
    """True when the statement promises something on every seed (or "on no seed"): then it must hold on every seed
    measured."""
    return bool(EVERY_SEED.search(statement))


def parse_seeds(text):
    """``"2000-2009"`` -> (2000, ..., 2009); ``"5,7,2000-2002"`` -> (5, 7, 2000, 2001, 2002)."""
    seeds = []
    for part in str(text).replace(" ", "").split(","):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()) or (dash and int(high) < int(low)):
            raise ValueError(f"{SEEDS_VARIABLE}={text!r}: write seeds as 2000-2009 or 1,2,3 (whole numbers, ranges "
                             "low-high)")
        seeds += range(int(low), int(high) + 1) if dash else [int(low)]
    return tuple(dict.fromkeys(seeds))


def seeds_label(seeds):
    """``(0, 1, 2)`` -> ``"0-2"``; ``(1000, ..., 1009, 2000, ..., 2009)`` -> ``"1000-1009, 2000-2009"``; ``(5, 7)``
    -> ``"5, 7"``: each run of three or more consecutive seeds as a range."""
    runs = []
    for seed in seeds:
        if runs and seed == runs[-1][-1] + 1:
            runs[-1].append(seed)
        else:
            runs.append([seed])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs)


def design_seeds(entry):
    return tuple(entry["seeds"])


def evaluation_seeds(entry, environ=None):
    """The seeds a claim is evaluated on: ``$FTLAB_CLAIM_SEEDS`` when set, else its ``evaluation_seeds``; ``()`` for a
    claim that is not seed-dependent."""
    if not seeded(entry):
        return ()
    override = (os.environ if environ is None else environ).get(SEEDS_VARIABLE)
    return parse_seeds(override) if override else tuple(entry["evaluation_seeds"])


# --- statistics -------------------------------------------------------------------------------------------------


def interval(values):
    """``(mean, low, high)``: the mean and Student's t 95% interval over the seeds (a point for one seed or equal
    values)."""
    from scipy.stats import t  # scipy comes with scikit-learn, a dependency of the course

    values = [float(v) for v in values]
    centre = statistics.fmean(values)
    if len(values) < 2:
        return centre, centre, centre
    half = float(t.ppf(0.975, len(values) - 1)) * statistics.stdev(values) / len(values) ** 0.5
    return centre, centre - half, centre + half


def _stats(values):
    """``{"mean", "low", "high"}`` to 6 significant digits (what the evidence file keeps)."""
    return {k: float(f"{x:.6g}") for k, x in zip(("mean", "low", "high"), interval(values))}


def _numbers(values, n):
    """A per-seed list of plain numbers (bools count), or None for anything else an experiment keeps."""
    if not isinstance(values, (list, tuple)) or len(values) != n:
        return None
    if not all(isinstance(v, (int, float)) for v in values):
        return None
    return [float(v) for v in values]


def _headline(spec, values, n):
    """The per-seed numbers a claim's ``measure`` names: a value, or a value minus (or over) another."""
    if not spec:
        return None
    first = _numbers(values.get(spec["value"]), n)
    other_name = spec.get("minus") or spec.get("over")
    other = _numbers(values.get(other_name), n) if other_name else None
    if first is None or (other_name and other is None):
        return None
    if spec.get("minus"):
        return [a - b for a, b in zip(first, other)]
    if spec.get("over"):
        return [a / b if b else float("nan") for a, b in zip(first, other)]
    return first


def describe(spec):
    """``lead``, ``probe - finetune`` or ``a / b``: what a ``measure`` measures, in words."""
    if not spec:
        return ""
    if spec.get("minus"):
        return f"{spec['value']} - {spec['minus']}"
    if spec.get("over"):
        return f"{spec['value']} / {spec['over']}"
    return spec["value"]


def sentence(record):
    """``"lead: on average +41.4 points, 95% interval [+38.0, +44.8]; held on 8 of 10 seeds (1000-1009)"``."""
    parts = []
    head = record.get("measure")
    if head:
        write = UNITS.get(head["unit"], UNITS[""])
        unit = " points" if head["unit"] == "points" else ""
        parts.append(f"{head['name']}: on average {write(head['mean'])}{unit}, 95% interval "
                     f"[{write(head['low'])}, {write(head['high'])}]")
    n, label = len(record["seeds"]), seeds_label(record["seeds"])
    if record.get("held") is not None:
        parts.append(f"held on {record['held']} of {n} seeds ({label})")
    elif not record.get("seeded", True):
        parts.append(f"{'holds' if record['holds'] else 'does NOT hold'} (not seed-dependent: the same on every seed; "
                     f"{label})")
    elif record.get("pooled"):
        parts.append(f"judged on the {n} seeds together ({label}): {'holds' if record['holds'] else 'does NOT hold'}")
    else:
        parts.append(f"{'holds' if record['holds'] else 'does NOT hold'} ({label})")
    return "; ".join(parts)


# --- measuring --------------------------------------------------------------------------------------------------


def _one(statement, dotted, seeds, spec, pooled, per_seed_first, progress, stop, seed_dependent=True):
    """Run one experiment on ``seeds``: ``(Evidence, record)``. ``per_seed_first``: one call per seed before the
    call on all of them (the experiments cache their runs per seed, so that call then only reads them back): a
    progress bar moves and Stop works between seeds."""
    function = experiment(dotted)
    alone, spent = {}, [0.0]  # spent: seconds in the one-seed calls

    def each_seed():
        begun = time.perf_counter()
        for k, seed in enumerate(seeds):
            if stop is not None and stop.is_set():
                raise Stopped()
            alone[seed] = function(seeds=(seed,)).holds
            if progress is not None:
                progress(k + 1, len(seeds))
        spent[0] += time.perf_counter() - begun

    started, cpu = time.perf_counter(), time.process_time()
    if per_seed_first:
        each_seed()
    found = function(seeds=tuple(seeds))
    needs_alone = found.held_per_seed is None and not pooled and seed_dependent and len(seeds) > 1
    if needs_alone and not per_seed_first:
        each_seed()
    held_per_seed = found.held_per_seed if found.held_per_seed is not None else \
        tuple(alone[s] for s in seeds) if needs_alone else None
    if held_per_seed is None and len(seeds) == 1 and seed_dependent and not pooled:
        held_per_seed = (found.holds,)
    n = len(seeds)
    per_seed = {name: v for name, v in ((name, _numbers(v, n)) for name, v in found.values.items()) if v is not None}
    record = {
        "seeds": list(seeds), "holds": bool(found.holds), "summary": found.summary, "pooled": bool(pooled),
        "seeded": bool(seed_dependent),
        "every_seed": every_seed(statement),
        "held_per_seed": None if held_per_seed is None else [bool(h) for h in held_per_seed],
        "held": None if held_per_seed is None else sum(map(bool, held_per_seed)),
        "values": {name: _stats(v) for name, v in per_seed.items()},
        "per_seed": {name: [round(x, 6) for x in v] for name, v in per_seed.items()},
        "seconds": round(time.perf_counter() - started, 2), "seconds_alone": round(spent[0], 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),  # every thread of the process: a busy machine's
        # wall-clock seconds say more about the other jobs than about the experiment
    }
    head = _headline(spec, found.values, n)
    if head is not None:
        record["measure"] = dict(name=describe(spec), unit=spec.get("unit", ""), **_stats(head))
    record["sentence"] = sentence(record)
    return found, record


def measure(entry, seeds, per_seed_first=False, progress=None, stop=None):
    """Measure a ledger entry (and its control) on ``seeds``: its record (see :func:`_one`), with ``ok``: it held
    as worded (and on every seed where the statement says "every seed")."""
    seeds = tuple(seeds)
    with_control = bool(entry.get("control"))
    steps = 2 if with_control else 1

    def part(k):
        return None if progress is None else lambda i, n: progress((k * n + i) / (steps * n))

    _, record = _one(entry["statement"], entry["experiment"], seeds, entry.get("measure"), entry.get("pooled", False),
                     per_seed_first, part(0), stop, seeded(entry))
    record["ok"] = holds_as_worded(record)
    if with_control:
        control = entry["control"]
        _, record["control"] = _one(control["statement"], control["experiment"], seeds, control.get("measure"),
                                    control.get("pooled", False), per_seed_first, part(1), stop, seeded(entry))
        record["control"]["ok"] = holds_as_worded(record["control"])
        for key in ("seconds", "cpu_seconds"):
            record[key] = round(record[key] + record["control"][key], 2)
    return record


def holds_as_worded(record):
    """The experiment's verdict, and, where the statement says "every seed", a held count of every seed."""
    return record["holds"] and not (record["every_seed"] and record["held"] is not None
                                    and record["held"] < len(record["seeds"]))


def failure(entry, record, role):
    """The message of a claim that did not hold as worded: the statement, then what was measured."""
    lines = [entry["statement"], f"measured on the {role} seeds: {record['sentence']}", f"  {record['summary']}"]
    control = record.get("control")
    if control and not control["ok"]:
        lines += [f"control: {entry['control']['statement']}", f"measured: {control['sentence']}",
                  f"  {control['summary']}"]
    return "\n".join(lines)
