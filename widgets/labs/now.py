"""Lesson 08: fine-tuning as it is done now, measured on the course's small ViT and Digits-M.

Every run starts from the pre-trained :class:`~widgets.kit.vit.CourseViT` (letters) with a new 10-class head, trains
on ``N_PER_CLASS`` labelled Digits-M images per digit for ``STEPS`` steps of 32 (no augmentation: every method sees
exactly the same batches), and is scored on the Digits-M test set (in distribution) and on the SAME test digits
drawn on smooth backgrounds (``shifted_test_set("smooth")`` of :mod:`widgets.kit.shifted`: a shift fine-tuning
never sees).

- :data:`SPECTRUM`, which parameters may change: the head only (a linear probe), norms and biases (BitFit), LoRA
  of rank 1, 4 and 8 on the attention projections, the last block, everything. Each method trains at its own rate
  (:data:`RATES`, picked on a validation split by :func:`tune`, never on a test set).
- LP-FT (Kumar et al., ICLR 2022): the probe first, then everything from the trained head.
- the modern recipe (:mod:`widgets.engine.modern`) against plain Adam at one rate: see :mod:`.recipe`.

Runs are cached per (method, seed, steps), so claims that read the same runs cost nothing more.
"""

import functools
import time
from dataclasses import dataclass

import torch
from torch import nn

from ..engine import checks
from ..engine.batches import as_tensors
from ..engine.freezing import freeze, unfreeze
from ..engine.hooks import StopOnRequest
from ..engine.lora import add_lora
from ..engine.params import count_parameters
from ..engine.seeding import seeded
from ..engine.similarity import block_features, linear_cka
from ..engine.training import Trainer, evaluate
from ..kit import data
from ..kit.shifted import shifted_test_set
from ..kit.vit import load_course_vit
from . import DEVICE, RUNS_KEPT, evidence, mean, pct, spread
from .once import keep_for_the_session

SEEDS = (0, 1, 2)
N_PER_CLASS = 50
STEPS = 40
BATCH_SIZE = 32
#: the attention projections LoRA adapts in every block (timm's names; Hugging Face's ViT calls them query/value)
LORA_TARGETS = ("qkv", "proj")
SPECTRUM = ("head only", "norms + biases", "LoRA r=1", "LoRA r=4", "LoRA r=8", "last block", "everything")
RATE_GRID = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
#: the three rates of RATE_GRID each method was tuned on (:func:`tune`): around where such a method trains well
TUNING_GRIDS = {"head only": (3e-3, 1e-2, 3e-2), "norms + biases": (3e-3, 1e-2, 3e-2),
                "LoRA r=1": (3e-3, 1e-2, 3e-2), "LoRA r=4": (3e-3, 1e-2, 3e-2), "LoRA r=8": (3e-3, 1e-2, 3e-2),
                "last block": (1e-3, 3e-3, 1e-2), "everything": (3e-4, 1e-3, 3e-3)}
#: every method's rate: the best of its tuning grid on a validation split (:func:`tune`, seeds 0-2; printed by
#: ``python benchmarks/fine_tuning_now.py --tune``)
RATES = {"head only": 1e-2, "norms + biases": 1e-2, "LoRA r=1": 1e-2, "LoRA r=4": 1e-2, "LoRA r=8": 1e-2,
         "last block": 3e-3, "everything": 1e-3}

#: the same LoRA setting with Hugging Face ``peft`` (on a timm ViT, whose attention projections are ``qkv``/``proj``)
PEFT_CODE = '''import timm
from peft import LoraConfig, get_peft_model

model = timm.create_model("vit_small_patch16_224", pretrained=True, num_classes=10)
config = LoraConfig(r=4, lora_alpha=4, target_modules=["qkv", "proj"], modules_to_save=["head"])
model = get_peft_model(model, config)     # the original weights frozen, A and B (and the new head) trainable
model.print_trainable_parameters()
# ... train as usual, then fold the update into the weights for inference:
model = model.merge_and_unload()
'''


def lora_rank(method):
    """4 for ``"LoRA r=4"``, None for a method that is not LoRA."""
    return int(method.split("=")[1]) if method.startswith("LoRA r=") else None


def norm_and_bias_names(model):
    """The names of every LayerNorm and every bias of ``model``: what BitFit-style fine-tuning trains."""
    norms = [name for name, m in model.named_modules() if isinstance(m, nn.LayerNorm)]
    biases = [name for name, _ in model.named_parameters() if name.endswith(".bias")]
    return norms + biases


def prepare(model, method):
    """Make exactly ``method``'s parameters trainable in a pre-trained ViT with a new head; returns the model.
    LoRA wraps the attention projections in place (its A weights come from torch's random state)."""
    checks.choice(method, "method", SPECTRUM)
    rank = lora_rank(method)
    if rank is not None:
        add_lora(model, LORA_TARGETS, rank=rank, train=("head",))
    elif method != "everything":
        freeze(model)
        parts = {"head only": [], "norms + biases": norm_and_bias_names(model),
                 "last block": [model.blocks[-1], "norm"]}[method]
        unfreeze(model, *parts, "head")
    return model


def build(method, seed=0, path=None):
    """The pre-trained ViT with a new 10-class head (the same for a given seed) made ready for ``method``."""
    with seeded(seed):
        return prepare(load_course_vit(num_classes=10, path=path), method)


@dataclass
class Run:
    method: str
    trainable: int
    in_acc: float  # Digits-M test set
    shifted_acc: float  # the same digits on smooth backgrounds
    seconds: float
    feature_cka: float  # linear CKA of the features (pool output) on the shifted images: 1.0 = as pre-trained


@functools.lru_cache(maxsize=4)
def pretrained_features(path=None):
    """The pre-trained ViT's features (its ``pool`` output) for the shifted test images, computed once."""
    return block_features(load_course_vit(path=path), as_tensors(shifted_test_set("smooth"))[0], ["pool"])["pool"]


def task(seed, n_per_class=N_PER_CLASS):
    """``(train, test, shifted)``: the labelled images of ``seed``, the test set, and the shifted test set."""
    train, test = data.target_task(n_per_class=n_per_class, seed=seed)
    return train, test, shifted_test_set("smooth")


def score(method, model, test, shifted, seconds):
    """A :class:`Run`: the shifted images go through the model once, for their accuracy and their features."""
    x, y = as_tensors(shifted)
    features = block_features(model, x, ["pool"])["pool"]
    with torch.no_grad():
        shifted_acc = (model.head(features).argmax(1) == y).float().mean().item()
    return Run(method, count_parameters(model).trainable, evaluate(model, test), shifted_acc, seconds,
               linear_cka(pretrained_features(), features))


def trainer(model, train, lr, seed, val=None):
    """The Trainer every lesson-08 run trains with: batches of 32, no augmentation (so a frozen prefix is cached)."""
    return Trainer(model, train, val, lr=lr, batch_size=BATCH_SIZE, seed=seed, augment=False, device=DEVICE)


def train_method(method, train, seed=0, steps=STEPS, lr=None, *, val=None, callback=None, stop=None, path=None):
    """Build ``method`` for ``seed`` and train it: ``(model, history)``. ``val`` is scored ten times on the way
    (for a live curve); without it nothing is evaluated during training."""
    model = build(method, seed, path)
    run = trainer(model, train, lr or RATES[method], seed, val)
    every = max(1, steps // 10) if val is not None else 0
    history = run.fit(steps, callback=callback, eval_every=every,
                      hooks=[StopOnRequest(stop)] if stop is not None else ())
    return model, history


@functools.lru_cache(maxsize=RUNS_KEPT)
def run(method, seed, steps=STEPS):
    """One point of the spectrum on one seed: a :class:`Run` (cached)."""
    train, test, shifted = task(seed)
    started = time.perf_counter()
    model, _ = train_method(method, train, seed, steps)
    return score(method, model, test, shifted, time.perf_counter() - started)


def tune(method, grid=None, seeds=SEEDS, steps=STEPS):
    """Validation accuracy of ``method`` at each rate of ``grid``, averaged over ``seeds``: ``{lr: accuracy}``.
    The validation images come from the labelled pool (:func:`widgets.kit.data.target_validation_task`)."""
    scores = {}
    for lr in grid or TUNING_GRIDS[method]:
        accs = []
        for seed in seeds:
            train, val = data.target_validation_task(n_per_class=N_PER_CLASS, seed=seed)
            model, _ = train_method(method, train, seed, steps, lr)
            accs.append(evaluate(model, val))
        scores[lr] = mean(accs)
    return scores


def table(seeds=SEEDS):
    """``{method: [Run per seed]}`` over the whole spectrum (what the lesson's table and figure show)."""
    return {method: [run(method, seed) for seed in seeds] for method in SPECTRUM}


def rows(seeds=SEEDS):
    """``{method: (trainable parameters, [in-distribution accuracy per seed], [shifted accuracy per seed])}``: the
    spectrum as :func:`widgets.figures.now.spectrum_figure` draws it."""
    return {m: (runs[0].trainable, [r.in_acc for r in runs], [r.shifted_acc for r in runs])
            for m, runs in table(seeds).items()}


def _row(method, runs):
    return (f"{method}: {runs[0].trainable:,} trainable, {pct([r.in_acc for r in runs])} in distribution, "
            f"{pct([r.shifted_acc for r in runs])} shifted")


def spectrum(seeds=SEEDS):
    """The spectrum, measured. Holds when LoRA of rank 4 trains under 5% of what fine-tuning everything trains, and
    the head alone and LoRA of rank 4 both score above fine-tuning everything on every seed, on the test set and on
    the shifted one: on this task, training more parameters did not buy accuracy."""
    runs = table(seeds)
    count = {m: runs[m][0].trainable for m in SPECTRUM}
    in_acc = {m: [r.in_acc for r in runs[m]] for m in SPECTRUM}
    shifted = {m: [r.shifted_acc for r in runs[m]] for m in SPECTRUM}
    above = [all(a > b for a, b in zip(accs[m], accs["everything"])) for accs in (in_acc, shifted)
             for m in ("head only", "LoRA r=4")]
    holds = count["LoRA r=4"] < 0.05 * count["everything"] and all(above)
    summary = "; ".join(_row(m, runs[m]) for m in SPECTRUM) + f" ({len(seeds)} seeds)"
    return evidence(holds, seeds, summary, **{f"{m} in": in_acc[m] for m in SPECTRUM},
                    **{f"{m} shifted": shifted[m] for m in SPECTRUM},
                    **{f"{m} trainable": [count[m]] * len(seeds) for m in SPECTRUM})


# --- LP-FT: the head first, then everything -----------------------------------------------------------------


@functools.lru_cache(maxsize=RUNS_KEPT)
def lp_ft_run(seed, steps=STEPS):
    """LP-FT on one seed: stage one is exactly the "head only" run; stage two unfreezes everything and trains it
    as "everything" trains (its rate, ``steps`` more steps), but from the trained head instead of a random one."""
    train, test, shifted = task(seed)
    started = time.perf_counter()
    model, _ = train_method("head only", train, seed, steps)
    unfreeze(model)
    trainer(model, train, RATES["everything"], seed).fit(steps, eval_every=0)
    return score("LP-FT", model, test, shifted, time.perf_counter() - started)


def lp_ft_runs(seeds=SEEDS):
    """``{name: [Run per seed]}``: the probe, fine-tuning everything, LP-FT, and the control (everything, trained
    for as many steps as LP-FT's two stages together)."""
    return {"linear probe": [run("head only", s) for s in seeds], "fine-tune everything": [run("everything", s)
            for s in seeds], "LP-FT": [lp_ft_run(s) for s in seeds],
            "everything, twice the steps": [run("everything", s, 2 * STEPS) for s in seeds]}


def _accs(runs, key):
    return [getattr(r, key) for r in runs]


def lp_ft(seeds=SEEDS):
    """LP-FT against fine-tuning everything from a random head. Holds when LP-FT's shifted accuracy is above
    fine-tuning everything's on every seed and its in-distribution accuracy is not lower by more than 2 points
    on any seed."""
    runs = lp_ft_runs(seeds)
    ft, lpft = runs["fine-tune everything"], runs["LP-FT"]
    gain = [a.shifted_acc - b.shifted_acc for a, b in zip(lpft, ft)]
    summary = "; ".join(f"{name}: {pct(_accs(r, 'in_acc'))} in distribution, {pct(_accs(r, 'shifted_acc'))} shifted"
                        for name, r in runs.items() if name != "everything, twice the steps")
    summary += f"; LP-FT's shifted lead over fine-tuning everything: {_points(gain)} ({len(seeds)} seeds)"
    holds = all(g > 0 for g in gain) and all(a.in_acc > b.in_acc - 0.02 for a, b in zip(lpft, ft))
    return evidence(holds, seeds, summary, gain=gain, **{f"{n} {k}": _accs(r, k) for n, r in runs.items()
                                                         for k in ("in_acc", "shifted_acc", "feature_cka")})


def features_kept(seeds=SEEDS):
    """The cause, measured: fine-tuning from a trained head changes the features less. Holds when LP-FT's features
    on the shifted images stay closer to the pre-trained ones (linear CKA) than fine-tuning everything's, on
    every seed."""
    runs = lp_ft_runs(seeds)
    ft, lpft = _accs(runs["fine-tune everything"], "feature_cka"), _accs(runs["LP-FT"], "feature_cka")
    summary = (f"similarity of the features to the pre-trained ones on the shifted images (linear CKA, 1 = "
               f"unchanged): LP-FT {_mean(lpft)}, fine-tuning everything {_mean(ft)} ({len(seeds)} seeds)")
    return evidence(all(a > b for a, b in zip(lpft, ft)), seeds, summary, lp_ft=lpft, finetune=ft)


def more_steps_control(seeds=SEEDS):
    """Control: it is not the extra steps. Fine-tuning everything for as many steps as LP-FT's two stages together
    stays below LP-FT on the shifted images, on every seed."""
    runs = lp_ft_runs(seeds)
    long, lpft = runs["everything, twice the steps"], runs["LP-FT"]
    summary = (f"fine-tuning everything for {2 * STEPS} steps: {pct(_accs(long, 'shifted_acc'))} shifted, "
               f"{pct(_accs(long, 'in_acc'))} in distribution; LP-FT: {pct(_accs(lpft, 'shifted_acc'))} shifted "
               f"({len(seeds)} seeds)")
    holds = all(a.shifted_acc > b.shifted_acc for a, b in zip(lpft, long))
    return evidence(holds, seeds, summary, long_shifted=_accs(long, "shifted_acc"), lp_ft=_accs(lpft, "shifted_acc"))


def _points(values):
    return f"{100 * mean(values):+.1f} ± {100 * spread(values):.1f} points"


def _mean(values):
    return f"{mean(values):.3f} ± {spread(values):.3f}"

keep_for_the_session(globals())  # under the tests: once per session (see once.py)
