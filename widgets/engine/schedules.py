"""Learning-rate schedules: one table, read by the Trainer, the ScheduleExplorer, the recipe builder and the Keras side.

Each :class:`Schedule` says what it does, its options (with defaults), how to build the ``torch.optim.lr_scheduler``
for a run, the line that builds it in a plain PyTorch script, and its Keras spelling where Keras has the same
schedule built in. A new schedule is one new entry in :data:`SCHEDULES`.

Most schedules follow the step count (stepped after every batch). One does not: ``plateau``
(``ReduceLROnPlateau``) watches the validation loss and multiplies the rate by ``factor`` once it has not improved
for a while; the Trainer steps it with the validation loss after each evaluation (``reads_validation_loss``).
Keras spells it as a callback, not as a schedule object (``keras.callbacks.ReduceLROnPlateau``).

    schedule_curve("cosine", steps=60, lr=3e-3)      # the rate at each step, without training
    schedule_curve("plateau", 60, 3e-3, val_loss=[2.3, 1.9, 1.7, 1.7, 1.8, ...])   # one loss per evaluation
    build_scheduler(optimizer, {"name": "step", "gamma": 0.5}, steps=100)
"""

import math
from dataclasses import dataclass
from typing import Callable, Optional

import torch
from torch import nn

from . import checks

sched = torch.optim.lr_scheduler


@dataclass(frozen=True)
class Schedule:
    """One schedule. ``options``: name -> default (``None``: set from the length of the run).

    ``make(optimizer, steps, options)`` builds the scheduler, stepped after every batch of a ``steps``-batch run;
    ``torch_line(options, steps)`` writes that call for a script (``steps`` is an expression such as ``EPOCHS``);
    ``keras_line(lr, options, steps)`` the Keras schedule with the same rate at every step, or ``None``;
    ``keras_callback(options)`` the Keras callback that changes the rate instead (``ReduceLROnPlateau``), or ``None``.
    ``reads_validation_loss``: stepped with the validation loss after each evaluation, not after every batch.
    """

    name: str
    summary: str
    options: dict
    make: Callable
    torch_line: Callable
    keras_line: Optional[Callable] = None
    keras_callback: Optional[Callable] = None
    reads_validation_loss: bool = False


def _steps_option(options, name, default):
    """A step-count option: ``None`` or 0 means ``default`` (from the run's length); else a whole number of steps."""
    value = options[name]
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0):
        return default
    return checks.steps(value, name)


def _written(options, name, expression):
    """A step-count option as a script writes it: the checked number, or ``expression`` (from the run's length)."""
    value = _steps_option(options, name, None)
    return expression if value is None else str(value)


def _every(options, steps):
    return _steps_option(options, "step_size", max(1, steps // 3))


def _decay_steps(options, steps):
    return _steps_option(options, "decay_steps", steps)


def _warmup(options, steps):
    return _steps_option(options, "warmup_steps", max(1, steps // 10))


def _warmup_factor(options, steps):
    """The warmup's multiplier of the rate at each step (its length checked once, when the schedule is made)."""
    w = _warmup(options, steps)
    return lambda step: min(1.0, 0.1 + 0.9 * step / w)


def _gamma(options):
    return checks.fraction(options["gamma"], "gamma")


def _decay_rate(options):
    return checks.fraction(options["decay_rate"], "decay_rate")


def _eta_min(options):
    return checks.at_least_zero(options["eta_min"], "eta_min")


def onecycle_minimum(pct_start):
    """The fewest steps one-cycle can run with ``pct_start``: its warm-up (``pct_start`` of ``steps + 1``) must last
    at least two of OneCycleLR's steps, else OneCycleLR divides by zero."""
    least = max(1, math.ceil(2 / pct_start) - 1)
    while pct_start * (least + 1) < 2:  # float rounding: 2 / 0.4 - 1 is 4, and 0.4 * 5 is 2.0000000000000004
        least += 1
    return least


def _pct_start(options, steps):
    pct = checks.fraction(options["pct_start"], "pct_start", high=0.99)
    least = onecycle_minimum(pct)
    if steps < least:
        enough = math.ceil(200 / (steps + 1)) / 100  # the smallest pct_start (in hundredths) that fits this run
        instead = f", or raise pct_start to {enough:g} or more" if enough <= 0.99 else ""
        raise checks.SettingError(
            f"one-cycle with pct_start {pct:g} needs at least {least:,} steps, so that its warm-up lasts a whole "
            f"step; got {steps}. Train for at least {least:,} steps{instead}.")
    return pct


def _factor(options):
    return checks.fraction(options["factor"], "factor", include_high=False)


def _patience(options):
    return checks.whole(options["patience"], "patience", minimum=0, maximum=checks.MAX_STEPS)


def _step_keras(lr, o, steps):
    size = _every(o, steps)
    gamma = _gamma(o)
    bounds = list(range(size - 1, steps, size))  # Keras keeps values[i] up to and including boundaries[i]
    values = [lr * gamma**i for i in range(len(bounds) + 1)]
    return (f"keras.optimizers.schedules.PiecewiseConstantDecay(\n    boundaries={bounds},\n"
            f"    values=[{', '.join(f'{v:.4g}' for v in values)}])")


SCHEDULES = {
    s.name: s
    for s in (
        Schedule(
            "constant", "the same rate at every step", {},
            make=lambda optimizer, steps, o: sched.LambdaLR(optimizer, lambda step: 1.0),
            torch_line=lambda o, steps: None,
            keras_line=lambda lr, o, steps: f"{lr:g}",
        ),
        Schedule(
            "step", "multiply the rate by gamma every step_size steps (default: a third of the run)",
            {"step_size": None, "gamma": 0.1},
            make=lambda optimizer, steps, o: sched.StepLR(optimizer, step_size=_every(o, steps), gamma=_gamma(o)),
            torch_line=lambda o, steps: (f"torch.optim.lr_scheduler.StepLR(optimizer, step_size="
                                         f"{_written(o, 'step_size', f'max(1, {steps} // 3)')}, gamma={_gamma(o):g})"),
            keras_line=_step_keras,
        ),
        Schedule(
            "exponential", "smooth decay: lr * decay_rate ** (step / decay_steps), as Keras' ExponentialDecay "
            "(default: down to lr * decay_rate at the last step)",
            {"decay_steps": None, "decay_rate": 0.1},
            make=lambda optimizer, steps, o: sched.ExponentialLR(
                optimizer, gamma=_decay_rate(o) ** (1.0 / _decay_steps(o, steps))),
            torch_line=lambda o, steps: (f"torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma={_decay_rate(o):g} "
                                         f"** (1 / {_written(o, 'decay_steps', str(steps))}))"),
            keras_line=lambda lr, o, steps: (
                f"keras.optimizers.schedules.ExponentialDecay(\n    initial_learning_rate={lr:g}, "
                f"decay_steps={_decay_steps(o, steps)}, decay_rate={_decay_rate(o):g})"),
        ),
        Schedule(
            "cosine", "half a cosine from the rate down to eta_min at the last step", {"eta_min": 0.0},
            make=lambda optimizer, steps, o: sched.CosineAnnealingLR(optimizer, T_max=steps, eta_min=_eta_min(o)),
            torch_line=lambda o, steps: (f"torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max={steps}"
                                         + (f", eta_min={_eta_min(o):g})" if _eta_min(o) else ")")),
            keras_line=lambda lr, o, steps: (
                f"keras.optimizers.schedules.CosineDecay(\n    initial_learning_rate={lr:g}, decay_steps={steps}, "
                f"alpha={_eta_min(o) / lr:g})"),
        ),
        Schedule(
            "onecycle", "RISES first: warm up to the rate for pct_start of the run, then anneal to almost 0",
            {"pct_start": 0.3},
            # one step more than the run, so that stepping after the last batch stays inside the cycle
            make=lambda optimizer, steps, o: sched.OneCycleLR(
                optimizer, max_lr=[g["lr"] for g in optimizer.param_groups], total_steps=steps + 1,
                pct_start=_pct_start(o, steps)),
            torch_line=lambda o, steps: (f"torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=[g['lr'] for g in "
                                         f"optimizer.param_groups], total_steps={steps} + 1, "
                                         f"pct_start={checks.fraction(o['pct_start'], 'pct_start', high=0.99):g})"),
        ),
        Schedule(
            "warmup", "RISES first: grow linearly from a tenth of the rate over warmup_steps, then hold it",
            {"warmup_steps": None},
            make=lambda optimizer, steps, o: sched.LambdaLR(
                optimizer, _warmup_factor(o, steps)),
            torch_line=lambda o, steps: (f"torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: "
                                         f"min(1.0, 0.1 + 0.9 * step / "
                                         f"{_written(o, 'warmup_steps', f'max(1, {steps} // 10)')}))"),
        ),
        Schedule(
            "plateau", "WATCHES the validation loss: multiply the rate by factor once the loss has not improved for "
            "more than patience evaluations in a row (ReduceLROnPlateau)",
            {"factor": 0.5, "patience": 1},
            # an absolute threshold, as Keras' min_delta: the same decisions in both libraries
            make=lambda optimizer, steps, o: sched.ReduceLROnPlateau(
                optimizer, factor=_factor(o), patience=_patience(o), threshold=1e-4, threshold_mode="abs"),
            torch_line=lambda o, steps: (f"torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, "
                                         f"factor={_factor(o):g}, "
                                         f"patience={_patience(o)}, threshold=1e-4, threshold_mode='abs')"),
            # Keras lowers the rate after `patience` bad evaluations, PyTorch after more than `patience`: hence + 1
            keras_callback=lambda o: (f"keras.callbacks.ReduceLROnPlateau(\n    monitor='val_loss', "
                                      f"factor={_factor(o):g}, patience={_patience(o) + 1}, min_delta=1e-4)"),
            reads_validation_loss=True,
        ),
    )
}


def spec(schedule):
    """``(name, options with defaults filled in)`` from ``None``, a name, or ``{"name": ..., **options}``."""
    if schedule is None:
        return "constant", {}
    if isinstance(schedule, str):
        name, options = schedule, {}
    elif isinstance(schedule, dict) and "name" in schedule:
        name, options = schedule["name"], {k: v for k, v in schedule.items() if k != "name"}
    else:
        raise checks.SettingError(f"a schedule is a name such as 'cosine' or a dict with a 'name'; got {schedule!r}.")
    checks.choice(name, "schedule", list(SCHEDULES))
    defaults = SCHEDULES[name].options
    for option in options:
        if option not in defaults:
            raise checks.SettingError(
                f"schedule {name!r} has no option {option!r} (its options: {', '.join(defaults) or 'none'}).")
    return name, {**defaults, **options}


def build_scheduler(optimizer, schedule, steps):
    """The ``torch.optim.lr_scheduler`` for ``steps`` optimizer steps (call ``.step()`` after each one)."""
    name, options = spec(schedule)
    return SCHEDULES[name].make(optimizer, checks.steps(steps), options)


def reads_validation_loss(schedule):
    """True when ``schedule`` is stepped with the validation loss after each evaluation (``plateau``)."""
    return SCHEDULES[spec(schedule)[0]].reads_validation_loss


def example_validation_loss(evaluations):
    """A validation loss that falls for the first 40% of the evaluations, then stalls and creeps up: what the
    ScheduleExplorer draws ``plateau`` against before any run (one value per evaluation, step 0 included)."""
    turn = max(1, int(0.4 * evaluations))
    return [2.3 - 1.2 * min(i, turn) / turn + 0.02 * max(0, i - turn) for i in range(evaluations)]


def schedule_curve(schedule, steps, lr=1e-3, val_loss=None, eval_every=None):
    """The rate used at each of ``steps`` steps under ``schedule``: exactly what ``Trainer.fit`` would use.

    A schedule that reads the validation loss (``plateau``) is stepped as the Trainer steps it: after the evaluation
    at step 0 and after every ``eval_every`` steps (default: a tenth of the run), with the next value of ``val_loss``
    (one per evaluation; default :func:`example_validation_loss`). The other schedules ignore both.
    """
    lr = checks.rate(lr)
    steps = checks.steps(steps)
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = build_scheduler(optimizer, schedule, steps)
    by_loss = reads_validation_loss(schedule)
    every = max(1, steps // 10) if eval_every is None else checks.whole(eval_every, "eval_every", 1, checks.MAX_STEPS)
    losses = _losses(val_loss) if val_loss is not None else example_validation_loss(steps // every + 1)
    curve = []
    optimizer.step()  # no gradient, so nothing moves: it tells the scheduler the optimizer steps before it does
    for step in range(steps):
        if by_loss and step % every == 0 and step // every < len(losses):
            scheduler.step(losses[step // every])  # the evaluation after `step` steps, before the next one
        curve.append(optimizer.param_groups[0]["lr"])
        if not by_loss:
            scheduler.step()
    return curve


def _losses(values):
    """Validation losses for ``plateau``'s curve: a list of finite numbers."""
    found = list(values) if isinstance(values, (list, tuple)) else None
    if found is None or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                for v in found):
        raise checks.SettingError(f"val_loss must be a list of finite numbers, one per evaluation; got {values!r:.60}.")
    return found


def torch_line(schedule, steps="EPOCHS"):
    """The line that builds ``schedule`` in a plain PyTorch script (``None`` for a constant rate)."""
    name, options = spec(schedule)
    return SCHEDULES[name].torch_line(options, steps)


def keras_line(schedule, lr, steps):
    """Keras' spelling of ``schedule`` with the same rate at every step, or ``None`` when Keras has none built in."""
    name, options = spec(schedule)
    make = SCHEDULES[name].keras_line
    return None if make is None else make(checks.rate(lr), options, checks.steps(steps))


def keras_callback(schedule):
    """The Keras callback that changes the rate as ``schedule`` does (``ReduceLROnPlateau``), or ``None``."""
    name, options = spec(schedule)
    make = SCHEDULES[name].keras_callback
    return None if make is None else make(options)
