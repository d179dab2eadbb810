"""Reproduce: rerun a lesson's claims on their evaluation seeds, and see the fresh numbers beside the recorded ones.

    widgets.Reproduce("01_why_fine_tune")                  # every claim lesson 01 teaches
    widgets.Reproduce(claims=["conv1-filters-smooth"])     # or some claims, by id (course/claims.yaml)

Each claim's experiment runs on its evaluation seeds (a claim that is not seed-dependent: its design seeds), seed by
seed, in a background thread: the notebook stays responsive, the bar moves after each seed and Stop ends the run
after the seed in progress. Before it starts, the widget says how long it should take: the seconds the evidence file
(``course/evidence.json``) recorded for the same claims.
"""

import html
import time

import ipywidgets as ipw

from ..labs import evidence_file, ledger
from .messages import ERROR, INFO, message_html
from .runner import BackgroundRunner


def _entries(lesson, claim_ids):
    """``(ledger entries, problem)``: the claims to reproduce, or a sentence saying why there are none."""
    claims = ledger.read_ledger()
    if claim_ids is not None:
        if isinstance(claim_ids, str):
            claim_ids = [claim_ids]
        known = {entry["id"]: entry for entry in claims}
        unknown = [str(c) for c in claim_ids if c not in known]
        if unknown or not claim_ids:
            return [], (f"No claim {', '.join(unknown)} in course/claims.yaml." if unknown
                        else "Name at least one claim.")
        return [known[c] for c in claim_ids], ""
    lessons = sorted({name for entry in claims for name in entry["taught"]})
    chosen = [entry for entry in claims if lesson in entry["taught"]]
    if not chosen:
        return [], f"No lesson {lesson!r} teaches a claim. The lessons: {', '.join(lessons)}."
    return chosen, ""


def _seeds(seeds):
    """``(seeds or None, problem)``: ``None`` means each claim's own evaluation seeds."""
    if seeds is None:
        return None, ""
    try:
        seeds = ledger.parse_seeds(seeds) if isinstance(seeds, str) else tuple(seeds)
    except (TypeError, ValueError):
        return None, "seeds: a list of whole numbers, or a range such as '1000-1009'."
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
        return None, "seeds: a list of whole numbers (at least one), or a range such as '1000-1009'."
    return seeds, ""


def _minutes(seconds):
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


class Reproduce(ipw.VBox):
    """A Reproduce button for a lesson's claims (``lesson``) or some claims (``claims``), on their evaluation seeds
    or on ``seeds`` (a list, or ``"2000-2009"``). ``fresh``: claim id -> what this run measured."""

    def __init__(self, lesson=None, claims=None, seeds=None):
        self.entries, problem = _entries(lesson, claims)
        self.chosen_seeds, seeds_problem = _seeds(seeds)
        problem = problem or seeds_problem
        self.recorded = evidence_file.read()["claims"]
        self.fresh = {}
        self.note = ipw.HTML(message_html(problem, ERROR) if problem else self._estimate_html())
        self.table = ipw.HTML(self._table_html())
        self.runner = BackgroundRunner(self._job, on_done=self._done, start_label="Reproduce", start_icon="refresh",
                                       on_start=self._clear)
        self.runner.start_button.disabled = bool(problem)
        super().__init__([self.note, self.runner, self.table])

    # ---- what runs -------------------------------------------------------------------------------------------

    def seeds_for(self, entry):
        if not ledger.seeded(entry):
            return ledger.design_seeds(entry)
        return self.chosen_seeds or ledger.evaluation_seeds(entry)

    def _recorded(self, entry):
        """The evidence file's record on the seeds this widget runs, else its evaluation (or design) record."""
        records = self.recorded.get(entry["id"], {})
        seeds = list(self.seeds_for(entry))
        same = [record for record in records.values() if isinstance(record, dict) and record.get("seeds") == seeds]
        return same[0] if same else records.get("evaluation") or records.get("design")

    def expected_seconds(self, entry):
        """What the evidence file recorded for this claim, scaled to the number of seeds; None if it has nothing."""
        record = self._recorded(entry)
        if record is None:
            return None
        return record["seconds"] * len(self.seeds_for(entry)) / len(record["seeds"])

    def _estimate_html(self):
        known = [s for s in map(self.expected_seconds, self.entries) if s is not None]
        text = f"{len(self.entries)} claim{'s' * (len(self.entries) != 1)}, each on its evaluation seeds. "
        if known:
            text += (f"{'At least ' if len(known) < len(self.entries) else 'About '}{_minutes(sum(known))}: what the "
                     "last `pytest -m claims` took for them (it ran them in the ledger's order, on its own machine).")
        else:
            text += "The evidence file has no time for them yet."
        return message_html(text, INFO)

    def _job(self, progress, stop):
        weights = [max(1.0, self.expected_seconds(e) or 1.0) for e in self.entries]
        total, done, started = sum(weights), 0.0, time.perf_counter()
        for entry, weight in zip(self.entries, weights):

            def seed_progress(fraction, entry=entry, weight=weight, done=done):
                part = (done + weight * fraction) / total
                elapsed = time.perf_counter() - started
                left = f"; about {_minutes(elapsed / part - elapsed)} left" if part > 0.02 else ""
                progress(part, f"{entry['id']}: {fraction:.0%} of its seeds{left}")

            try:
                measured = ledger.measure(entry, self.seeds_for(entry), per_seed_first=True, progress=seed_progress,
                                          stop=stop)
                self.fresh[entry["id"]] = evidence_file.judge(entry, measured)
            except ledger.Stopped:
                break
            finally:
                self.table.value = self._table_html()
            done += weight
        return self.fresh

    def _clear(self):
        self.fresh = {}
        self.table.value = self._table_html()

    def _done(self, fresh):
        held = sum(1 for record in fresh.values() if record["ok"] and record.get("control", {}).get("ok", True))
        ran = f"{len(fresh)} of {len(self.entries)} claims measured" if len(fresh) < len(self.entries) else \
            f"{len(fresh)} claims measured"
        return f"{'Stopped: ' if self.runner.stop_event.is_set() else ''}{ran}; {held} held as worded."

    # ---- what shows ------------------------------------------------------------------------------------------

    def _table_html(self):
        rows = []
        for entry in self.entries:
            recorded, fresh = self._recorded(entry), self.fresh.get(entry["id"])
            then = f"{recorded['sentence']} ({recorded['date']})" if recorded else "not in the evidence file"
            now = _verdict(fresh) + fresh["sentence"] if fresh else "not run yet"
            cells = "".join(f"<td>{html.escape(text)}</td>" for text in (then, now, _same(recorded, fresh)))
            rows.append(f"<tr><th scope='row' style='text-align:left'>{html.escape(entry['id'])}</th>{cells}</tr>")
        return ("<table style='border-collapse:collapse' cellpadding='4'><caption style='text-align:left'>"
                "Recorded in course/evidence.json, and measured now</caption><tr><th>claim</th><th>recorded</th>"
                "<th>now</th><th>same numbers?</th></tr>" + "".join(rows) + "</table>")


def _verdict(record):
    ok = record["ok"] and record.get("control", {}).get("ok", True)
    return "✓ holds as worded: " if ok else "✗ does NOT hold as worded: "


def _same(recorded, fresh):
    """Whether this run's numbers are the recorded ones (the same seeds give the same numbers on the same code and
    machine; another machine may differ by float rounding)."""
    if not recorded or not fresh or recorded["seeds"] != fresh["seeds"]:
        return ""
    same = recorded.get("per_seed") == fresh.get("per_seed") and recorded.get("held") == fresh.get("held")
    return "yes" if same else "no: see the numbers"
