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

import datetime
import functools
import hashlib
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import ledger

EVIDENCE = ledger.ROOT / "course" / "evidence.json"
CODE = ("widgets/engine", "widgets/kit", "widgets/labs")
CHECKPOINT = "widgets/assets/course_cnn.pt"
REMEASURE = "run `pytest -m claims` (it measures every claim again and rewrites course/evidence.json)"
#: the entry fields that change what is measured or how it is judged (``taught`` and ``tested`` do not)
MEASURED_FIELDS = ("id", "statement", "experiment", "seeds", "evaluation_seeds", "seeded", "pooled", "measure",
                   "control")


def _sha(data):
    return hashlib.sha256(data).hexdigest()[:16]


def code_hash(root=None):
    """One hash of the experiment code: every ``.py`` file under :data:`CODE` (path and bytes) and the checkpoint."""
    root = Path(root or ledger.ROOT)
    digest = hashlib.sha256()
    files = sorted(p for folder in CODE for p in (root / folder).rglob("*.py")) + [root / CHECKPOINT]
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


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
        changed = run(["git", "status", "--porcelain", "--", *CODE, CHECKPOINT, "course/claims.yaml"]).stdout.strip()
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

    return {**record, "date": datetime.date.today().isoformat(), "commit": _commit(), "code": code_hash(),
            "claim": claim_hash(entry), "machine": f"{platform.machine()}, torch {torch.__version__}, CPU"}


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
    do about any of them: :data:`REMEASURE`."""
    data = read() if data is None else data
    claims = ledger.read_ledger() if claims is None else claims
    code = code_hash() if code is None else code
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
            elif record.get("code") != code:
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
    fresh = all(r is not None and r.get("code") == code_hash() and r.get("claim") == claim_hash(entry) for r in wanted)
    return Measured(claim_id, entry["statement"], design, evaluation, fresh)


if __name__ == "__main__":
    issues = problems()
    print("\n".join(issues + [f"To bring it up to date, {REMEASURE}."]) if issues
          else f"course/evidence.json describes the code ({code_hash()}) and the ledger.")
    raise SystemExit(1 if issues else 0)
