"""Lesson 03's experiments: what the first layer learned, which depth's features separate digits, and how the recipes
that unfreeze the backbone (two stages, all at once, gradual) compare when only one thing changes at a time.

Every fine-tune here starts from the course model with a fresh 10-class head, on 10 Digits-M images per digit,
without augmentation; ``seed`` picks the training images, the head's starting weights and the batch order. conv1
and conv2 stay frozen in every recipe except the third stage of gradual unfreezing, so their output is computed
once (the trainer's frozen-feature cache) and the runs are cheap. Runs are cached and shared between claims.
"""

import copy
import functools

import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression

from ..engine import freezing
from ..engine.features import FrozenFeatures, fast_predict
from ..engine.hooks import StopOnRequest
from ..engine.seeding import seeded
from ..engine.training import Trainer
from ..kit import data
from ..kit.course import BLOCKS, course_model, forgetting_meter
from ..kit.model import BACKBONE_BLOCKS, CourseCNN
from . import DEVICE, RUNS_KEPT, evidence, mean, pct, spread
from .once import keep_for_the_session
from .progress import showing_progress

#: a learning rate per block, lower for earlier blocks (lesson 03's discriminative rates)
RATES = {"conv1": 3e-5, "conv2": 5e-5, "conv3": 1e-4, "head": 1e-2}
STAGE_STEPS = 60
#: gradual unfreezing: the block each stage unfreezes (the first two stages are the two-stage recipe)
STAGES = ("head", "conv3", "conv2")
RECIPES = ("head only", "two stages", "at once", "at once, high rate")


# --- what the first layer learned ------------------------------------------------------------------------------


def smoothness(weight):
    """Mean correlation of horizontally neighbouring weights, over every filter and colour channel: about 0 for
    noise, near 1 for smooth patterns such as edges and colour blobs."""
    w = weight.detach().flatten(0, 1)  # one k x k grid per filter and channel
    left, right = w[:, :, :-1].flatten(1), w[:, :, 1:].flatten(1)
    centred = lambda t: t - t.mean(1, keepdim=True)  # noqa: E731
    return F.cosine_similarity(centred(left), centred(right)).mean().item()


def random_model(seed):
    with seeded(seed):
        return CourseCNN(num_classes=10)


def filter_smoothness(seeds=(0, 1, 2)):
    """The pre-trained conv1 filters are smooth (above 0.4); randomly initialised ones are not (|s| < 0.15), on
    every seed (each seed is another random start)."""
    learned = smoothness(course_model().conv1[0].weight)
    random_starts = [smoothness(random_model(seed).conv1[0].weight) for seed in seeds]
    holds = learned > 0.4 and max(abs(s) for s in random_starts) < 0.15
    summary = (f"smoothness of conv1's filters: learned {learned:.2f}; random starts {mean(random_starts):.2f} "
               f"± {spread(random_starts):.2f} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, learned=[learned] * len(seeds), random=random_starts)


# --- which depth separates digits: a linear probe, and its control ---------------------------------------------


@functools.lru_cache(maxsize=64)  # feature tensors
def _pooled_features(start, seed, split):
    """``{block: features}`` of the ``split`` images after each conv block, averaged over a 2 x 2 grid."""
    model = course_model() if start == "pre-trained" else random_model(seed)
    features = data.target_task(n_per_class=10, seed=seed)[split == "test"].tensors()[0]
    found = {}
    for block in BACKBONE_BLOCKS:  # block by block, in eval mode, the fast way (BatchNorm folded, channels-last)
        features = fast_predict(model.get_submodule(block), features)
        found[block] = F.adaptive_avg_pool2d(features, 2).flatten(1).numpy()
    return found


@functools.lru_cache(maxsize=RUNS_KEPT)
def probe(start, seed):
    """``{block: test accuracy}`` of a logistic regression fitted on the 100 training images' features there."""
    train, test = data.target_task(n_per_class=10, seed=seed)
    # the test set is the same for every seed, so a fixed model's test features are computed once
    test_features = _pooled_features(start, 0 if start == "pre-trained" else seed, "test")
    found = {}
    for block, features in _pooled_features(start, seed, "train").items():
        fitted = LogisticRegression(max_iter=500).fit(features, train.labels.numpy())
        found[block] = float(fitted.score(test_features[block], test.labels.numpy()))
    return found


def _probe_values(start, seeds):
    runs = [probe(start, seed) for seed in seeds]
    return {block: [run[block] for run in runs] for block in BACKBONE_BLOCKS}


def depth_probe(seeds=(0, 1, 2)):
    """The letters model's features separate digits better the deeper they are: conv1 < conv2 < conv3 on every
    seed (the seed picks the 100 training images)."""
    found = _probe_values("pre-trained", seeds)
    holds = all(found["conv1"][k] < found["conv2"][k] < found["conv3"][k] for k in range(len(seeds)))
    summary = "pre-trained features: " + ", ".join(f"{b} {pct(v)}" for b, v in found.items()) + f" ({len(seeds)} seeds)"
    return evidence(holds, seeds, summary, **found)


def depth_probe_random_init(seeds=(0, 1, 2)):
    """The control: a randomly initialised CourseCNN's features, of the same sizes, stay below 20% (chance: 10%)
    at every depth on every seed, so the rise with depth comes from pre-training, not from depth or width."""
    found = _probe_values("random init", seeds)
    holds = max(max(v) for v in found.values()) < 0.2
    summary = "random-init features: " + ", ".join(f"{b} {pct(v)}" for b, v in found.items()) + f" ({len(seeds)} seeds)"
    return evidence(holds, seeds, summary, **found)


# --- recipes that unfreeze the backbone: one change at a time ----------------------------------------------------


#: the frozen conv1-conv2 output, shared by every run of this module: the runs all start from the shipped weights,
#: so their frozen blocks turn the same images (the digits test set, the letters of the forgetting meter, a seed's
#: training images) into the same features, computed once for all the runs instead of once per run. Only depths of
#: two blocks or more are kept (conv1's output alone is twice as big, and only gradual's last stage reads it):
#: memory counts on a small machine.
SHARED_FEATURES = {}


def _trainer(model, seed, lr):
    train, test = data.target_task(n_per_class=10, seed=seed)
    trainer = Trainer(model, train, test, lr=lr, augment=False, seed=seed, source=forgetting_meter(every=3),
                      device=DEVICE)
    trainer.features = FrozenFeatures(trainer.model, trainer.device, shared=SHARED_FEATURES, share_from=2)
    return trainer


def _conv3_gradient(model, seed):
    """The size of the loss gradient that reaches conv3's weights on the 100 training images (conv3 unfrozen), read
    on a copy in the trainer's mode, so the model's BatchNorm statistics are left as they were."""
    train, _ = data.target_task(n_per_class=10, seed=seed)
    x, y = train.tensors()
    probe_copy = freezing.train_mode(copy.deepcopy(model))
    (gradient,) = torch.autograd.grad(F.cross_entropy(probe_copy(x), y), probe_copy.conv3[0].weight)
    return gradient.norm().item()


@functools.lru_cache(maxsize=RUNS_KEPT)
def gradual(seed, eval_every=STAGE_STEPS):
    """Gradual unfreezing, one stage of ``STAGE_STEPS`` per block in ``STAGES``: the head, then conv3, then conv2
    (conv1 stays frozen). Its first two stages ARE the two-stage recipe. At the end of each stage: ``accuracy``
    (digits test set), ``letters`` (the forgetting meter: held-out letters read with the original head) and
    ``drift`` per block; ``eval_steps`` and ``drift_curve`` for the drift meter; and the gradient reaching conv3
    once the head has trained (the start of stage two)."""
    model = freezing.freeze(course_model(num_classes=10, seed=seed), *BACKBONE_BLOCKS)
    trainer = _trainer(model, seed, RATES)
    found = dict(accuracy=[], letters=[], drift=[], eval_steps=[], drift_curve={}, stage_starts=[])
    for block in STAGES:
        freezing.unfreeze(model, block)
        if block == "conv3":
            found["trained_head_gradient"] = _conv3_gradient(model, seed)
        found["stage_starts"].append(trainer.steps_done)
        history = trainer.fit(STAGE_STEPS, eval_every=eval_every, eval_at_start=block == STAGES[0])
        found["accuracy"].append(history.final["val_acc"])
        found["letters"].append(history.final["source_acc"])
        found["drift"].append({b: v[-1] for b, v in history.drift.items()})
        found["eval_steps"] += history.eval_steps
        for b, values in history.drift.items():
            found["drift_curve"].setdefault(b, []).extend(values)
    return found


@functools.lru_cache(maxsize=RUNS_KEPT)
def at_once(seed, lr="rates"):
    """conv3 and the head trained together from the first step for two stages' worth of steps, conv1 and conv2
    frozen as in stage two: at the discriminative ``RATES`` (``"rates"``), or at one ``lr`` for both."""
    model = freezing.freeze(course_model(num_classes=10, seed=seed), "conv1", "conv2")
    gradient = _conv3_gradient(model, seed)
    history = _trainer(model, seed, RATES if lr == "rates" else lr).fit(2 * STAGE_STEPS, eval_every=2 * STAGE_STEPS,
                                                                         eval_at_start=False)
    return dict(accuracy=[history.final["val_acc"]], letters=[history.final["source_acc"]],
                random_head_gradient=gradient)


def recipes(seeds=(0, 1, 2)):
    """``{metric: {recipe: [value per seed]}}`` for the four recipes of lesson 03's section 4."""
    runs = {"head only": [gradual(s) for s in seeds], "at once": [at_once(s) for s in seeds],
            "at once, high rate": [at_once(s, 1e-2) for s in seeds]}
    out = {"digits test accuracy": {}, "letters accuracy (old task)": {}}
    for name, stage in (("head only", 0), ("two stages", 1), ("at once", -1), ("at once, high rate", -1)):
        source = runs["head only" if name in ("head only", "two stages") else name]
        out["digits test accuracy"][name] = [r["accuracy"][stage] for r in source]
        out["letters accuracy (old task)"][name] = [r["letters"][stage] for r in source]
    return out


def _change(before, after):
    return [b - a for a, b in zip(before, after)]


def _points(values):
    """``"-1.2 ± 1.9 points"``: a mean change of accuracies and its spread, in percentage points."""
    return f"{100 * mean(values):+.1f} ± {100 * spread(values):.1f} points"


def staging(seeds=(0, 1, 2)):
    """Two stages (head, then head and conv3) did not beat head and conv3 trained together from the first step at
    the same rates and for the same 120 steps: on no seed by a point or more."""
    found = recipes(seeds)["digits test accuracy"]
    two, together = found["two stages"], found["at once"]
    holds = all(t < o + 0.01 for t, o in zip(two, together))
    summary = (f"two stages {pct(two)}, at once {pct(together)}: two stages minus at once "
               f"{_points(_change(together, two))} ({len(seeds)} seeds, the same rates and steps)")
    return evidence(holds, seeds, summary, two_stages=two, at_once=together)


def second_stage(seeds=(0, 1, 2)):
    """Unfreezing conv3 after the head-only stage (60 more steps, conv3 at 1e-4) did not raise the test accuracy:
    the mean change is below one point."""
    runs = [gradual(seed) for seed in seeds]
    head, two = [r["accuracy"][0] for r in runs], [r["accuracy"][1] for r in runs]
    holds = mean(_change(head, two)) < 0.01
    summary = f"head only {pct(head)}; after conv3's stage {pct(two)}: {_points(_change(head, two))} " \
        f"({len(seeds)} seeds)"
    return evidence(holds, seeds, summary, head_only=head, two_stages=two)


def gradual_unfreezing(seeds=(0, 1, 2)):
    """Gradual unfreezing (head, then conv3, then conv2, 60 steps each): its last stage, unfreezing conv2, added
    nothing: the mean change from the second stage to the last is below one point."""
    runs = [gradual(seed) for seed in seeds]
    stages = {f"+{block}": [r["accuracy"][k] for r in runs] for k, block in enumerate(STAGES)}
    first, second, last = stages["+head"], stages[f"+{STAGES[1]}"], stages[f"+{STAGES[-1]}"]
    holds = mean(_change(second, last)) < 0.01
    summary = ", ".join(f"after {name} {pct(v)}" for name, v in stages.items()) + \
        (f"; last minus second stage {_points(_change(second, last))}, last minus first "
         f"{_points(_change(first, last))} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, **stages)


def high_rate(seeds=(0, 1, 2)):
    """Giving conv3 the head's rate (1e-2) instead of 1e-4, all else the same (at once, 120 steps), lowered the digits
    accuracy and the letters accuracy (the forgetting meter) on every seed, the letters by more than 5 points."""
    found = recipes(seeds)
    digits, letters = found["digits test accuracy"], found["letters accuracy (old task)"]
    holds = all(h < low for h, low in zip(digits["at once, high rate"], digits["at once"])) and \
        all(h < low - 0.05 for h, low in zip(letters["at once, high rate"], letters["at once"]))
    summary = (f"conv3 at 1e-4 / at 1e-2: digits {pct(digits['at once'])} / {pct(digits['at once, high rate'])}, "
               f"letters {pct(letters['at once'])} / {pct(letters['at once, high rate'])} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, digits_low=digits["at once"], digits_high=digits["at once, high rate"],
                    letters_low=letters["at once"], letters_high=letters["at once, high rate"])


def low_rate_keeps_letters(seeds=(0, 1, 2)):
    """The control: with conv3 at 1e-4 (the same recipe otherwise) the letters accuracy stays within a point of the
    shipped model's, on every seed: what the old task lost at 1e-2 came with the rate."""
    letters = recipes(seeds)["letters accuracy (old task)"]["at once"]
    shipped = forgetting_meter(every=3).accuracy(course_model(num_classes=None))
    holds = min(letters) > shipped - 0.01
    summary = f"letters accuracy with conv3 at 1e-4: {pct(letters)} (shipped model {shipped:.1%}; {len(seeds)} seeds)"
    return evidence(holds, seeds, summary, letters=letters)


def head_gradient(seeds=(0, 1, 2)):
    """A fresh random head sends a larger gradient into conv3 than the head does after its 60-step stage, on every
    seed (the same 100 training images, conv3 unfrozen in both)."""
    random_head = [at_once(seed)["random_head_gradient"] for seed in seeds]
    trained_head = [gradual(seed)["trained_head_gradient"] for seed in seeds]
    ratio = [r / t for r, t in zip(random_head, trained_head)]
    holds = all(x > 1 for x in ratio)
    summary = (f"gradient norm at conv3: random head {mean(random_head):.2f}, trained head {mean(trained_head):.2f}; "
               f"ratio {mean(ratio):.1f} ± {spread(ratio):.1f} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, random_head=random_head, trained_head=trained_head, ratio=ratio)


def stage_drift(seeds=(0, 1, 2)):
    """In gradual unfreezing, conv1 (never unfrozen) ends with drift exactly 0, and conv3 (unfrozen for 120 steps at
    1e-4) ends above conv2 (60 steps at 5e-5), on every seed: what the schedule of stages decides by construction."""
    final = [gradual(seed)["drift"][-1] for seed in seeds]
    holds = all(d["conv1"] == 0.0 and d["conv3"] > d["conv2"] > 0 for d in final)
    blocks = BACKBONE_BLOCKS
    summary = "final drift: " + ", ".join(f"{b} {mean([d[b] for d in final]):.4f}" for b in blocks) + \
        f" ({len(seeds)} seeds)"
    return evidence(holds, seeds, summary, **{b: [d[b] for d in final] for b in blocks})


def drift_curves(seeds=(0, 1, 2)):
    """``(steps, {block: mean drift at each evaluation}, [(step, "+block")])`` of gradual unfreezing, for the meter."""
    runs = [gradual(seed) for seed in seeds]
    curves = {b: [mean(v) for v in zip(*(r["drift_curve"][b] for r in runs))] for b in BACKBONE_BLOCKS}
    return runs[0]["eval_steps"], curves, [(step, f"+{b}") for step, b in zip(runs[0]["stage_starts"], STAGES)]



# --- the stage planner (lesson 03's Try it): the learner's own stages, run the way the recipes above run ---------

#: the StagePlanner's presets, ``((blocks that train, steps), ...)`` per stage: gradual unfreezing is
#: :func:`gradual`'s own stages, and "at once" is :func:`at_once`'s conv3 and head together for the same 120 steps
PLANS = {
    "gradual unfreezing": tuple((tuple(b for b in BLOCKS if b in STAGES[: k + 1]), STAGE_STEPS)
                                for k in range(len(STAGES))),
    "head and conv3 at once": ((("conv3", "head"), 2 * STAGE_STEPS),),
}


def planned(stages, seed=0, rates=None, eval_every=10, callback=None, stop=None):
    """Train the course model through ``stages`` (``[(blocks that train, steps)]``) on this module's run spec: lesson
    03's images, test set, forgetting meter and shared frozen features, every block at its rate in ``rates``
    (default :data:`RATES`) whenever it trains; blocks not named in a stage are frozen during it. Evaluated at the
    start and every ``eval_every`` steps (evaluating never changes training: :data:`PLANS`'s gradual unfreezing ends
    where :func:`gradual` does). ``callback(found)`` after every step (``found["step"]``: steps done); ``stop`` (an
    Event) ends the run after the current step. Returns ``found``: per finished stage ``accuracy`` (digits test
    set), ``letters`` (the forgetting meter) and ``drift`` per block; the curves ``eval_steps``, ``digits``,
    ``letters_curve`` and ``drift_curve`` per block; ``stage_starts``; and ``status`` (``"done"`` or ``"stopped"``)."""
    model = freezing.freeze(course_model(num_classes=10, seed=seed), *BACKBONE_BLOCKS)
    trainer = _trainer(model, seed, dict(rates or RATES))
    found = dict(accuracy=[], letters=[], drift=[], eval_steps=[], digits=[], letters_curve=[], drift_curve={},
                 stage_starts=[], status="done")
    hooks = [StopOnRequest(stop)] if stop is not None else []
    for k, (blocks, steps) in enumerate(stages):
        freezing.freeze_exactly(model, [b for b in BLOCKS if b not in blocks])
        found["stage_starts"].append(trainer.steps_done)
        before = {key: list(found[key]) for key in ("eval_steps", "digits", "letters_curve")}
        drift_before = {b: list(v) for b, v in found["drift_curve"].items()}

        def live(history, before=before, drift_before=drift_before):
            found.update(step=found["stage_starts"][-1] + len(history.loss),
                         eval_steps=before["eval_steps"] + history.eval_steps,
                         digits=before["digits"] + history.val_acc,
                         letters_curve=before["letters_curve"] + history.source_acc,
                         drift_curve={b: drift_before.get(b, []) + v for b, v in history.drift.items()})
            if callback is not None:
                callback(found)

        history = trainer.fit(steps, callback=live, eval_every=eval_every,
                              eval_at_start=k == 0, hooks=hooks)
        found["accuracy"].append(history.final["val_acc"])
        found["letters"].append(history.final["source_acc"])
        found["drift"].append({b: v[-1] for b, v in history.drift.items()})
        if history.status == "stopped":
            found["status"] = "stopped"
            break
    return found


keep_for_the_session(globals())  # under the tests: once per session (see once.py)
showing_progress(globals(), {"gradual": len(STAGES) * STAGE_STEPS})  # a bar in the cell while it trains
