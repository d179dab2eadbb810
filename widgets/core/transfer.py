"""Transfer-learning recipes, side by side on the same data and the same step budget.

Each recipe starts from a model, trains it on a few labelled Digits-M images with the course's
:class:`~widgets.core.training.Trainer`, and reports the target accuracy, how much of the OLD (letters) task
the backbone still knows, and the time it took.

- ``scratch``: random weights, everything trained, at its own learning rate (tuned on a validation split).
- ``probe``: the pre-trained backbone frozen, only a new head trained ("linear probe", feature extraction).
- ``discriminative``: everything trained, the backbone at a small rate and the new head at a large one.
- ``high_lr``: everything trained at the head's large rate: fast, and it wipes out what was pre-trained.
- ``freeze_all``: everything frozen, the new head too: nothing can learn (the Trainer says so).
"""

import time
from dataclasses import dataclass, field

import torch

from . import checks, data
from .checkpoint import load_course_model
from .course import old_task_accuracy
from .freezing import freeze
from .model import BACKBONE_BLOCKS, CourseCNN
from .training import Trainer, TrainingError, evaluate

RECIPES = ("scratch", "probe", "discriminative", "high_lr", "freeze_all")
STEPS = 200
BATCH_SIZE = 32
HEAD_LR = 1e-2
BACKBONE_LR = 1e-4
#: the scratch model's rate, picked by :func:`tune_scratch_lr` on a validation split (see benchmarks/transfer.py)
SCRATCH_LR = 1e-3
SCRATCH_LR_CANDIDATES = (3e-4, 1e-3, 3e-3, 1e-2)


@dataclass
class TransferResult:
    recipe: str
    target_acc: float
    source_acc: float = None  # the letters task read with the ORIGINAL head; None for a model never pre-trained
    seconds: float = 0.0
    train_acc: float = None
    message: str = ""
    drift: dict = field(default_factory=dict)


def build(recipe, num_classes=10, seed=0, path=None):
    """The starting model and the learning rate(s) of a recipe."""
    checks.choice(recipe, "recipe", RECIPES)
    torch.manual_seed(seed)  # the new head (or the whole scratch model) starts the same way for a given seed
    if recipe == "scratch":
        return CourseCNN(num_classes=num_classes), SCRATCH_LR
    model = load_course_model(num_classes=num_classes, path=path)
    if recipe == "probe":
        freeze(model, *BACKBONE_BLOCKS)
        return model, HEAD_LR
    if recipe == "discriminative":
        return model, {**{name: BACKBONE_LR for name in BACKBONE_BLOCKS}, "head": HEAD_LR}
    if recipe == "high_lr":
        return model, HEAD_LR
    freeze(model)  # freeze_all
    return model, HEAD_LR


def run_recipe(recipe, train, test, *, seed=0, steps=STEPS, lr=None, path=None, device="cpu", measure_source=True):
    """Build, train and measure one recipe. ``lr`` overrides the recipe's rate (a number or ``{block: rate}``)."""
    model, default_lr = build(recipe, num_classes=train.num_classes, seed=seed, path=path)
    started = time.perf_counter()
    # A frozen backbone without augmentation lets the Trainer compute its features once (fast and exact).
    augment = recipe != "probe"
    trainer = Trainer(model, train, lr=lr or default_lr, batch_size=BATCH_SIZE, seed=seed, augment=augment,
                      device=device)
    message, train_acc, drift = "", None, {}
    try:
        history = trainer.fit(steps, eval_every=steps)
        message = history.message
        train_acc = history.train_acc[-1]
        drift = {name: values[-1] for name, values in history.drift.items()}
    except TrainingError as error:  # freeze_all: nothing to train; the model stays as it was
        message = str(error)
    seconds = time.perf_counter() - started
    target_acc = evaluate(model, test)
    source_acc = None
    if measure_source and recipe != "scratch":
        source_acc = old_task_accuracy(model, path)
    return TransferResult(recipe, target_acc, source_acc, seconds, train_acc, message, drift)


def compare(recipes=RECIPES, n_per_class=10, seeds=(0, 1, 2), steps=STEPS, path=None, device="cpu", log=None,
            measure_source=True):
    """Every recipe on every seed (each seed draws its own labelled images); ``{recipe: [TransferResult]}``."""
    results = {recipe: [] for recipe in recipes}
    for seed in seeds:
        train, test = data.target_task(n_per_class=n_per_class, seed=seed)
        for recipe in recipes:
            result = run_recipe(recipe, train, test, seed=seed, steps=steps, path=path, device=device,
                                measure_source=measure_source)
            results[recipe].append(result)
            if log:
                log(f"seed {seed} {recipe:15s} target {result.target_acc:.3f} source {result.source_acc} "
                    f"{result.seconds:.1f} s")
    return results


def tune_scratch_lr(candidates=SCRATCH_LR_CANDIDATES, n_per_class=10, seeds=(0, 1), steps=STEPS, device="cpu"):
    """Validation accuracy of the scratch model at each candidate rate: ``{lr: mean accuracy}``.

    Uses :func:`widgets.core.data.target_validation_task`, so the test set never picks the rate.
    """
    scores = {}
    for lr in candidates:
        accs = []
        for seed in seeds:
            train, val = data.target_validation_task(n_per_class=n_per_class, seed=seed)
            accs.append(run_recipe("scratch", train, val, seed=seed, steps=steps, lr=lr, device=device).target_acc)
        scores[lr] = sum(accs) / len(accs)
    return scores
