"""Lesson 01's experiments: does a pre-trained start beat a random one, why, and how does it depend on labels?

Every run trains the course CNN for ``STEPS`` steps of 32 images on ``n`` labelled Digits-M images per digit
(each seed draws its own images and its own random start) and is scored on the fixed held-out test set. The
recipes are those of :mod:`widgets.core.transfer`:

- the FAIR PAIR, ``scratch`` and ``finetune``: every weight trained, the same shifts as augmentation, the same
  steps and batches; only the starting weights differ, and each start trains at the rate that did best for it
  on a validation split, from the same grid (``transfer.TUNED_LR``);
- ``probe``: the pre-trained blocks frozen, a new head trained on their features (no augmentation);
- ``random_probe``: the same on frozen random blocks: the control for "the pre-trained features transfer".

Runs are cached per (recipe, labels, seed), so claims that read the same runs cost nothing more.
"""

import functools

from ..core import data, transfer
from ..core.batches import BatchOrder
from . import evidence, mean, pct, spread
from .once import keep_for_the_session

SEEDS = (0, 1, 2)
STEPS = transfer.LESSON_STEPS
BATCH_SIZE = transfer.BATCH_SIZE
LABELS = (5, 10, 50)
CHANCE = 0.1


@functools.lru_cache(maxsize=None)
def run(recipe, n_per_class, seed, steps=STEPS):
    """One recipe on ``n_per_class`` labels per digit for one seed: a ``TransferResult`` (cached)."""
    train, test = data.target_task(n_per_class=n_per_class, seed=seed)
    return transfer.run_recipe(recipe, train, test, seed=seed, steps=steps, measure_source=False)


def accuracies(recipe, n_per_class=10, seeds=SEEDS):
    """Test accuracy of ``recipe``, one number per seed."""
    return [run(recipe, n_per_class, seed).target_acc for seed in seeds]


def _points(values):
    return f"{100 * min(values):.0f} to {100 * max(values):.0f} points"


def _lead(values):
    """``"41.4 ± 1.6 points"``: the mean and the spread of a difference of accuracies."""
    return f"{100 * mean(values):.1f} ± {100 * spread(values):.1f} points"


def starts(seeds=SEEDS):
    """The fair pair, 10 labels per digit: the pre-trained start leads by more than 25 points on every seed."""
    scratch, finetune = accuracies("scratch", 10, seeds), accuracies("finetune", 10, seeds)
    lead = [f - s for s, f in zip(scratch, finetune)]
    summary = (f"10 labels per digit, every weight trained the same way: pre-trained {pct(finetune)}, "
               f"from scratch {pct(scratch)}; the pre-trained start leads by {_points(lead)} "
               f"({len(seeds)} seeds)")
    return evidence(all(g > 0.25 for g in lead), seeds, summary, scratch=scratch, finetune=finetune, lead=lead)


def scratch_memorises(seeds=SEEDS):
    """From scratch, the model fits its 100 training images (at least 95%) while its test accuracy stays under 25%."""
    train_acc = [run("scratch", 10, seed).train_acc for seed in seeds]
    test_acc = accuracies("scratch", 10, seeds)
    summary = (f"from scratch, 10 labels per digit: training accuracy {pct(train_acc)}, test accuracy "
               f"{pct(test_acc)} ({len(seeds)} seeds)")
    holds = all(t >= 0.95 for t in train_acc) and all(a < 0.25 for a in test_acc)
    return evidence(holds, seeds, summary, train_acc=train_acc, test_acc=test_acc)


def probe(seeds=SEEDS):
    """A second recipe: a new head alone on the frozen pre-trained blocks (no augmentation, its own tuned rate).
    Holds when it beats fine-tuning every weight on every seed, and scratch by more than 30 points."""
    scratch, finetune, head = (accuracies(r, 10, seeds) for r in ("scratch", "finetune", "probe"))
    summary = (f"10 labels per digit: a head on the frozen pre-trained blocks {pct(head)}, every weight "
               f"fine-tuned {pct(finetune)}, from scratch {pct(scratch)} ({len(seeds)} seeds)")
    holds = all(h > f for h, f in zip(head, finetune)) and all(h - s > 0.30 for h, s in zip(head, scratch))
    return evidence(holds, seeds, summary, probe=head, finetune=finetune, scratch=scratch)


def features_transfer(seeds=SEEDS):
    """The cause: the pre-trained features. A head on the frozen pre-trained blocks reaches about 60% (more than
    55% on every seed); the control, :func:`random_features`, shows the same head on random blocks does not."""
    head = accuracies("probe", 10, seeds)
    summary = f"a head on the frozen pre-trained blocks, 10 labels per digit: {pct(head)} ({len(seeds)} seeds)"
    return evidence(all(h > 0.55 for h in head), seeds, summary, probe=head)


def random_features(seeds=SEEDS):
    """Control: the same head, trained the same way, on frozen RANDOM blocks stays under 20% on every seed."""
    head = accuracies("random_probe", 10, seeds)
    summary = (f"control: a head on frozen random blocks (same architecture, same head training), 10 labels per "
               f"digit: {pct(head)} (chance is 10%; {len(seeds)} seeds)")
    return evidence(all(h < 0.20 for h in head), seeds, summary, random_probe=head)


def labels_curve(seeds=SEEDS, labels=LABELS):
    """From scratch and a head on the pre-trained blocks at 5, 10 and 50 labels per digit: ``{name: [[acc per
    seed] per n]}`` in ``values``. Holds when the pre-trained start leads by more than 30 points at every size, on
    every seed, its lead at the most labels is larger than at the fewest, on every seed, and its accuracy rises with
    every size, on every seed: within this range, more labels did not let scratch catch up. From scratch stays under
    20% (chance: 10%) at every size."""
    curves = {"from scratch": [accuracies("scratch", n, seeds) for n in labels],
              "pre-trained, head only": [accuracies("probe", n, seeds) for n in labels]}
    lead = {n: [p - s for s, p in zip(sc, pr)]
            for n, sc, pr in zip(labels, curves["from scratch"], curves["pre-trained, head only"])}
    scratch = [a for per_n in curves["from scratch"] for a in per_n]
    summary = ("pre-trained lead over scratch: " + ", ".join(f"{_lead(lead[n])} at {n}" for n in labels)
               + f" labels per digit; from scratch {100 * min(scratch):.0f}% to {100 * max(scratch):.0f}% at every "
               f"size ({len(seeds)} seeds)")
    pretrained = curves["pre-trained, head only"]
    rises = all(a < b for fewer, more in zip(pretrained, pretrained[1:]) for a, b in zip(fewer, more))
    holds = (all(g > 0.30 for n in labels for g in lead[n]) and all(scratch_acc < 0.20 for scratch_acc in scratch)
             and all(most > fewest for fewest, most in zip(lead[labels[0]], lead[labels[-1]])) and rises)
    return evidence(holds, seeds, summary, **{f"lead_{n}": v for n, v in lead.items()},
                    **{f"{name} at {n}": v for name, vs in curves.items() for n, v in zip(labels, vs)})


def curves(seeds=SEEDS, labels=LABELS):
    """The same runs as :func:`labels_curve`, shaped for ``labels_curve_figure``: ``{name: [[acc per seed] per n]}``."""
    return {"from scratch": [accuracies("scratch", n, seeds) for n in labels],
            "pre-trained, head only": [accuracies("probe", n, seeds) for n in labels]}


def few_beat_many(seeds=SEEDS):
    """A head on the pre-trained blocks with 5 labels per digit beats scratch with 50, on every seed."""
    five, fifty = accuracies("probe", 5, seeds), accuracies("scratch", 50, seeds)
    summary = (f"pre-trained, 5 labels per digit: {pct(five)}; from scratch, 50 labels per digit: {pct(fifty)} "
               f"({len(seeds)} seeds)")
    return evidence(all(f > s for f, s in zip(five, fifty)), seeds, summary, probe_5=five, scratch_50=fifty)


def budget(seeds=SEEDS, steps=STEPS, images=100):
    """``steps`` batches of 32 from ``images`` training images: how often each image is seen.

    Holds when the images seen add up to ``steps * 32``, i.e. ``steps * 32 / images`` passes over the set (16 for
    50 steps on 100 images), and no image is left out."""
    seen_per_seed, lowest, highest = [], [], []
    for seed in seeds:
        order = BatchOrder(images, BATCH_SIZE, seed)
        counts = [0] * images
        for _ in range(steps):
            for i in order.next().tolist():
                counts[i] += 1
        seen_per_seed.append(sum(counts))
        lowest.append(min(counts))
        highest.append(max(counts))
    passes = steps * BATCH_SIZE / images
    summary = (f"{steps} steps x {BATCH_SIZE} images = {seen_per_seed[0]:,} images seen = {passes:g} passes over "
               f"{images} images; each image seen {min(lowest)} to {max(highest)} times ({len(seeds)} seeds)")
    holds = all(s == steps * BATCH_SIZE for s in seen_per_seed) and min(lowest) > 0
    return evidence(holds, seeds, summary, seen=seen_per_seed, fewest=lowest, most=highest)


keep_for_the_session(globals())  # under the tests: once per session (see once.py)
