"""Lesson 08, part three: the modern fine-tuning recipe against plain Adam at one rate, measured.

Both arms fine-tune every weight of the pre-trained course ViT (new head, same seed, same images, same batches,
same steps as :mod:`.now`) through the same loop (:func:`widgets.engine.modern.fit`); only the recipe differs:

- ``"plain Adam"``: ``torch.optim.Adam(model.parameters(), lr)``, one constant rate, plain cross-entropy;
- ``"modern"``: AdamW with decoupled weight decay 0.05 and none on norms, biases and tokens, layer-wise rate
  decay 0.75, warm-up (10% of the steps) then cosine, label smoothing 0.1 (:mod:`widgets.engine.modern`).

Each arm's rate (the peak rate, for the modern recipe) is picked on a validation split from the same grid
(:func:`tune`), never on a test set. What the lesson teaches is what :func:`recipe` measures: here, a small gain.
"""

import functools

import torch

from ..engine import checks
from ..engine.modern import fit, param_groups, warmup_cosine
from ..engine.training import evaluate
from ..kit import data
from . import RUNS_KEPT, evidence, mean, now, pct, spread
from .now import N_PER_CLASS, SEEDS, STEPS, build, task
from .once import keep_for_the_session

RECIPES = ("plain Adam", "modern")
#: the rates each arm was tuned on (:func:`tune`); the modern recipe's is its peak rate, which layer-wise decay
#: scales down for the lower blocks
TUNING_GRIDS = {"plain Adam": (3e-4, 1e-3, 3e-3), "modern": (1e-3, 3e-3, 1e-2)}
#: each arm's rate: the best of its grid on a validation split (:func:`tune`, seeds 0-2)
RATES = {"plain Adam": 1e-3, "modern": 3e-3}
WEIGHT_DECAY, LAYER_DECAY, WARMUP, LABEL_SMOOTHING = 0.05, 0.75, 0.1, 0.1

#: the modern recipe as a learner writes it with timm (its optimizer factory knows layer decay and no-decay lists)
TIMM_CODE = '''import timm, torch
from timm.optim import create_optimizer_v2
from timm.scheduler import CosineLRScheduler

model = timm.create_model("vit_small_patch16_224", pretrained=True, num_classes=10)
optimizer = create_optimizer_v2(model, opt="adamw", lr=1e-3, weight_decay=0.05, layer_decay=0.75)
scheduler = CosineLRScheduler(optimizer, t_initial=steps, warmup_t=steps // 10, warmup_prefix=True)
loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
'''


def train_recipe(name, train, seed=0, steps=STEPS, lr=None):
    """Fine-tune every weight of the pre-trained ViT with recipe ``name``; returns the model."""
    checks.choice(name, "recipe", RECIPES)
    model = build("everything", seed)
    lr = lr or RATES[name]
    if name == "plain Adam":
        fit(model, train, torch.optim.Adam(model.parameters(), lr=lr), steps, seed=seed)
        return model
    optimizer = torch.optim.AdamW(param_groups(model, lr, WEIGHT_DECAY, LAYER_DECAY))
    scheduler = warmup_cosine(optimizer, steps, max(1, round(WARMUP * steps)))
    fit(model, train, optimizer, steps, scheduler=scheduler, label_smoothing=LABEL_SMOOTHING, seed=seed)
    return model


@functools.lru_cache(maxsize=RUNS_KEPT)
def run(name, seed, steps=STEPS):
    """``(in-distribution accuracy, shifted accuracy)`` of one recipe on one seed (cached). Plain Adam at its
    tuned rate is the spectrum's "everything" run, step for step (a test checks it), so it is read from there."""
    if name == "plain Adam" and RATES[name] == now.RATES["everything"]:
        found = now.run("everything", seed, steps)
        return found.in_acc, found.shifted_acc
    train, test, shifted = task(seed)
    model = train_recipe(name, train, seed, steps)
    return evaluate(model, test), evaluate(model, shifted)


def tune(name, grid=None, seeds=SEEDS, steps=STEPS):
    """Validation accuracy of recipe ``name`` at each rate of ``grid``, averaged over ``seeds``."""
    scores = {}
    for lr in grid or TUNING_GRIDS[name]:
        accs = []
        for seed in seeds:
            train, val = data.target_validation_task(n_per_class=N_PER_CLASS, seed=seed)
            accs.append(evaluate(train_recipe(name, train, seed, steps, lr), val))
        scores[lr] = mean(accs)
    return scores


def _signed(values):
    return ", ".join(f"{100 * v:+.1f}" for v in values)


def recipe(seeds=SEEDS):
    """The modern recipe against plain Adam, each at its own tuned rate; ``values`` holds both arms' accuracies in
    and out of distribution, the differences, and LP-FT's shifted lead over the same plain fine-tune. Holds when
    the recipe's mean gain is above 0 and under 3 points, in and out of distribution, and its mean shifted gain is
    smaller than LP-FT's: a small gain on average, not a large one (the claim says nothing of single seeds: on
    some the recipe is behind)."""
    found = {name: [run(name, seed) for seed in seeds] for name in RECIPES}
    in_acc = {name: [r[0] for r in runs] for name, runs in found.items()}
    shifted = {name: [r[1] for r in runs] for name, runs in found.items()}
    gap_in = [m - a for a, m in zip(in_acc["plain Adam"], in_acc["modern"])]
    gap_shifted = [m - a for a, m in zip(shifted["plain Adam"], shifted["modern"])]
    lpft = now.lp_ft_runs(seeds)
    lpft_lead = [a.shifted_acc - b.shifted_acc for a, b in zip(lpft["LP-FT"], lpft["fine-tune everything"])]
    summary = (f"modern recipe {pct(in_acc['modern'])} in distribution, {pct(shifted['modern'])} shifted; plain "
               f"Adam {pct(in_acc['plain Adam'])} and {pct(shifted['plain Adam'])}; the recipe's gain "
               f"{100 * mean(gap_in):+.1f} ± {100 * spread(gap_in):.1f} points in distribution ({_signed(gap_in)} "
               f"per seed) and {100 * mean(gap_shifted):+.1f} ± {100 * spread(gap_shifted):.1f} shifted "
               f"({_signed(gap_shifted)}); LP-FT's shifted lead over the same plain fine-tune: "
               f"{100 * mean(lpft_lead):+.1f} points ({len(seeds)} seeds)")
    holds = all(0 < mean(g) < 0.03 for g in (gap_in, gap_shifted)) and mean(gap_shifted) < mean(lpft_lead)
    return evidence(holds, seeds, summary, gap_in=gap_in, gap_shifted=gap_shifted, lpft_lead=lpft_lead,
                    **{f"{n} in": v for n, v in in_acc.items()}, **{f"{n} shifted": v for n, v in shifted.items()})


keep_for_the_session(globals())  # under the tests: once per session (see once.py)
