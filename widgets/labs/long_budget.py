"""Lesson 01's labels curve at a budget long enough for scratch to fit its images.

At the lesson's 50 steps, scratch with 50 labels per digit has not fitted its own training images, so the 50-step
curve measures the budget as much as the labels. Here every run gets :data:`LONG_STEPS` (8x), the same runs and
rates as :mod:`widgets.labs.transfer` otherwise (its cache, its ``run``), so the two budgets compare like for like.
"""

from . import evidence, mean, pct, spread
from .transfer import SEEDS, STEPS, run

#: 8x the lesson's budget: the budget the issue's re-measurement used, at which scratch fits its training images
#: (He et al. 2019 compare pre-training and scratch at equal, long budgets). Chosen before looking at these runs.
LONG_STEPS = 400
LONG_LABELS = (5, 50)  # the two ends of the curve: each 400-step scratch run costs about 30 s on one core


def accuracies(recipe, n_per_class, seeds, steps=LONG_STEPS):
    """Test accuracy of ``recipe`` after ``steps``, one number per seed (the runs of :func:`transfer.run`)."""
    return [run(recipe, n_per_class, seed, steps).target_acc for seed in seeds]


def _lead(values):
    """``"41.4 ± 1.6 points"``: the mean and the spread of a difference of accuracies."""
    return f"{100 * mean(values):.1f} ± {100 * spread(values):.1f} points"


def underfit(seeds=SEEDS, n_per_class=50):
    """Scratch's TRAINING accuracy with ``n_per_class`` labels per digit after the lesson's 50 steps and after
    :data:`LONG_STEPS`. Holds when, on every seed, it is under 50% at 50 steps (scratch has not yet fitted its own
    images: a 50-step curve measures the budget, not only the labels) and above 80% at 400."""
    short = [run("scratch", n_per_class, seed).train_acc for seed in seeds]
    long = [run("scratch", n_per_class, seed, LONG_STEPS).train_acc for seed in seeds]
    holds = all(s < 0.5 for s in short) and all(g > 0.8 for g in long)
    summary = (f"from scratch, {n_per_class} labels per digit, training accuracy: {pct(short)} after {STEPS} steps, "
               f"{pct(long)} after {LONG_STEPS} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, train_acc_short=short, train_acc_long=long)


def curves_long(seeds=SEEDS, labels=LONG_LABELS):
    """:func:`curves` at :data:`LONG_STEPS`: ``{name: [[acc per seed] per n]}``."""
    return {"from scratch": [accuracies("scratch", n, seeds) for n in labels],
            "pre-trained, head only": [accuracies("probe", n, seeds) for n in labels]}


def curves_from(values, labels=LONG_LABELS):
    """The same shape from an evidence record's numbers per seed (``{"from scratch at 5": [...], ...}``)."""
    return {name: [values[f"{name} at {n}"] for n in labels] for name in ("from scratch", "pre-trained, head only")}


def lead_shrinks(seeds=SEEDS, labels=LONG_LABELS):
    """Both starts at :data:`LONG_STEPS`, at 5 and at 50 labels per digit. Holds when the pre-trained start leads at
    both sizes on every seed, and its lead at 50 labels is smaller than at 5 on every seed: with the steps to fit its
    images, scratch closes part of the gap as labels grow."""
    found = curves_long(seeds, labels)
    lead = {n: [p - s for s, p in zip(sc, pr)]
            for n, sc, pr in zip(labels, found["from scratch"], found["pre-trained, head only"])}
    fewest, most = lead[labels[0]], lead[labels[-1]]
    holds = all(g > 0 for n in labels for g in lead[n]) and all(m < f for f, m in zip(fewest, most))
    summary = (f"{LONG_STEPS} steps for every run: pre-trained lead over scratch "
               + ", ".join(f"{_lead(lead[n])} at {n}" for n in labels) + f" labels per digit ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, **{f"lead_{n}": v for n, v in lead.items()},
                    **{f"{name} at {n}": v for name, vs in found.items() for n, v in zip(labels, vs)})


def few_vs_many_long(seeds=SEEDS):
    """At :data:`LONG_STEPS`, a head on the pre-trained blocks with 5 labels per digit against scratch with 50.
    Holds when, on average over the seeds, they are within 10 points of each other (a pooled claim): the 50-step
    "5 pre-trained labels beat 50 from scratch" does not survive a budget at which scratch fits its images."""
    five, fifty = accuracies("probe", 5, seeds), accuracies("scratch", 50, seeds)
    gap = [f - s for f, s in zip(five, fifty)]
    summary = (f"{LONG_STEPS} steps: pre-trained, 5 labels per digit: {pct(five)}; from scratch, 50 labels per digit: "
               f"{pct(fifty)}; difference {_lead(gap)} ({len(seeds)} seeds)")
    return evidence(abs(mean(gap)) < 0.10, seeds, summary, gap=gap, probe_5=five, scratch_50=fifty)
