"""``course/evidence.json``: what every claim of the ledger measured, on which seeds, with which code, and when.

``pytest -m claims`` writes it (one record per claim and seed set, as each claim is measured); nothing else should.
Each record keeps a hash of the experiment code (every ``.py`` file of ``widgets/engine``, ``widgets/kit`` and
``widgets/labs``, and the course model's checkpoint) and of its ledger entry; the file keeps a checksum of its own
content. So a fast test can say when the numbers no longer describe the code or the ledger (stale: run
``pytest -m claims``) or when someone edited them by hand. ``python -m widgets.labs.evidence_file`` says the same.

A lesson reads it with :func:`evidence_for`::

    widgets.labs.evidence_file.evidence_for("fair-start-pretrained-leads")
    # measured 2025-01-05 on 10 evaluation seeds: lead: on average +41.4 points, 95% interval [...]; held on ...
"""

import ast
import datetime
import functools
import hashlib
import json
import math
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import ledger

EVIDENCE = ledger.ROOT / "course" / "evidence.json"
CODE = ("widgets/engine", "widgets/kit", "widgets/labs")
CHECKPOINTS = ("widgets/assets/course_cnn.pt", "widgets/assets/course_vit.pt")
#: how every claim is measured and judged: part of every claim's code
JUDGE = "widgets.labs.ledger"
REMEASURE = "run `pytest -m claims` (it measures every claim again and rewrites course/evidence.json)"
#: the entry fields that change what is measured or how it is judged (``taught`` and ``tested`` do not)
MEASURED_FIELDS = ("id", "statement", "experiment", "seeds", "evaluation_seeds", "seeded", "pooled", "measure",
                   "control")


def _sha(data):
    return hashlib.sha256(data).hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def _module_index(root):
    """``{dotted name: file}`` of every module of the package under ``root`` (a package: its ``__init__.py``)."""
    found = {}
    for path in (root / "widgets").rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _module_file(root, dotted):
    """The file of module ``dotted`` under ``root``, or None (a name that is not a module)."""
    return _module_index(root).get(dotted)


def _imports(root, dotted, path):
    """The package modules ``path`` (module ``dotted``) imports, anywhere in the file: ``from .x import y`` (y may be
    a module), ``from ..engine import checks``, ``import widgets.kit.data``."""
    return _parsed_imports(dotted, path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=512)
def _parsed_imports(dotted, path, _mtime):
    package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [name for name in found if name.startswith("widgets.")]


def _closure(root, modules):
    """Every package module that ``modules`` run when imported: themselves, what they import (transitively) and
    the ``__init__.py`` of each package on the way."""
    seen, files, todo = set(), set(), list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        # the packages it sits in; not the top one, whose __init__ only lists the names the notebooks import
        todo += [".".join(parts[:k]) for k in range(2, len(parts))]
        path = _module_file(root, name)
        if path is not None:
            files.add(path)
            todo += _imports(root, name, path)
    return files


def experiments(entry):
    """The modules of an entry's experiment and of its control's."""
    found = [entry.get("experiment"), (entry.get("control") or {}).get("experiment")]
    return [dotted.partition(":")[0] for dotted in found if dotted]


def code_hash(root=None, entry=None):
    """A hash of the code that measures ``entry`` (a ledger entry): every module its experiment and its control
    import, transitively, with the ledger's judge and the shipped checkpoints. Without ``entry``: every ``.py`` file
    under :data:`CODE`. A change to code a claim does not run leaves its record fresh."""
    root = Path(root or ledger.ROOT)
    if entry is None:
        files = {p for folder in CODE for p in (root / folder).rglob("*.py")}
    else:
        files = _closure(root, [*experiments(entry), JUDGE])
    digest = hashlib.sha256()
    for path in sorted(files) + [root / c for c in CHECKPOINTS]:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + _file_digest(path, path.stat().st_mtime_ns))
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=512)
def _file_digest(path, _mtime):
    return hashlib.sha256(path.read_bytes()).digest()


def claim_hash(entry):
    return _sha(json.dumps({k: entry.get(k) for k in MEASURED_FIELDS}, sort_keys=True).encode())


def checksum(data):
    """The hash of the file's content without its own checksum."""
    body = {k: v for k, v in data.items() if k != "checksum"}
    return _sha(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())


@functools.lru_cache(maxsize=1)
def _commit():
    """``HEAD``'s commit, with ``+changes`` when the measured code differs from it; ``"unknown"`` outside git."""
    try:
        run = functools.partial(subprocess.run, cwd=ledger.ROOT, capture_output=True, text=True, timeout=10)
        head = run(["git", "rev-parse", "--short=12", "HEAD"]).stdout.strip()
        changed = run(["git", "status", "--porcelain", "--", *CODE, *CHECKPOINTS, "course/claims.yaml"]).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + ("+changes" if changed else "")


def read(path=None):
    path = Path(path or EVIDENCE)
    if not path.exists():
        return {"claims": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def stamp(record, entry):
    """The record, with what it was measured on: the date, the commit, the code's and the ledger entry's hashes."""
    import platform

    import torch

    return {**record, "date": datetime.date.today().isoformat(), "commit": _commit(), "code": code_hash(entry=entry),
            "claim": claim_hash(entry), "machine": f"{platform.machine()}, torch {torch.__version__}, CPU"}


#: a statement that gives its own count of evaluation seeds ("... on 8 of 10 evaluation seeds") is judged by it
STATED_COUNT = re.compile(r"on (?:only )?(\d+) of (\d+) evaluation seeds")
#: on a range other than the one a count was written on, fewer held only when chance makes so few this unlikely
TOO_FEW = 0.05


def binomial_cdf(k, n, p):
    """The chance of at most ``k`` successes in ``n`` tries that each succeed with chance ``p``."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1))


def judge(entry, record):
    """``record`` (from :func:`widgets.labs.ledger.measure`) with ``ok`` as the entry's words decide it, and its
    control's: the experiment's verdict (and every seed where the statement says "every seed"), or, for a statement
    that says "on N of M evaluation seeds": on its evaluation seeds, at least N of M held (that share, for another
    count of them); on another range of seeds, a count that share makes likely: the claim fails when, were the
    chance of holding N/M per seed, so few seeds or fewer would hold less than one time in 20 (8 of 10 stated: 6 of
    10 is consistent, 4 is not; 10 of 10 stated: every seed must hold)."""
    def verdict(statement, part):
        stated = STATED_COUNT.search(statement)
        seeds = list(part["seeds"])
        if stated and seeds != list(entry["seeds"]) and part.get("held") is not None:
            share = int(stated.group(1)) / int(stated.group(2))
            if seeds == list(entry.get("evaluation_seeds") or seeds):
                return part["held"] >= math.ceil(share * len(seeds) - 1e-9)
            return binomial_cdf(part["held"], len(seeds), share) >= TOO_FEW
        return ledger.holds_as_worded(part)

    judged = {**record, "ok": verdict(entry["statement"], record)}
    if record.get("control"):
        judged["control"] = {**record["control"], "ok": verdict(entry["control"]["statement"], record["control"])}
    return judged


def role_of(entry, seeds):
    """Where a record for ``seeds`` goes: ``design``, ``evaluation``, or ``seeds 2000-2009`` (another range)."""
    seeds = list(seeds)
    if seeds == list(entry["seeds"]):
        return "design"
    if seeds == list(entry.get("evaluation_seeds") or []):
        return "evaluation"
    return f"seeds {ledger.seeds_label(seeds)}"


def write(entry, record, path=None):
    """Put ``record`` (from :func:`widgets.labs.ledger.measure`) into the file, stamped; whole or not at all."""
    path = Path(path or EVIDENCE)
    data = read(path)
    data["about"] = ("Written by `pytest -m claims` (tests/labs/test_claims_ledger.py, widgets/labs/evidence_file.py)"
                     ": do not edit. Design seeds: those each claim's thresholds were written on; evaluation seeds: "
                     "never looked at when writing it. Intervals: Student's t, 95%, over seeds.")
    data["claims"].setdefault(entry["id"], {})[role_of(entry, record["seeds"])] = stamp(record, entry)
    save(data, path)


def save(data, path=None):
    """Write ``data`` (sorted, with its checksum) to the evidence file, whole or not at all."""
    path = Path(path or EVIDENCE)
    data["claims"] = dict(sorted(data["claims"].items()))
    data["checksum"] = checksum(data)
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False)
    # a list of numbers on one line (no quotes inside: no string is touched)
    text = re.sub(r"\[\s+([-\w.+,\s]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".partial", delete=False, encoding="utf-8") as out:
        out.write(text + "\n")
    os.chmod(out.name, 0o644)  # a file of the repository, not a private temporary one
    os.replace(out.name, path)


def problems(data=None, claims=None, code=None):
    """Why the file does not describe the code and the ledger: one line per problem (empty when it does). What to
    do about any of them: :data:`REMEASURE`. ``code``: each claim's :func:`code_hash` (default), or one hash for
    all."""
    data = read() if data is None else data
    claims = ledger.read_ledger() if claims is None else claims
    found = []
    if "checksum" not in data:
        found.append("course/evidence.json has not been written (or has lost its checksum)")
    elif data["checksum"] != checksum(data):
        found.append("course/evidence.json was edited by hand (its checksum does not match its content)")
    known = {entry["id"] for entry in claims}
    found += [f"{claim_id}: in the evidence file but no longer in the ledger" for claim_id in data["claims"]
              if claim_id not in known]
    for entry in claims:
        records = data["claims"].get(entry["id"], {})
        for role in ledger.roles() if ledger.seeded(entry) else ("design",):
            record = records.get(role)
            if record is None:
                found.append(f"{entry['id']}: never measured on its {role} seeds")
            elif record.get("code") != (code_hash(entry=entry) if code is None else code):
                found.append(f"{entry['id']} ({role}): measured on other experiment code (engine, kit or labs)")
            elif record.get("claim") != claim_hash(entry):
                found.append(f"{entry['id']} ({role}): its ledger entry changed since it was measured")
    return found


@dataclass
class Measured:
    """What the evidence file says about one claim. ``fresh``: measured on today's code and ledger entry."""

    claim_id: str
    statement: str
    design: dict = None
    evaluation: dict = None
    fresh: bool = False

    @property
    def sentence(self):
        record, role = (self.evaluation, "evaluation") if self.evaluation else (self.design, "design")
        if record is None:
            return f"{self.claim_id}: not measured yet; {REMEASURE}"
        n = len(record["seeds"])
        text = f"measured {record['date']} on {n} {role} seed{'s' * (n != 1)}: {record['sentence']}"
        return text if self.fresh else text + " (measured on older code or an older ledger entry)"

    def __str__(self):
        return self.sentence

    def _ipython_display_(self):
        print(self.sentence)


def evidence_for(claim_id, data=None, claims=None):
    """The evidence file's record of ``claim_id`` (:class:`Measured`); ``KeyError`` for a claim not in the ledger."""
    entry = ledger.claim(claim_id, claims)
    records = (read() if data is None else data)["claims"].get(claim_id, {})
    design, evaluation = records.get("design"), records.get("evaluation")
    wanted = [design, evaluation] if ledger.seeded(entry) else [design]
    code = code_hash(entry=entry)
    fresh = all(r is not None and r.get("code") == code and r.get("claim") == claim_hash(entry) for r in wanted)
    return Measured(claim_id, entry["statement"], design, evaluation, fresh)


if __name__ == "__main__":
    issues = problems()
    print("\n".join(issues + [f"To bring it up to date, {REMEASURE}."]) if issues
          else f"course/evidence.json describes the code ({code_hash()}) and the ledger.")
    raise SystemExit(1 if issues else 0)
