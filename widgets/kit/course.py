"""The course's defaults, defined once: its model, its tasks, its block names, its presets and its forgetting meter.

Every widget that trains "the course model on Digits-M" when given nothing else takes it from here.
"""

import functools

import torch

from ..engine.forgetting import OldTask
from ..engine.seeding import seeded
from . import data
from .checkpoint import load_course_model, source_head
from .model import BACKBONE_BLOCKS

#: the blocks that hold parameters, early to late (``pool`` has none)
BLOCKS = BACKBONE_BLOCKS + ("head",)
#: what each freezing preset freezes; every other block trains
PRESETS = {
    "all layers": (),
    "conv3 + head": BACKBONE_BLOCKS[:2],
    "head only": BACKBONE_BLOCKS,
}


def course_model(num_classes=10, seed=0):
    """The pre-trained course model with a fresh ``num_classes`` head, initialised from ``seed`` (the caller's
    random state is left alone, and no other thread's seeding gets in between: see :mod:`.seeding`)."""
    with seeded(seed):
        return load_course_model(num_classes=num_classes)


@functools.lru_cache(maxsize=16)
def few_shot_task(n_per_class=10, val_every=3):
    """``(train, val)``: ``n_per_class`` labelled Digits-M images per digit, and every ``val_every``-th image of
    the held-out test set as a quick validation set."""
    train, test = data.target_task(n_per_class=n_per_class, seed=0)
    return train, test.subset(torch.arange(0, len(test), val_every))


def validation_task(n_per_class, val_per_class=30, seed=0):
    """``(train, validation)``, both from the labelled pool (the test set stays unseen): for reading metrics."""
    return data.target_validation_task(n_per_class=n_per_class, val_per_class=val_per_class, seed=seed)


@functools.lru_cache(maxsize=16)
def forgetting_meter(every=3, path=None):
    """The forgetting meter: every ``every``-th held-out letter, read with the model's ORIGINAL letters head
    (from the shipped checkpoint, or the one at ``path``)."""
    letters = data.source_test_set()
    if every > 1:
        letters = letters.subset(torch.arange(0, len(letters), every))
    return OldTask(letters, source_head(path), name="letters (the old task)")


def old_task_accuracy(model, path=None):
    """Accuracy of ``model``'s backbone with the original letters head on ALL held-out letters: 1.0 = nothing
    forgotten, the shipped model's own accuracy = nothing forgotten either."""
    return forgetting_meter(every=1, path=path).accuracy(model)
