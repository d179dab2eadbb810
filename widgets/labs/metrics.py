"""Lesson 06's experiments: a run that overfits, the usual remedies (each changing ONE thing), and more data.

The set-up is the MetricsExplorer's own: the course model fine-tuned on Digits-M with 20 images per digit, every
layer at 1e-3 with Adam, 100 steps, evaluated every 10 steps on 30 other images per digit. A seed picks the images,
the new head's starting weights and the batches. A remedy is compared with the baseline of the SAME seed (same
images, same batches): its gain is a paired difference, reported as mean ± spread over the seeds, and remedies are
ranked only where their gains differ by more than that spread.

Early stopping is read off the baseline's curve with the very rule the Trainer's hook uses
(:func:`as_early_stopped`): training is deterministic, so a run with early stopping keeps
exactly that model (a test checks it), and the lesson pays for one run less.

The runs (:func:`train_run`) are the MetricsExplorer's too: a baseline that overfits, and the remedies, one
switch each (same model, same images, same batches, same rate)::

    history = train_run(n_per_class=20, steps=100, augment=True)     # the baseline, augmented
    history.final["val_acc"]                                          # the model the run LEFT
"""

import functools

from ..engine.checks import SettingError
from ..engine.freezing import freeze
from ..engine.hooks import StopOnRequest, early_stopping_point
from ..engine.training import Trainer, evaluate
from ..kit.course import course_model, validation_task
from ..kit.model import BACKBONE_BLOCKS
from . import DEVICE, RUNS_KEPT, evidence, mean, pct, spread
from .once import keep_for_the_session
from .progress import showing_progress

#: AdamW's weight decay in the remedy: each step shrinks every weight by lr x WEIGHT_DECAY
WEIGHT_DECAY = 0.1
#: early stopping: evaluations without a better validation accuracy before the run stops
PATIENCE = 2
#: remedy -> (its name, what it does)
REMEDIES = {
    "freeze": ("freeze the backbone", "only the new head trains (conv1-conv3 frozen); the rate stays the same"),
    "augment": ("augment", "every batch shifted by up to 2 pixels, one of 25 shifts: the same images, seen in "
                           "slightly different places"),
    "weight_decay": ("weight decay", f"AdamW with weight decay {WEIGHT_DECAY}: each step shrinks every weight by "
                                     f"rate x {WEIGHT_DECAY}"),
    "early_stopping": ("early stopping", f"stop once validation accuracy has not improved for {PATIENCE} "
                                         "evaluations; keep the best weights"),
}


def train_run(n_per_class=20, steps=100, lr=1e-3, seed=0, *, freeze_backbone=False, augment=False,
              weight_decay=False, early_stopping=False, evaluations=10, measure_start=True, callback=None,
              callback_every=None, stop=None, model_factory=None, task=None, device=DEVICE):
    """One run of the course model on Digits-M (``n_per_class`` images per digit, 30 others per digit to validate
    on), every layer at ``lr`` with Adam unless a remedy says otherwise. ``seed`` picks the images, the new head's
    starting weights and the batches. ``evaluations``: how many times the run is measured after its start (every
    ``steps // evaluations`` steps); ``measure_start=False``: not at step 0 (a run read only at its end). Returns
    the ``History``; ``callback(history)`` after each evaluation and, with ``callback_every=k``, every ``k`` steps
    too (a progress bar that moves at once). ``device``: the CPU, where the lesson's numbers were measured."""
    task = task or (lambda n: validation_task(n, seed=seed))
    train, val = task(n_per_class)
    model = model_factory() if model_factory else course_model(seed=seed)
    if freeze_backbone:
        freeze(model, *BACKBONE_BLOCKS)
    if evaluations < 1:
        raise SettingError("evaluations must be at least 1 (the end).")
    trainer = Trainer(model, train, val, lr=lr, seed=seed, augment=bool(augment),
                      optimizer="adamw" if weight_decay else "adam", weight_decay=WEIGHT_DECAY if weight_decay else 0.0,
                      device=device)
    return trainer.fit(steps, callback=callback, callback_every=callback_every or steps,
                       eval_every=max(1, steps // evaluations), eval_at_start=measure_start,
                       patience=PATIENCE if early_stopping else None, hooks=[StopOnRequest(stop)] if stop else ())


def as_early_stopped(history, patience=PATIENCE):
    """What early stopping would have kept from this finished run, read off its curve: ``(step it stops at or None,
    {"step", "train_acc", "val_acc", "val_loss"} of the kept model)``. Training is deterministic, so a run with
    ``early_stopping=True`` and the same settings keeps exactly this model (a test checks it)."""
    point = early_stopping_point(history.val_acc, patience)
    if point is None:
        return None, dict(history.final)
    stop, best = point
    kept = {"step": history.eval_steps[best], "train_acc": history.train_acc[best], "val_acc": history.val_acc[best],
            "val_loss": history.val_loss[best]}
    return history.eval_steps[stop], kept


SEEDS = (0, 1, 2)
IMAGES_PER_DIGIT, MORE_IMAGES = 20, 50
STEPS, RATE = 100, 1e-3
TRAINED = ("freeze", "augment", "weight_decay")  # the remedies that need a run of their own


def run(seed, remedy=None, n_per_class=IMAGES_PER_DIGIT):
    """The baseline (``remedy=None``) or one remedy, for ``seed``: exactly what the MetricsExplorer trains.

    The curves are drawn for seed 0 (the one the explorer shows) and read for every baseline (early stopping, the
    validation loss); the other runs are measured at the end only. Evaluating never changes training, so the final
    numbers are the same either way."""
    return _run(seed, remedy, n_per_class)


#: the baseline's ``final`` also holds its validation accuracy on the 50-image run's validation images, under this key
ON_MORE_DATA_VALIDATION = "val_acc_on_more_data_validation"


@functools.lru_cache(maxsize=RUNS_KEPT)
def _run(seed, remedy, n_per_class):
    baseline = remedy is None and n_per_class == IMAGES_PER_DIGIT
    curve = seed == 0 or baseline
    model = course_model(seed=seed)
    history = train_run(n_per_class, STEPS, RATE, seed, freeze_backbone=remedy == "freeze", augment=remedy == "augment",
                        weight_decay=remedy == "weight_decay", evaluations=10 if curve else 1, measure_start=curve,
                        model_factory=lambda: model)
    if baseline:  # the model it left, scored once more: the more-data comparison needs it (no second run)
        history.final[ON_MORE_DATA_VALIDATION] = evaluate(model, validation_task(MORE_IMAGES, seed=seed)[1])
    return history


def runs(seed=0):
    """``[(settings, History)]``: the baseline, each trained remedy and 50 images per digit, for
    ``MetricsExplorer.add(history, **settings)``."""
    found = [({}, run(seed))] + [({remedy: True}, run(seed, remedy)) for remedy in TRAINED]
    return found + [({"n_per_class": MORE_IMAGES}, run(seed, n_per_class=MORE_IMAGES))]


def _final(seeds, key, remedy=None, n_per_class=IMAGES_PER_DIGIT):
    return [run(s, remedy, n_per_class).final[key] for s in seeds]


def first_perfect_step(history):
    """The first evaluation step at which training accuracy reached 100%, or ``None``."""
    return next((step for step, acc in zip(history.eval_steps, history.train_acc) if acc >= 1.0), None)


def overfitting(seeds=SEEDS):
    """The baseline fits its 200 training images (training accuracy 100% at the end) while validation stays around
    60%: a gap of more than 30 points on every seed."""
    train, val = _final(seeds, "train_acc"), _final(seeds, "val_acc")
    gap = [t - v for t, v in zip(train, val)]
    perfect = [first_perfect_step(run(s)) for s in seeds]
    holds = min(train) >= 0.99 and min(gap) > 0.3
    summary = (f"after {STEPS} steps: training {pct(train)}, validation {pct(val)}, gap {100 * mean(gap):.1f} ± "
               f"{100 * spread(gap):.1f} points; training accuracy first 100% at steps {perfect} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, train=train, val=val, gap=gap)


def validation_loss(seeds=SEEDS):
    """The baseline's validation loss never turns up: its lowest value comes in the last 30 steps and the run ends
    within 0.05 of it, although training accuracy has been 100% since about step 60."""
    lowest_at = [run(s).eval_steps[min(range(len(run(s).val_loss)), key=run(s).val_loss.__getitem__)] for s in seeds]
    rise = [run(s).val_loss[-1] - min(run(s).val_loss) for s in seeds]
    holds = min(lowest_at) >= STEPS - 30 and max(rise) <= 0.05
    summary = (f"validation loss lowest at steps {lowest_at}; the last value is {mean(rise):.3f} ± {spread(rise):.3f} "
               f"above the lowest ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, lowest_at=lowest_at, rise=rise)


def gains(seeds, remedy=None, n_per_class=IMAGES_PER_DIGIT):
    """Validation accuracy minus the baseline's, per seed (paired: same images, same batches)."""
    return [a - b for a, b in zip(_final(seeds, "val_acc", remedy, n_per_class), _final(seeds, "val_acc"))]


def _helps(gain):
    return all(g > 0 for g in gain) and mean(gain) > spread(gain)


def _points(gain):
    return f"{100 * mean(gain):+.1f} ± {100 * spread(gain):.1f} points"


def freezing(seeds=SEEDS):
    """Freezing the backbone (same rate): training accuracy stays below 95%, validation gains on every seed."""
    gain = gains(seeds, "freeze")
    train = _final(seeds, "train_acc", "freeze")
    holds = _helps(gain) and max(train) < 0.95
    summary = f"freeze the backbone: validation {_points(gain)}, training accuracy {pct(train)} ({len(seeds)} seeds)"
    return evidence(holds, seeds, summary, gain=gain, train=train)


def augmenting(seeds=SEEDS):
    """Augmenting (random shifts of up to 2 pixels): validation gains on every seed."""
    gain = gains(seeds, "augment")
    summary = f"augment: validation {_points(gain)} ({len(seeds)} seeds)"
    return evidence(_helps(gain), seeds, summary, gain=gain)


def freeze_vs_augment(seeds=SEEDS):
    """Freezing and augmenting cannot be ranked here: their mean gains differ by less than the spread of either."""
    freeze, augment = gains(seeds, "freeze"), gains(seeds, "augment")
    difference = abs(mean(freeze) - mean(augment))
    holds = difference <= max(spread(freeze), spread(augment))
    summary = (f"freeze {_points(freeze)}, augment {_points(augment)}: they differ by {100 * difference:.1f} points, "
               f"within the spread ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, freeze=freeze, augment=augment)


def weight_decay(seeds=SEEDS):
    """AdamW with weight decay 0.1 changes validation accuracy by at most 2 points on every seed, and by less on
    average than the baseline's own spread over seeds: nothing measurable. Each step shrinks a weight by
    rate x 0.1 = 1e-4 of itself, about 1% over the whole run."""
    gain = gains(seeds, "weight_decay")
    within = [abs(g) <= 0.02 for g in gain]  # per seed; the comparison with the spread needs all the seeds
    holds = all(within) and abs(mean(gain)) < spread(_final(seeds, "val_acc"))
    summary = f"weight decay {WEIGHT_DECAY}: validation {_points(gain)} ({len(seeds)} seeds)"
    return evidence(holds, seeds, summary, held_per_seed=within, gain=gain)


def early_stopping(seeds=SEEDS):
    """Early stopping (patience 2) stops late or never, because validation accuracy is still creeping up: the model it
    keeps is from step 70 or later and gains at most 4 points, a number chosen on the validation set itself."""
    found = [as_early_stopped(run(s), PATIENCE) for s in seeds]
    kept = [model["step"] for _, model in found]
    gain = [model["val_acc"] - run(s).final["val_acc"] for s, (_, model) in zip(seeds, found)]
    holds = min(kept) >= 70 and max(gain) <= 0.04
    summary = (f"early stopping stops at steps {[stop for stop, _ in found]} (None: never) and keeps the model of "
               f"steps {kept}; validation {_points(gain)} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, kept=kept, gain=gain)


def baseline_on_more_data_validation(seed):
    """The baseline's final validation accuracy on the 50-image run's validation images instead of its own: the 20
    images per digit it trains on are the first 20 of the 50, so its own validation images are training images of
    the 50-image run, and the two runs can only be compared on images neither trains on. The baseline's own model,
    scored on those images when its run ends (:func:`run`): only the images it is scored on change."""
    return run(seed).final[ON_MORE_DATA_VALIDATION]


def more_data(seeds=SEEDS):
    """50 images per digit instead of 20: validation gains more than any remedy, on every seed. Both runs are scored
    on the same validation images (the 50-image run's: :func:`baseline_on_more_data_validation`), paired by seed."""
    gain = [m - b for m, b in zip(_final(seeds, "val_acc", n_per_class=MORE_IMAGES),
                                  [baseline_on_more_data_validation(s) for s in seeds])]
    best_remedy = [max(g) for g in zip(*(gains(seeds, r) for r in TRAINED))]
    gap = [t - v for t, v in zip(_final(seeds, "train_acc", n_per_class=MORE_IMAGES),
                                 _final(seeds, "val_acc", n_per_class=MORE_IMAGES))]
    beats = [g > b for g, b in zip(gain, best_remedy)]  # per seed; the 5 points are an average over the seeds
    holds = all(beats) and mean(gain) > 0.05
    summary = (f"{MORE_IMAGES} images per digit: validation {_points(gain)} (best remedy per seed "
               f"{_points(best_remedy)}); gap {100 * mean(gap):.1f} ± {100 * spread(gap):.1f} points "
               f"({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, held_per_seed=beats, gain=gain, best_remedy=best_remedy, gap=gap)


__all__ = ["SEEDS", "REMEDIES", "run", "runs", "first_perfect_step", "overfitting", "validation_loss", "gains",
           "freezing", "augmenting", "freeze_vs_augment", "weight_decay", "early_stopping", "more_data"]


keep_for_the_session(globals())  # under the tests: once per session (see once.py)
showing_progress(globals(), {"run": STEPS, "runs": None})  # a bar in the cell while they train
