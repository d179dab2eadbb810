"""Lesson 03's feature-distortion experiments: does fine-tuning every layer from a random head bend the pre-trained
features out of shape, and does training the head first (LP-FT) keep more accuracy on images unlike the training
images? The question and the recipe are Kumar et al., ICLR 2022, "Fine-Tuning can Distort Pretrained Features and
Underperform Out-of-Distribution".

Every run starts from the course model with a fresh 10-class head, on 10 Digits-M images per digit, Adam, no
augmentation; ``seed`` picks the training images, the head's starting weights and the batch order.

- **probe** (linear probing): the backbone frozen, the head alone, ``PROBE_STEPS`` at ``HEAD_RATE``;
- **fine-tune**: every layer from the random head, ``2 * FT_STEPS`` at ``FT_RATE`` (as many steps as LP-FT);
- **LP-FT**: the probe, then every layer ``FT_STEPS`` at ``FT_RATE``;
- **probe skipped** (the control): LP-FT without its first stage, ``FT_STEPS`` at ``FT_RATE`` from the random
  head. It is the fine-tune run read after its first half (same start, same batches, a constant rate).

Each is scored on the Digits-M test set (in distribution) and on the SHIFTED test set: the same test digits drawn
white on black without clutter (:func:`widgets.kit.shifted.shifted_test_set`), a colour scheme no fine-tuning run
sees. **Feature distortion**: how far the backbone's features of the shifted images moved from the pre-trained
model's, ``mean ‖φ(x) − φ₀(x)‖ / mean ‖φ₀(x)‖`` (0 = unchanged; the probe's is 0 by construction).
"""

import functools

from ..engine import freezing
from ..engine.features import fast_predict
from ..engine.training import Trainer
from ..kit import data
from ..kit.course import course_model
from ..kit.model import BACKBONE_BLOCKS
from ..kit.shifted import shifted_test_set
from . import DEVICE, RUNS_KEPT, evidence, mean, pct, spread
from .once import keep_for_the_session

HEAD_RATE, PROBE_STEPS = 1e-2, 60  # lesson 03's first stage
FT_RATE, FT_STEPS = 1e-3, 60  # every layer: lesson 04's best whole-network rate
RECIPES = ("probe", "fine-tune", "LP-FT", "probe skipped")
SCORES = ("in distribution", "shifted", "distortion")


@functools.lru_cache(maxsize=1)
def _test_inputs():
    """``{score: (x, y)}`` for the two test sets, and the pre-trained backbone's features of each (computed once)."""
    sets = {"in distribution": data.target_task(10, seed=0)[1].tensors(), "shifted": shifted_test_set().tensors()}
    backbone = course_model()[:-1]
    return sets, {name: fast_predict(backbone, x) for name, (x, _) in sets.items()}


def scores(model):
    """``{"in distribution", "shifted", "distortion"}`` of ``model`` (its modes left as they were)."""
    sets, before = _test_inputs()
    found = {}
    for name, (x, y) in sets.items():
        features = fast_predict(model[:-1], x)
        found[name] = (fast_predict(model[-1], features).argmax(1) == y).float().mean().item()
        if name == "shifted":
            change = (features - before[name]).norm(dim=1).mean() / before[name].norm(dim=1).mean()
            found["distortion"] = change.item()
    return found


def _fit(model, seed, lr, steps):
    train, _ = data.target_task(10, seed=seed)
    Trainer(model, train, lr=lr, augment=False, seed=seed, device=DEVICE).fit(steps, eval_every=0)


@functools.lru_cache(maxsize=RUNS_KEPT)
def runs(seed):
    """``{recipe: {score: value}}`` for the four recipes on ``seed``."""
    found = {}
    model = freezing.freeze(course_model(seed=seed), *BACKBONE_BLOCKS)
    _fit(model, seed, HEAD_RATE, PROBE_STEPS)
    found["probe"] = scores(model)
    freezing.unfreeze(model, *BACKBONE_BLOCKS)
    _fit(model, seed, FT_RATE, FT_STEPS)
    found["LP-FT"] = scores(model)
    model = course_model(seed=seed)
    train, _ = data.target_task(10, seed=seed)
    trainer = Trainer(model, train, lr=FT_RATE, augment=False, seed=seed, device=DEVICE)
    trainer.fit(FT_STEPS, eval_every=0)
    found["probe skipped"] = scores(model)
    trainer.fit(FT_STEPS, eval_every=0)  # the same run goes on: a constant rate, the next batches
    found["fine-tune"] = scores(model)
    return found


def table(seeds=(0, 1, 2)):
    """``{score: {recipe: [value per seed]}}``: what the lesson's figure shows."""
    found = [runs(seed) for seed in seeds]
    return {score: {recipe: [run[recipe][score] for run in found] for recipe in RECIPES} for score in SCORES}


def _line(values, score):
    return ", ".join(f"{recipe} {pct(values[score][recipe])}" for recipe in RECIPES)


def lpft_keeps_shifted(seeds=(0, 1, 2)):
    """LP-FT scores higher on the shifted test set than fine-tuning every layer from a random head for the same
    120 steps, on every seed, and its features of the shifted images moved less on every seed."""
    found = table(seeds)
    shifted, moved = found["shifted"], found["distortion"]
    holds = all(a > b for a, b in zip(shifted["LP-FT"], shifted["fine-tune"])) and \
        all(a < b for a, b in zip(moved["LP-FT"], moved["fine-tune"]))
    summary = (f"shifted test set: {_line(found, 'shifted')}; feature change on it: LP-FT "
               f"{mean(moved['LP-FT']):.2f} ± {spread(moved['LP-FT']):.2f}, fine-tune "
               f"{mean(moved['fine-tune']):.2f} ± {spread(moved['fine-tune']):.2f} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, lpft=shifted["LP-FT"], finetune=shifted["fine-tune"],
                    lpft_distortion=moved["LP-FT"], finetune_distortion=moved["fine-tune"])


def probe_stage_skipped(seeds=(0, 1, 2)):
    """The control: LP-FT with its probe stage skipped (the same 60 steps at 1e-3, from the random head) moves the
    shifted images' features more than LP-FT and scores lower on the shifted test set, on every seed: what LP-FT
    keeps comes with training the head first."""
    found = table(seeds)
    shifted, moved = found["shifted"], found["distortion"]
    holds = all(s < a for s, a in zip(shifted["probe skipped"], shifted["LP-FT"])) and \
        all(s > a for s, a in zip(moved["probe skipped"], moved["LP-FT"]))
    summary = (f"probe skipped / LP-FT: shifted {pct(shifted['probe skipped'])} / {pct(shifted['LP-FT'])}, feature "
               f"change {mean(moved['probe skipped']):.2f} / {mean(moved['LP-FT']):.2f} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, skipped=shifted["probe skipped"], lpft=shifted["LP-FT"],
                    skipped_distortion=moved["probe skipped"], lpft_distortion=moved["LP-FT"])


def _lead(found, score, over):
    return [a - b for a, b in zip(found[score]["LP-FT"], found[score][over])]


def _points(values):
    return f"{100 * mean(values):+.1f} ± {100 * spread(values):.1f} points"


def lead_in_distribution(seeds=(0, 1, 2)):
    """LP-FT's lead over fine-tuning is not special to the shift: it leads on the Digits-M test set too, by more
    than 5 points on every seed, and on average its lead on the shifted set is no larger than that (by less than 3
    points): starting every layer from a random head cost accuracy on both test sets alike."""
    found = table(seeds)
    inside, shifted = _lead(found, "in distribution", "fine-tune"), _lead(found, "shifted", "fine-tune")
    difference = [s - i for s, i in zip(shifted, inside)]
    per_seed = [i > 0.05 for i in inside]  # per seed; the "no larger on average" part needs all the seeds
    holds = all(per_seed) and mean(difference) < 0.03
    summary = (f"LP-FT minus fine-tune: in distribution {_points(inside)}, shifted {_points(shifted)}; shifted lead "
               f"minus in-distribution lead {_points(difference)} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, held_per_seed=per_seed, lead_in_distribution=inside, lead_shifted=shifted,
                    difference=difference)


def lpft_vs_probe(seeds=(0, 1, 2)):
    """LP-FT against the probe it starts from: within 5 points of it in distribution on every seed, and higher on the
    shifted test set on average (by more than 2 points), though not on every seed."""
    found = table(seeds)
    inside, shifted = _lead(found, "in distribution", "probe"), _lead(found, "shifted", "probe")
    per_seed = [abs(v) < 0.05 for v in inside]  # per seed; "higher on average" needs all the seeds
    holds = all(per_seed) and mean(shifted) > 0.02
    summary = (f"LP-FT minus the probe: in distribution {_points(inside)}, shifted {_points(shifted)}, higher on "
               f"{sum(v > 0 for v in shifted)} of {len(seeds)} seeds ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, held_per_seed=per_seed, in_distribution=inside, shifted=shifted)


keep_for_the_session(globals())  # under the tests: once per session (see once.py)
