"""The ledger's numbers for one claim, shown beside a lesson's live run.

A lesson runs each experiment once, live, on one design seed (a few seconds); every seed the claim was measured on,
design and evaluation, comes from ``course/evidence.json``, which ``pytest -m claims`` writes::

    widgets.check(lab.overfitting(seeds=[0]))   # live: seed 0, here and now
    widgets.evidence("metrics-overfitting")     # every seed, from the evidence file

To see those numbers measured again on this machine: ``widgets.Reproduce("06_reading_the_metrics")``.
"""

import html

from ..labs import evidence_file, ledger

ROLES = (("design", "design seeds"), ("evaluation", "evaluation seeds"))


class ClaimEvidence:
    """What the evidence file says about ``claim_id``: one line per seed set (design, evaluation). Shows as HTML in a
    notebook and as text elsewhere; ``lines`` are the text."""

    def __init__(self, claim_id):
        try:
            self.measured = evidence_file.evidence_for(claim_id)
            self.problem = ""
        except KeyError:
            known = ", ".join(entry["id"] for entry in ledger.read_ledger())
            self.measured, self.problem = None, f"No claim {claim_id!r} in course/claims.yaml. The claims: {known}."
        self.claim_id = claim_id

    def per_seed(self, role="evaluation"):
        """The numbers the experiment returned, one list per seed set's seeds (``{"lead_5": [...], ...}``), from the
        ``role`` record ("evaluation" or "design"), else from the other one; ``{}`` when neither was measured."""
        if self.measured is None:
            return {}
        records = [getattr(self.measured, name) for name in (role, *(r for r, _ in ROLES if r != role))]
        return next((record["per_seed"] for record in records if record and record.get("per_seed")), {})

    @property
    def lines(self):
        if self.problem:
            return [self.problem]
        found = [(label, record) for role, label in ROLES if (record := getattr(self.measured, role))]
        if not found:
            return [f"{self.claim_id}: not measured yet; {evidence_file.REMEASURE}."]
        lines = [f"{label}: {record['sentence']}" for label, record in found]  # the sentence names the seeds
        dates = sorted({record["date"] for _, record in found})
        lines.append(f"course/evidence.json, measured {' and '.join(dates)} by `pytest -m claims`"
                     + ("" if self.measured.fresh else "; on older code or an older wording of the claim: "
                        + evidence_file.REMEASURE) + ".")
        return lines

    def __repr__(self):
        return "\n".join(["Every seed:", *self.lines])

    def _repr_html_(self):
        *records, source = [html.escape(line) for line in self.lines]
        if not records:
            return f"<p style='color:#444444'>{source}</p>"
        items = "".join(f"<li>{line}</li>" for line in records)
        return (f"<div role='note' aria-label='{html.escape(self.claim_id)}: every seed'>"
                f"<strong>Every seed</strong> ({html.escape(self.claim_id)}):<ul style='margin:2px 0'>{items}</ul>"
                f"<small style='color:#444444'>{source}</small></div>")


def evidence(claim_id):
    """The evidence file's numbers for ``claim_id`` (an id of ``course/claims.yaml``), to show under a live run."""
    return ClaimEvidence(claim_id)
