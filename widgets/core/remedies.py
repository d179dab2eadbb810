"""Runs for reading the metrics: a baseline that overfits, and the usual remedies for overfitting, one switch each.

Every remedy changes ONE thing against the baseline (same model, same images, same batches, same rate):

    history = train_run(n_per_class=20, steps=100, augment=True)     # the baseline, augmented
    history.final["val_acc"]                                          # the model the run LEFT

``as_early_stopped`` reads what early stopping would keep off a finished run's curve, with the very rule the hook
that stops a run uses (:func:`widgets.core.hooks.early_stopping_point`).
"""

from .checks import SettingError
from .course import course_model, validation_task
from .freezing import freeze
from .hooks import StopOnRequest, early_stopping_point
from .model import BACKBONE_BLOCKS
from .training import Trainer

#: AdamW's weight decay in the remedy: each step shrinks every weight by lr x WEIGHT_DECAY
WEIGHT_DECAY = 0.1
#: early stopping: evaluations without a better validation accuracy before the run stops
PATIENCE = 2
__all__ = ["REMEDIES", "WEIGHT_DECAY", "PATIENCE", "early_stopping_point", "train_run", "as_early_stopped"]
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
              callback_every=None, stop=None, model_factory=None, task=None):
    """One run of the course model on Digits-M (``n_per_class`` images per digit, 30 others per digit to validate
    on), every layer at ``lr`` with Adam unless a remedy says otherwise. ``seed`` picks the images, the new head's
    starting weights and the batches. ``evaluations``: how many times the run is measured after its start (every
    ``steps // evaluations`` steps); ``measure_start=False``: not at step 0 (a run read only at its end). Returns
    the ``History``; ``callback(history)`` after each evaluation and, with ``callback_every=k``, every ``k`` steps
    too (a progress bar that moves at once)."""
    task = task or (lambda n: validation_task(n, seed=seed))
    train, val = task(n_per_class)
    model = model_factory() if model_factory else course_model(seed=seed)
    if freeze_backbone:
        freeze(model, *BACKBONE_BLOCKS)
    if evaluations < 1:
        raise SettingError("evaluations must be at least 1 (the end).")
    trainer = Trainer(model, train, val, lr=lr, seed=seed, augment=bool(augment),
                      optimizer="adamw" if weight_decay else "adam", weight_decay=WEIGHT_DECAY if weight_decay else 0.0)
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
