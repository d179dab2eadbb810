"""Lesson 07's experiments: the capstone's two stages, on several seeds.

Each seed draws its own 20 training and 20 validation images per digit (from the labelled pool) and its own new
head; the test set is the fixed held-out half of Digits-M, looked at once per run, at the end. The stages are
exactly the lesson's (:func:`two_stage_fine_tune`).
"""

import functools

from ..engine.freezing import freeze, unfreeze
from ..engine.seeding import seeded
from ..engine.training import Trainer, evaluate
from ..kit import data
from ..kit.model import BACKBONE_BLOCKS
from ..kit.zoo import load_pretrained
from . import DEVICE, RUNS_KEPT, evidence, mean, pct, spread
from .once import keep_for_the_session

SEEDS = (0, 1, 2)
N_PER_CLASS = 20
CHANCE = 0.1


def two_stage_fine_tune(train, val, seed=0, between_stages=None):
    """The capstone's recipe: ``(model, stage one's History, stage two's History)``.

    Stage one: a new head on the frozen course model, rate 1e-2, 150 steps. Stage two: conv3 unfrozen at 3e-4
    with the head at 1e-3, up to 100 steps, early stopping after 4 evaluations without a better validation
    accuracy (the best weights are restored). No augmentation: the frozen blocks' output is computed once.
    ``between_stages(model)`` is called after stage one.
    """
    with seeded(seed):  # the new head starts the same way for a given seed
        model = load_pretrained("course", num_classes=10)
    freeze(model, *BACKBONE_BLOCKS)
    stage1 = Trainer(model, train, val, lr=1e-2, augment=False, seed=seed, device=DEVICE).fit(150)
    if between_stages is not None:
        between_stages(model)
    unfreeze(model, "conv3")
    stage2 = Trainer(model, train, val, lr={"conv3": 3e-4, "head": 1e-3}, augment=False, seed=seed,
                     device=DEVICE).fit(100, patience=4)
    return model, stage1, stage2


@functools.lru_cache(maxsize=RUNS_KEPT)
def run(seed):
    """One seed: the two Histories, and the test accuracy of the model stage one left (measured here, for the
    experiment only: the lesson looks at the test set once) and of the final model."""
    train, val = data.target_validation_task(n_per_class=N_PER_CLASS, val_per_class=N_PER_CLASS, seed=seed)
    _, test = data.target_task(n_per_class=N_PER_CLASS)
    after_stage_one = {}

    def measure_stage_one(model):
        after_stage_one["test"] = evaluate(model, test)

    model, stage1, stage2 = two_stage_fine_tune(train, val, seed, between_stages=measure_stage_one)
    return {"stage1": stage1, "stage2": stage2, "test_stage1": after_stage_one["test"], "test": evaluate(model, test)}


def test_accuracy(seeds=SEEDS):
    """The final model's test accuracy is more than three times chance (over 30%) on every seed."""
    test = [run(seed)["test"] for seed in seeds]
    summary = f"the capstone's final model on the test set: {pct(test)} (chance is 10%; {len(seeds)} seeds)"
    return evidence(all(t > 3 * CHANCE for t in test), seeds, summary, test=test)


def stage_two(seeds=SEEDS):
    """What stage two adds, on the TEST set (the validation set chose the weights stage two keeps, so its own
    numbers flatter stage two). Holds when stage two changed the test accuracy by less than 3 points on every
    seed: no clear gain with 20 labels per digit."""
    one = [run(seed)["test_stage1"] for seed in seeds]
    two = [run(seed)["test"] for seed in seeds]
    gain = [b - a for a, b in zip(one, two)]
    summary = (f"test accuracy after stage one {pct(one)}, after stage two {pct(two)}: "
               f"{100 * mean(gain):+.1f} ± {100 * spread(gain):.1f} points ({len(seeds)} seeds)")
    return evidence(all(abs(g) < 0.03 for g in gain), seeds, summary, stage_one=one, stage_two=two, gain=gain)


keep_for_the_session(globals())  # under the tests: once per session (see once.py)
