"""The course's experiments: every empirical claim a lesson or a content item makes is measured here.

Each claim in ``course/claims.yaml`` names a function of this package that runs its experiment on several seeds
and returns :class:`Evidence`: whether the claim holds on this run, the numbers per seed, and one line that says
it with the mean and the spread. The lessons call the same functions to show their numbers, and the tests
(``pytest -m claims``) call them to check every claim. Experiments share their runs through small caches, so a
claim that reads the same runs as another costs nothing more.

Every experiment trains on the CPU (:data:`DEVICE`), GPU or not: the claims' thresholds were fitted on CPU runs, and
a GPU's kernels round differently, so the same seed would give other numbers and could stop a lesson with a ✗.
``course/evidence.json`` holds what every claim measured on its design and evaluation seeds
(:mod:`widgets.labs.ledger`).
"""

import statistics
from dataclasses import dataclass, field

#: how many runs each lab keeps in memory (per cached function): every run a lesson's claims read, on the design
#: and the evaluation seeds, with room to spare; bounded, so a long session's memory never grows without end
RUNS_KEPT = 512

#: where every experiment trains (passed to each Trainer, sweep and range test of this package): the CPU
DEVICE = "cpu"


@dataclass
class Evidence:
    """What an experiment found. ``values``: name -> one number per seed. ``holds``: the claim is true here.

    ``held_per_seed``: whether the claim held on each seed, filled by an experiment whose claim is judged seed by
    seed differently from calling it on one seed at a time (a part that must hold "on most seeds", or a mean); left
    ``None``, the ledger calls the experiment once per seed (:func:`widgets.labs.ledger.measure`)."""

    holds: bool
    values: dict = field(default_factory=dict)
    summary: str = ""
    seeds: tuple = ()
    held_per_seed: tuple = None
    checked: bool = field(default=False, repr=False, compare=False)  # widgets.check printed it already

    def __bool__(self):
        return self.holds

    def _ipython_display_(self):
        """In a notebook, one line: its summary (nothing when ``widgets.check`` has just printed it), never the
        wall of numbers a cell ending in ``widgets.check(...)`` would otherwise show."""
        if not self.checked:
            print(("✓ " if self.holds else "✗ ") + self.summary)


def mean(values):
    return statistics.fmean(values)


def spread(values):
    """Half the range (max - min) / 2: with 3 to 5 seeds, more honest than a standard deviation."""
    return (max(values) - min(values)) / 2 if values else 0.0


def pct(values):
    """``"55.0% ± 2.1"``: the mean and the spread of accuracies, in percent and points."""
    return f"{100 * mean(values):.1f}% ± {100 * spread(values):.1f}"


def evidence(holds, seeds, summary, held_per_seed=None, **values):
    per_seed = None if held_per_seed is None else tuple(bool(h) for h in held_per_seed)
    return Evidence(bool(holds), {k: list(v) for k, v in values.items()}, summary, tuple(seeds), per_seed)


def __getattr__(name):
    """``widgets.labs.transfer`` and the like: each lesson's experiments, imported when first used."""
    import importlib

    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
