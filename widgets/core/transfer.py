"""Transfer-learning recipes, side by side on the same data and the same step budget.

Each recipe starts from a model, trains it on a few labelled Digits-M images with the course's
:class:`~widgets.core.training.Trainer`, and reports the target accuracy, how much of the OLD (letters) task
the backbone still knows, and the time it took.

The fair pair (lesson 01): the two starts are trained THE SAME WAY, only the starting weights differ, and each
start gets the learning rate that did best for it on a validation split, from the same grid (:data:`RATE_GRID`,
picked by :func:`tune`; ``python benchmarks/transfer.py --tune`` prints the scores):

- ``scratch``: random weights, every weight trained, shifts of up to 2 pixels as augmentation.
- ``finetune``: the pre-trained weights with a new head, every weight trained, the same shifts.

Other recipes:

- ``probe``: the pre-trained backbone frozen, only a new head trained ("linear probe", feature extraction),
  without augmentation, so the frozen features are computed once.
- ``random_probe``: the same on a frozen RANDOM backbone (its BatchNorm statistics measured on the training
  images, so the head sees features on a normal scale): the control for "the pre-trained features transfer".
- ``discriminative``: everything trained, the backbone at a small rate and the new head at a large one.
- ``high_lr``: everything trained at the head's large rate: fast, and it wipes out what was pre-trained.
- ``freeze_all``: everything frozen, the new head too: nothing can learn (the Trainer says so).
"""

import time
from dataclasses import dataclass, field

import torch

from torch import nn

from . import checks, data
from .batches import as_tensors
from .features import digest, fast_predict, predict
from .checkpoint import load_course_model
from .course import old_task_accuracy
from .freezing import freeze
from .model import BACKBONE_BLOCKS, CourseCNN
from .seeding import seeded
from .training import Trainer, TrainingError

RECIPES = ("scratch", "finetune", "probe", "random_probe", "discriminative", "high_lr", "freeze_all")
STEPS = 200
BATCH_SIZE = 32
HEAD_LR = 1e-2
BACKBONE_LR = 1e-4
#: every start's rate is picked from this grid, on a validation split (never the test set)
RATE_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
#: lesson 01's budget: steps of 32 images per run (the fair pair and the probes)
LESSON_STEPS = 50
#: what :func:`tune` picked (10 labels per class, LESSON_STEPS steps, seeds 0-2; ``benchmarks/transfer.py --tune``)
TUNED_LR = {"scratch": 1e-3, "finetune": 1e-3, "probe": 1e-2, "random_probe": 1e-2}
#: images per forward pass when scoring a model: a 512-image batch of the course model holds about 160 MB of
#: activations at once (896 test images: +157 MB peak at 512, +54 MB at 64), for no gain in speed on a CPU
EVAL_BATCH_SIZE = 64
#: the recipes that train without augmentation (a frozen backbone's features are then computed once)
NO_AUGMENTATION = ("probe", "random_probe")


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
    with seeded(seed):  # the new head (or the whole scratch model) starts the same way for a given seed
        scratch = recipe in ("scratch", "random_probe")
        model = CourseCNN(num_classes=num_classes) if scratch else load_course_model(num_classes=num_classes, path=path)
    if scratch:
        if recipe == "random_probe":
            freeze(model, *BACKBONE_BLOCKS)
        return model, TUNED_LR[recipe]
    if recipe == "finetune":
        return model, TUNED_LR[recipe]
    if recipe == "probe":
        freeze(model, *BACKBONE_BLOCKS)
        return model, TUNED_LR[recipe]
    if recipe == "discriminative":
        return model, {**{name: BACKBONE_LR for name in BACKBONE_BLOCKS}, "head": HEAD_LR}
    if recipe == "high_lr":
        return model, HEAD_LR
    freeze(model)  # freeze_all
    return model, HEAD_LR


@torch.no_grad()
def measure_batchnorm(model, data):
    """Set every BatchNorm layer's running statistics to those of ``data``'s images (one pass, exact averages)."""
    x, _ = as_tensors(data)
    layers = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    modes = [(m, m.training) for m in model.modules()]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # a cumulative average: one pass gives the statistics of all the images
    model.train()
    model(x)
    for layer in layers:
        layer.momentum = 0.1
    for m, mode in modes:
        m.training = mode
    return model


#: the frozen PRE-TRAINED blocks' output for a set of images, computed once: (checkpoint, images' digest) -> tensor
_PRETRAINED_FEATURES = {}


def _accuracy(model, test, frozen, path):
    """Test accuracy. A probe's frozen pre-trained blocks give the same output for the same images in every run
    (eval mode, weights untouched), so their output on the test set is computed once and reused."""
    x, y = as_tensors(test)
    if not frozen:  # a fused, channels-last copy in eval mode: the model's numbers (to float rounding), faster
        return (fast_predict(model, x, EVAL_BATCH_SIZE).argmax(1) == y).float().mean().item()
    key = (str(path), digest([x]))
    if key not in _PRETRAINED_FEATURES:
        _PRETRAINED_FEATURES[key] = predict(model[:frozen].eval(), x, EVAL_BATCH_SIZE)
    head = model[frozen:].eval()
    return (predict(head, _PRETRAINED_FEATURES[key], EVAL_BATCH_SIZE).argmax(1) == y).float().mean().item()


def run_recipe(recipe, train, test, *, seed=0, steps=STEPS, lr=None, path=None, device="cpu", measure_source=True):
    """Build, train and measure one recipe. ``lr`` overrides the recipe's rate (a number or ``{block: rate}``)."""
    model, default_lr = build(recipe, num_classes=train.num_classes, seed=seed, path=path)
    started = time.perf_counter()
    if recipe == "random_probe":
        measure_batchnorm(model, train)
    # A frozen backbone without augmentation lets the Trainer compute its features once (fast and exact).
    augment = recipe not in NO_AUGMENTATION
    trainer = Trainer(model, train, lr=lr or default_lr, batch_size=BATCH_SIZE, seed=seed, augment=augment,
                      device=device)
    message, train_acc, drift = "", None, {}
    try:
        history = trainer.fit(steps, eval_every=steps, eval_at_start=False)
        message = history.message
        train_acc = history.train_acc[-1]
        drift = {name: values[-1] for name, values in history.drift.items()}
    except TrainingError as error:  # freeze_all: nothing to train; the model stays as it was
        message = str(error)
    seconds = time.perf_counter() - started
    frozen = trainer.cache_depth() if recipe == "probe" and str(trainer.device) == "cpu" else 0
    target_acc = _accuracy(model, test, frozen, path)
    source_acc = None
    if measure_source and recipe not in ("scratch", "random_probe"):
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


def tune(recipe, grid=RATE_GRID, n_per_class=10, seeds=(0, 1, 2), steps=LESSON_STEPS, device="cpu"):
    """Validation accuracy of ``recipe`` at each rate of ``grid``, averaged over ``seeds``: ``{lr: accuracy}``.

    Uses :func:`widgets.core.data.target_validation_task`, so the test set never picks the rate. The best rate
    is ``max(scores, key=scores.get)``.
    """
    scores = {}
    for lr in grid:
        accs = []
        for seed in seeds:
            train, val = data.target_validation_task(n_per_class=n_per_class, seed=seed)
            accs.append(run_recipe(recipe, train, val, seed=seed, steps=steps, lr=lr, device=device,
                                   measure_source=False).target_acc)
        scores[lr] = sum(accs) / len(accs)
    return scores
