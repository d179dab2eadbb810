"""Lesson 01: does a pre-trained start beat a random one, why, and how does it depend on labels?

The recipes (:func:`build`, :func:`run_recipe`), each a start and a way to train it on a few labelled Digits-M
images with the :class:`~widgets.engine.training.Trainer`:

- the FAIR PAIR, ``scratch`` (random weights) and ``finetune`` (pre-trained, new head): every weight trained, the
  same shifts of up to 2 pixels, the same steps and batches; only the starting weights differ, and each start
  trains at the rate that did best for it on a validation split, from the same grid (:data:`RATE_GRID`, picked by
  :func:`tune`; ``python benchmarks/transfer.py --tune`` prints the scores);
- ``probe``: the pre-trained blocks frozen, a new head trained on their features (no augmentation, so the frozen
  features are computed once); ``random_probe``: the same on frozen RANDOM blocks (their BatchNorm statistics
  measured on the training images): the control for "the pre-trained features transfer";
- ``discriminative`` (small backbone rate, large head rate), ``high_lr`` (everything at the head's rate) and
  ``freeze_all`` (nothing can learn: the Trainer says so).

The claims (:func:`starts`, :func:`labels_curve` ...) train for ``STEPS`` steps of 32 images on ``n`` labels per
digit (each seed draws its own images and its own random start), scored on the fixed held-out test set. Runs are
cached per (recipe, labels, seed), so claims that read the same runs cost nothing more.
"""

import functools
import time
from dataclasses import dataclass, field

import torch
from torch import nn

from ..engine import checks
from ..engine.batches import BatchOrder, as_tensors
from ..engine.features import digest, fast_predict, predict
from ..engine.freezing import freeze
from ..engine.hooks import StopOnRequest
from ..engine.seeding import seeded
from ..engine.training import Trainer, TrainingError
from ..kit import data
from ..kit.checkpoint import load_course_model
from ..kit.course import old_task_accuracy
from ..kit.model import BACKBONE_BLOCKS, CourseCNN
from . import DEVICE, RUNS_KEPT, evidence, mean, pct, spread
from .once import keep_for_the_session

SEEDS = (0, 1, 2)
RECIPES = ("scratch", "finetune", "probe", "random_probe", "discriminative", "high_lr", "freeze_all")
#: the default budget of :func:`run_recipe` and :func:`compare` outside the lesson (benchmarks, tests)
RECIPE_STEPS = 200
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


def run_recipe(recipe, train, test, *, seed=0, steps=RECIPE_STEPS, lr=None, path=None, device=DEVICE,
               measure_source=True):
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


#: the starts the two-starts lab offers, in the words lesson 01 uses
STARTS = {"scratch": "from scratch", "finetune": "pre-trained, every weight", "probe": "pre-trained, head only"}


def live_run(recipe, n_per_class=10, steps=LESSON_STEPS, seed=0, *, evaluations=10, callback=None, stop=None):
    """One start as the claims train it (same images, start, rate, batches and augmentation as :func:`run`), scored
    on the test set ``evaluations`` times on the way: a ``History`` whose ``train_acc`` and ``val_acc`` (here: the
    test set) a learner can watch grow. Evaluating never changes training, so its last test accuracy is
    ``run(recipe, n_per_class, seed, steps).target_acc`` (to float rounding)."""
    checks.choice(recipe, "start", list(STARTS))
    train, test = data.target_task(n_per_class=n_per_class, seed=seed)
    model, lr = build(recipe, num_classes=train.num_classes, seed=seed)
    trainer = Trainer(model, train, test, lr=lr, batch_size=BATCH_SIZE, seed=seed, device=DEVICE,
                      augment=recipe not in NO_AUGMENTATION)
    return trainer.fit(steps, callback=callback, eval_every=max(1, steps // evaluations),
                       hooks=[StopOnRequest(stop)] if stop is not None else ())


def compare(recipes=RECIPES, n_per_class=10, seeds=(0, 1, 2), steps=RECIPE_STEPS, path=None, device=DEVICE, log=None,
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


def tune(recipe, grid=RATE_GRID, n_per_class=10, seeds=(0, 1, 2), steps=LESSON_STEPS, device=DEVICE):
    """Validation accuracy of ``recipe`` at each rate of ``grid``, averaged over ``seeds``: ``{lr: accuracy}``.

    Uses :func:`widgets.kit.data.target_validation_task`, so the test set never picks the rate. The best rate
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

STEPS = LESSON_STEPS
LABELS = (5, 10, 50)
CHANCE = 0.1


@functools.lru_cache(maxsize=RUNS_KEPT)
def run(recipe, n_per_class, seed, steps=STEPS):
    """One recipe on ``n_per_class`` labels per digit for one seed: a ``TransferResult`` (cached)."""
    train, test = data.target_task(n_per_class=n_per_class, seed=seed)
    return run_recipe(recipe, train, test, seed=seed, steps=steps, measure_source=False)


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


#: 10 labels per digit, 10 digits
TRAIN_IMAGES_AT_10 = 100


def scratch_memorises(seeds=SEEDS):
    """From scratch, the model fits its 100 training images (at least 95%) while its test accuracy stays under 25%."""
    train_acc = [run("scratch", 10, seed).train_acc for seed in seeds]
    test_acc = accuracies("scratch", 10, seeds)
    summary = (f"from scratch, 10 labels per digit: training accuracy {pct(train_acc)}, test accuracy "
               f"{pct(test_acc)} ({len(seeds)} seeds)")
    # counted in images: 95 of 100 right is 0.9499999 as the float32 accuracy gives it
    right = [round(t * TRAIN_IMAGES_AT_10) for t in train_acc]
    holds = all(r >= 95 for r in right) and all(a < 0.25 for a in test_acc)
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
