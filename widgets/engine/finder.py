"""The LR range test ("LR finder"): raise the rate every batch and watch the loss fall, flatten, then blow up.

    result = lr_range_test(model, train)
    result.suggestion, result.message

The test only looks: the model's whole training state (weights, BatchNorm statistics, ``requires_grad`` flags,
train/eval modes, ``.grad``, each tensor's device and memory layout) is put back exactly afterwards, however the
test ends (finished, stopped, blown up, or an error). ``frozen`` freezes parts for the test only.

The course's one rule for picking a rate from it: **a tenth of the rate with the lowest smoothed loss** (the
``suggestion``). The test reads only the loss of the task it trains on: it says how fast that loss can fall, not
how much a pre-trained model forgets. Run it on the new head alone (``frozen=`` the backbone) for the head's rate,
and give the pre-trained blocks lower rates.
"""

import math
from dataclasses import dataclass

import torch

from . import checks
from .freezing import freeze_exactly, snapshot
from .hooks import Hook, StopOnRequest
from .training import Trainer


@dataclass
class RangeTest:
    """The range test's result: rates tried, raw and smoothed losses, and the suggested rates."""

    lrs: list
    losses: list
    smoothed: list
    steepest: float
    min_over_10: float
    ended: str  # "end rate", "blew up" or "stopped"
    message: str

    @property
    def suggestion(self):
        """The rate to start from: a tenth of the rate with the lowest smoothed loss (the course's one rule)."""
        return self.min_over_10


#: the steepest fall is measured over this many decades of rate, so that batch noise cannot look steep
SLOPE_SPAN = 0.5


def steepest_fall(lrs, smoothed, span=SLOPE_SPAN):
    """The rate where the smoothed loss falls fastest before its lowest point.

    The fall is measured per decade of rate over a window of ``span`` decades centred on each rate (cut at the
    lowest point): on a flat stretch, batch-to-batch noise moves the loss up and down by about the same amount
    over a short window and a long one, so only a window this wide tells noise (a small change over half a decade)
    from a real fall (a large one).
    """
    log_lr = [math.log10(v) for v in lrs]
    lowest = min(range(len(smoothed)), key=smoothed.__getitem__)
    best, where = 0.0, None
    for i in range(lowest + 1):
        a = next(j for j in range(i + 1) if log_lr[j] >= log_lr[i] - span / 2)
        b = max(j for j in range(i, lowest + 1) if log_lr[j] <= log_lr[i] + span / 2)
        if b > a:
            slope = (smoothed[b] - smoothed[a]) / (log_lr[b] - log_lr[a])
            if slope < best:
                best, where = slope, i
    return lrs[where] if where is not None else lrs[lowest]


class _Watch(Hook):
    """Records each step's loss and its running average; ends the test once the average is 4x its best."""

    def __init__(self, start, factor, smoothing, steps, progress=None):
        self.start, self.factor, self.smoothing, self.steps, self.progress = start, factor, smoothing, steps, progress
        self.lrs, self.losses, self.smoothed = [], [], []
        self.average, self.best, self.blew_up = 0.0, math.inf, False

    def after_step(self, trainer, history):
        loss = history.loss[-1]
        self.lrs.append(self.start * self.factor ** len(self.losses))
        self.losses.append(loss)
        # an exponential moving average that starts at 0, divided by (1 - smoothing^n) so the first values are
        # not pulled towards that 0: the bias correction Adam uses
        self.average = self.smoothing * self.average + (1 - self.smoothing) * loss
        value = self.average / (1 - self.smoothing ** len(self.losses))
        self.smoothed.append(value)
        self.best = min(self.best, value)
        if self.progress is not None:
            self.progress(len(self.losses) / self.steps)
        if value > 4 * self.best and len(self.losses) > 3:
            self.blew_up = True
            history.end("stopped", "the smoothed loss reached 4 times its lowest value")
            return True
        return None


def checked_range(start, end, steps):
    """``(start, end, steps)`` as the range test needs them (the end above the start, 5 steps or more), or a
    ``SettingError`` that says which is wrong: the one check, for the test and the LRFinder's settings."""
    start, end = checks.rate(start, "start rate"), checks.rate(end, "end rate")
    if end <= start:
        raise checks.SettingError(f"the end rate ({end:g}) must be above the start rate ({start:g}).")
    steps = checks.steps(steps)
    if steps < 5:
        raise checks.SettingError(f"the range test needs at least 5 steps (a smoothed loss to read); got {steps}.")
    return start, end, steps


def lr_range_test(model, train, *, start=1e-6, end=1.0, steps=100, smoothing=0.9, batch_size=32, seed=0,
                  augment=False, stop=None, device=None, frozen=None, progress=None):
    """Raise the rate from ``start`` to ``end`` exponentially, one batch per rate, and watch the loss.

    Ends early once the smoothed loss is 4x its best, or when ``stop`` (a ``threading.Event``) is set. Suggests
    a tenth of the rate at its minimum (``min_over_10``, the ``suggestion``) and marks where the smoothed loss
    falls fastest (``steepest``, :func:`steepest_fall`). ``frozen``: names of parts to freeze during the test
    (everything else trains). ``progress(fraction)`` is called after every step.
    """
    start, end, steps = checked_range(start, end, steps)
    smoothing = checks.fraction(smoothing, "smoothing", include_high=False)
    factor = (end / start) ** (1.0 / (steps - 1))
    watch = _Watch(start, factor, smoothing, steps, progress)
    state = snapshot(model)
    try:
        if frozen is not None:
            freeze_exactly(model, frozen)
        trainer = Trainer(model, train, lr=start, batch_size=batch_size, seed=seed, augment=augment, device=device,
                          schedule=lambda optimizer: torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: factor**s))
        history = trainer.fit(steps, eval_every=0, hooks=[watch] + ([StopOnRequest(stop)] if stop else []))
    finally:
        state.restore(model)
    if watch.blew_up or history.diverged:
        ended = "blew up"
    elif history.stopped:
        ended = "stopped"
    else:
        ended = "end rate"
    if len(watch.smoothed) < 3:
        if ended == "stopped":
            raise checks.SettingError(f"stopped after {len(watch.smoothed)} rates: too few to suggest one.")
        raise checks.SettingError(f"the loss blew up within {len(watch.smoothed)} steps; start lower than {start:g}.")
    lrs, smoothed = watch.lrs, watch.smoothed
    lowest = min(range(len(smoothed)), key=smoothed.__getitem__)
    steepest = steepest_fall(lrs, smoothed)
    min_over_10 = lrs[lowest] / 10
    why = {"blew up": "the loss blew up", "stopped": "you pressed Stop", "end rate": "the end rate was reached"}[ended]
    message = (
        f"Tried {len(lrs)} rates from {lrs[0]:.0e} to {lrs[-1]:.0e} ({why}). Steepest fall at {steepest:.1e}; "
        f"lowest loss at {lrs[lowest]:.1e}, so the suggestion (a tenth of it) is {min_over_10:.1e}. It is about "
        "this task's loss only: it does not measure forgetting."
    )
    return RangeTest(lrs, watch.losses, smoothed, steepest, min_over_10, ended, message)
