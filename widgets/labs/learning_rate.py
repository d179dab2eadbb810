"""Lesson 04's experiments: what the learning rate does to a pre-trained model, measured on several seeds.

The set-up is the LR lab's own: the course model (pre-trained on letters) fine-tuned on Digits-M with 10 images per
digit, validated on 30 other images per digit from the labelled pool (the test set never picks a rate), Adam, no
augmentation, the same batches for every rate. A seed picks the 10 images per digit, the new head's starting weights
and the batch order. The forgetting meter reads the old task (letters) with the model's original head.

The runs are cached per seed, so claims that read the same runs share them, and the lesson's widgets show seed 0 of
the very runs the claims measure (``rate_sweep(0)``, ``finder_runs(0)`` ...).
"""

import functools

from ..engine.finder import lr_range_test
from ..engine.freezing import freeze_exactly
from ..engine.sweep import sweep
from ..engine.training import Trainer
from ..kit.course import PRESETS, course_model, forgetting_meter, validation_task
from . import DEVICE, RUNS_KEPT, evidence, mean, pct, spread
from .once import keep_for_the_session
from .progress import showing_progress

SEEDS = (0, 1, 2)
IMAGES_PER_DIGIT = 10
STEPS = 30
#: section 1: every layer trains
RATES = (1e-4, 1e-3, 3e-3, 1e-2)
#: the new head alone, backbone frozen
HEAD_RATES = (1e-3, 3e-3, 1e-2, 3e-2)
FINDER_STEPS = 60
#: section 4: small rates for early blocks, the finder's head rate for the head; against one uniform rate
DISCRIMINATIVE = {"conv1": 1e-4, "conv2": 3e-4, "conv3": 1e-3, "head": 1e-2}
UNIFORM = 3e-3
#: section 3: conv3 and the head train at a high rate, evaluated every 6 steps
SCHEDULE_RATE, SCHEDULE_STEPS, SCHEDULE_EVERY, SCHEDULE_PRESET = 1e-2, 60, 6, "conv3 + head"


def _f(value):
    return f"{value:.0e}".replace("e-0", "e-")


@functools.lru_cache(maxsize=32)  # image tensors: a few MB each
def task(seed):
    """``(train, validation)`` for ``seed``: 10 images per digit, and 30 others per digit to validate on."""
    return validation_task(IMAGES_PER_DIGIT, seed=seed)


@functools.lru_cache(maxsize=RUNS_KEPT)
def old_task_before():
    """The old task's accuracy before any fine-tuning (the new head does not take part in it)."""
    return forgetting_meter().accuracy(course_model())


def rate_sweep(seed, head_only=False):
    """One copy per rate, trained for 30 steps from the same start on the same batches: every layer (``RATES``) or
    the new head alone (``HEAD_RATES``). What ``LRExplorer(lrs=RATES, steps=STEPS)`` shows for seed 0."""
    return _rate_sweep(seed, bool(head_only))  # one cache key however it is called


@functools.lru_cache(maxsize=RUNS_KEPT)
def _rate_sweep(seed, head_only):
    model = freeze_exactly(course_model(seed=seed), PRESETS["head only" if head_only else "all layers"])
    train, val = task(seed)
    return sweep_rates(model, train, val, HEAD_RATES if head_only else RATES, STEPS, source=forgetting_meter(),
                       seed=seed)


def sweep_rates(model, train, val, rates=RATES, steps=STEPS, *, source=None, seed=0, augment=False, callback=None,
                stop=None):
    """One run spec for the rate sweep, what the LRExplorer's Train button and the claims both train: a copy of
    ``model`` per rate, from the same start on the same batches, for ``steps`` steps."""
    return sweep(model, train, val, rates, steps, source=source, seed=seed, augment=augment, callback=callback,
                 stop=stop, device=DEVICE)


def _per_rate(seeds, field, head_only=False):
    rates = HEAD_RATES if head_only else RATES
    return {rate: [getattr(rate_sweep(s, head_only), field)[i] for s in seeds] for i, rate in enumerate(rates)}


def forgetting(seeds=SEEDS):
    """Every layer trains: the old task's accuracy falls as the rate grows, on every seed."""
    old = _per_rate(seeds, "source_acc")
    falls = all(old[1e-4][k] > old[1e-3][k] > old[3e-3][k] > old[1e-2][k] for k in range(len(seeds)))
    holds = falls and min(old[1e-4]) >= 0.95 and max(old[1e-2]) <= 0.3
    summary = (f"old task after {STEPS} steps (before: {old_task_before():.1%}): "
               + ", ".join(f"{_f(r)} {pct(v)}" for r, v in old.items()) + f"; falls with the rate on every seed: "
               f"{falls} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, **{f"old task at {_f(r)}": v for r, v in old.items()})


def new_task(seeds=SEEDS):
    """Every layer trains for 30 steps: 1e-4 barely learns the new task, 1e-2 ends near chance, 1e-3 and 3e-3 best."""
    new = _per_rate(seeds, "val_acc")
    middle = [max(a, b) for a, b in zip(new[1e-3], new[3e-3])]
    holds = (max(new[1e-4]) < 0.3 and max(new[1e-2]) < 0.25
             and all(m >= small + 0.1 and m >= large + 0.1 for m, small, large in zip(middle, new[1e-4], new[1e-2])))
    summary = (f"new task after {STEPS} steps: " + ", ".join(f"{_f(r)} {pct(v)}" for r, v in new.items())
               + f" ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, **{f"new task at {_f(r)}": v for r, v in new.items()})


def frozen_backbone(seeds=SEEDS):
    """The backbone frozen (its BatchNorm in eval mode, as the Trainer keeps it): no rate moves the old task."""
    old = _per_rate(seeds, "source_acc", head_only=True)
    before = old_task_before()
    holds = all(a == before for values in old.values() for a in values)
    summary = (f"backbone frozen, {len(HEAD_RATES)} rates ({_f(HEAD_RATES[0])} to {_f(HEAD_RATES[-1])}) x "
               f"{len(seeds)} seeds: the old task stays at exactly {before:.1%} in every run: {holds}")
    return evidence(holds, seeds, summary, **{f"old task at {_f(r)}": v for r, v in old.items()})


def unfrozen_backbone(seeds=SEEDS):
    """Control: the same runs with every layer training (section 1's sweep, same start, same batches) move the old
    task away from its starting accuracy at every rate it shares with the head-only sweep, on every seed: it is the
    frozen backbone that keeps the old task exact."""
    old = _per_rate(seeds, "source_acc")
    before = old_task_before()
    shared = [r for r in RATES if r in HEAD_RATES]
    holds = all(a != before for r in shared for a in old[r])
    summary = (f"every layer training, {STEPS} steps: old task " + ", ".join(f"{_f(r)} {pct(old[r])}" for r in shared)
               + f" (before {before:.1%}); moved in every run: {holds} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, **{f"old task at {_f(r)}": old[r] for r in shared})


@functools.lru_cache(maxsize=RUNS_KEPT)
def _frozen_in_train_mode(seed, rate=UNIFORM):
    model = freeze_exactly(course_model(seed=seed), PRESETS["head only"])
    train, val = task(seed)
    trainer = Trainer(model, train, val, lr=rate, seed=seed, augment=False, source=forgetting_meter(),
                      eval_frozen=False, device=DEVICE)
    return trainer.fit(STEPS, eval_every=STEPS, eval_at_start=False).final["source_acc"]


def frozen_batchnorm_in_train_mode(seeds=SEEDS):
    """The same frozen backbone with its BatchNorm left in train mode (``eval_frozen=False``): its running statistics
    follow the digits' batches, yet in 30 steps at 3e-3 the old task moves by less than 1 point on every seed (on
    some seeds not at all). Not a control for the frozen-backbone claim (it barely differs); lesson 02 shows what
    train mode does over longer runs."""
    old = [_frozen_in_train_mode(s) for s in seeds]
    before = old_task_before()
    moved = [abs(a - before) for a in old]
    holds = max(moved) < 0.01
    summary = (f"backbone frozen but its BatchNorm in train mode, {_f(UNIFORM)}, {STEPS} steps: old task "
               f"{pct(old)} (before {before:.1%}); moved by at most "
               f"{100 * max(moved):.1f} points ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, old_task=old)


def head_rates(seeds=SEEDS):
    """The new head alone: 1e-3 to 1e-2 all learn the new task; 3e-2 diverges on most seeds."""
    new = _per_rate(seeds, "val_acc", head_only=True)
    diverged = [rate_sweep(s, True).status[HEAD_RATES.index(3e-2)] == "diverged" for s in seeds]
    every_layer_best = [max(rate_sweep(s).val_acc) for s in seeds]
    # per seed: the three rates learn and the best beats every layer's best; "most seeds" diverging needs them all
    per_seed = [min(new[r][k] for r in (1e-3, 3e-3, 1e-2)) >= 0.40
                and max(new[r][k] for r in (1e-3, 3e-3, 1e-2)) > every_layer_best[k] for k in range(len(seeds))]
    holds = all(per_seed) and sum(diverged) * 2 > len(seeds)
    summary = (f"new head alone, {STEPS} steps: " + ", ".join(f"{_f(r)} {pct(v)}" for r, v in new.items())
               + f"; 3e-2 diverged on {sum(diverged)} of {len(seeds)} seeds; every layer, best rate: "
               f"{pct(every_layer_best)}")
    return evidence(holds, seeds, summary, held_per_seed=per_seed, every_layer_best=every_layer_best,
                    diverged_at_3e_2=[float(d) for d in diverged],
                    **{f"new task at {_f(r)}": v for r, v in new.items()})


# --------------------------------------------------------------------------------------------- the LR finder


def finder_runs(seed, head_only=False):
    """The LR range test on the whole model, or on the new head alone (backbone frozen), with 60 rates."""
    return _finder_runs(seed, bool(head_only))


@functools.lru_cache(maxsize=RUNS_KEPT)
def _finder_runs(seed, head_only):
    frozen = PRESETS["head only"] if head_only else None
    return lr_range_test(course_model(seed=seed), task(seed)[0], steps=FINDER_STEPS, seed=seed, frozen=frozen,
                         device=DEVICE)


def _on_the_fall(result):
    """True when the steepest-fall marker sits where the smoothed loss is really falling: at or before its lowest
    point, with at least a tenth of the whole fall already behind it or still ahead (never on the flat start)."""
    s, lrs = result.smoothed, result.lrs
    i, lowest = lrs.index(result.steepest), min(range(len(s)), key=s.__getitem__)
    fall = s[0] - s[lowest]
    return i <= lowest and fall > 0 and s[0] - s[i] >= 0.1 * fall


def finder(seeds=SEEDS):
    """The finder's suggestion (a tenth of the rate with the lowest smoothed loss): about 3e-3 for the whole model,
    about 1e-2 to 2e-2 for the new head alone; the steepest-fall marker always on the falling part of the curve."""
    whole = [finder_runs(s).suggestion for s in seeds]
    head = [finder_runs(s, True).suggestion for s in seeds]
    on_fall = [_on_the_fall(finder_runs(s, h)) for s in seeds for h in (False, True)]
    holds = all(2e-3 <= w <= 6e-3 for w in whole) and all(8e-3 <= h <= 3e-2 for h in head) and all(on_fall)
    summary = (f"suggestion, whole model: {', '.join(f'{w:.1e}' for w in whole)}; new head alone: "
               f"{', '.join(f'{h:.1e}' for h in head)}; steepest fall on the falling part in {sum(on_fall)} of "
               f"{len(on_fall)} tests ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, whole_model=whole, head_alone=head)


def finder_and_forgetting(seeds=SEEDS):
    """The whole-model suggestion sits where every layer training forgets: at 3e-3 (section 1) the old task falls by
    more than 5 points in 30 steps. The finder reads only the new task's loss."""
    whole = [finder_runs(s).suggestion for s in seeds]
    old = _per_rate(seeds, "source_acc")[3e-3]
    before = old_task_before()
    holds = all(2e-3 <= w <= 6e-3 for w in whole) and all(before - a > 0.05 for a in old)
    summary = (f"whole-model suggestion {', '.join(f'{w:.1e}' for w in whole)}; old task after {STEPS} steps at 3e-3: "
               f"{pct(old)} (before {before:.1%}) ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, suggestion=whole, old_task_at_3e_3=old)


# --------------------------------------------------------------------------------------------- discriminative rates


@functools.lru_cache(maxsize=RUNS_KEPT)
def rates_run(seed, rates):
    """Every layer trains for 30 steps with ``rates`` (a tuple of ``(block, rate)``): what ``DiscriminativeLR``
    trains; the uniform 3e-3 run is section 1's (same start, same batches)."""
    train, val = task(seed)
    trainer = Trainer(course_model(seed=seed), train, val, lr=dict(rates), seed=seed, augment=False,
                      source=forgetting_meter(), device=DEVICE)
    return trainer.fit(STEPS, eval_every=STEPS, eval_at_start=False)


def reversed_order(rates):
    """The same rates given to the blocks in reverse order: the head gets conv1's rate, conv1 the head's."""
    return dict(zip(rates, reversed(list(rates.values()))))


def compared_rates(rates=None, uniform=UNIFORM):
    """``{"discriminative", "uniform", "reversed"}`` -> the rate(s) of each run DiscriminativeLR compares: one run
    spec for the widget and for the claims."""
    rates = dict(DISCRIMINATIVE if rates is None else rates)
    return {"discriminative": rates, "uniform": uniform, "reversed": reversed_order(rates)}


def discriminative_runs(seed):
    """``{"discriminative", "uniform", "reversed"}`` -> History, the three runs DiscriminativeLR compares."""
    spec = compared_rates()
    return {"discriminative": rates_run(seed, tuple(spec["discriminative"].items())),
            "uniform": rate_sweep(seed).histories[RATES.index(spec["uniform"])],
            "reversed": rates_run(seed, tuple(spec["reversed"].items()))}


def _finals(seeds, label, key):
    return [discriminative_runs(s)[label].final[key] for s in seeds]


def discriminative(seeds=SEEDS):
    """Small rates for early blocks (1e-4 ... 1e-2 for the head) against one uniform 3e-3: the old task is kept
    better on every seed, the new task learned at least about as well (never more than 6 points below it)."""
    old = {label: _finals(seeds, label, "source_acc") for label in ("discriminative", "uniform")}
    new = {label: _finals(seeds, label, "val_acc") for label in ("discriminative", "uniform")}
    holds = (all(d - u >= 0.03 for d, u in zip(old["discriminative"], old["uniform"]))
             and all(d >= u - 0.06 for d, u in zip(new["discriminative"], new["uniform"])))
    summary = (f"old task: discriminative {pct(old['discriminative'])}, uniform {_f(UNIFORM)} {pct(old['uniform'])}; "
               f"new task: {pct(new['discriminative'])} vs {pct(new['uniform'])} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, old_discriminative=old["discriminative"], old_uniform=old["uniform"],
                    new_discriminative=new["discriminative"], new_uniform=new["uniform"])


def reversed_rates(seeds=SEEDS):
    """Control: the same rates given in reverse order (1e-2 for conv1 ... 1e-4 for the head) forget more than the
    uniform rate on every seed: it is WHERE the small rates go that keeps the old task."""
    old = {label: _finals(seeds, label, "source_acc") for label in ("reversed", "uniform")}
    holds = all(r < u for r, u in zip(old["reversed"], old["uniform"]))
    summary = (f"old task: reversed rates {pct(old['reversed'])}, uniform {_f(UNIFORM)} {pct(old['uniform'])} "
               f"({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, old_reversed=old["reversed"], old_uniform=old["uniform"])


# --------------------------------------------------------------------------------------------- schedules


def schedule_run(seed, schedule, rate=SCHEDULE_RATE, steps=None):
    """conv3 and the head train with ``schedule`` (conv1, conv2 frozen) for ``steps`` (``SCHEDULE_STEPS``),
    evaluated every 6 steps."""
    return _schedule_run(seed, schedule, rate, SCHEDULE_STEPS if steps is None else steps)


@functools.lru_cache(maxsize=RUNS_KEPT)
def _schedule_run(seed, schedule, rate, steps):
    model = freeze_exactly(course_model(seed=seed), PRESETS[SCHEDULE_PRESET])
    train, val = task(seed)
    trainer = Trainer(model, train, val, lr=rate, seed=seed, augment=False, schedule=schedule, device=DEVICE)
    return trainer.fit(steps, eval_every=SCHEDULE_EVERY)


def schedule_runs(seed):
    """``{"constant", "onecycle"}`` -> History at 1e-2: what ScheduleExplorer(lr=1e-2, schedule="onecycle") runs."""
    return {name: schedule_run(seed, None if name == "constant" else name) for name in ("constant", "onecycle")}


def _first_jump(history):
    """How much the validation loss rose (above 0) or fell (below 0) from the start to the first evaluation."""
    return history.val_loss[1] - history.val_loss[0]


def warmup(seeds=SEEDS):
    """At 1e-2, a constant rate throws the validation loss up in the first 6 steps; one-cycle, which starts at a
    25th of the rate and warms up, does not; after 60 steps their validation accuracies are within noise."""
    jump = {name: [_first_jump(schedule_runs(s)[name]) for s in seeds] for name in ("constant", "onecycle")}
    final = {name: [schedule_runs(s)[name].final["val_acc"] for s in seeds] for name in ("constant", "onecycle")}
    gap = [c - o for c, o in zip(final["constant"], final["onecycle"])]
    # per seed: the jumps; "within the spread over seeds" needs them all
    per_seed = [c > 0.5 and o < 0 for c, o in zip(jump["constant"], jump["onecycle"])]
    holds = all(per_seed) and abs(mean(gap)) <= max(spread(final["constant"]), spread(final["onecycle"]), 0.02)
    summary = (f"validation loss over the first {SCHEDULE_EVERY} steps at {_f(SCHEDULE_RATE)}: constant "
               f"{mean(jump['constant']):+.2f} ± {spread(jump['constant']):.2f}, one-cycle "
               f"{mean(jump['onecycle']):+.2f} ± {spread(jump['onecycle']):.2f}; validation accuracy after "
               f"{SCHEDULE_STEPS} steps: constant {pct(final['constant'])}, one-cycle {pct(final['onecycle'])} "
               f"({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, held_per_seed=per_seed, jump_constant=jump["constant"],
                    jump_onecycle=jump["onecycle"], final_constant=final["constant"], final_onecycle=final["onecycle"],
                    final_gap=gap)


def low_constant_rate(seeds=SEEDS):
    """Control: a constant rate 3x lower (3e-3) does not throw the validation loss up in its first 6 steps: the
    jump comes from starting high, which warm-up avoids."""
    jump = [_first_jump(schedule_run(s, None, rate=SCHEDULE_RATE / 3, steps=SCHEDULE_EVERY)) for s in seeds]
    holds = all(j < 0 for j in jump)
    summary = (f"validation loss over the first {SCHEDULE_EVERY} steps at a constant {_f(SCHEDULE_RATE / 3)}: "
               f"{mean(jump):+.2f} ± {spread(jump):.2f} ({len(seeds)} seeds)")
    return evidence(holds, seeds, summary, jump=jump)


keep_for_the_session(globals())  # under the tests: once per session (see once.py)
showing_progress(globals(), {"rate_sweep": None, "finder_runs": FINDER_STEPS, "discriminative_runs": 3 * STEPS,
                             "schedule_runs": 2 * SCHEDULE_STEPS})  # a bar in the cell while they train
