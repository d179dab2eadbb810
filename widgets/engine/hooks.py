"""Small hooks that watch a training run and may end it: divergence, early stopping, Stop, and live callbacks.

The Trainer's loop stays plain; each rule about when to stop lives in one small class, the way fastai's
callbacks and Lightning's ``BaseFinetuning`` read. A hook method returns nothing to go on, or calls
``history.end(status, message)`` and returns ``True`` to end the run now.

- ``before_fit(trainer, history)``: once, before the first step;
- ``check_loss(trainer, history, loss, outputs)``: every step, BEFORE the update (a NaN never reaches the weights);
- ``after_evaluate(trainer, history)``: after each evaluation during the run;
- ``after_step(trainer, history)``: after every update;
- ``after_fit(trainer, history)``: once, when the run has ended and ``history.final`` is measured.

A diverged run is measured where it blew up, before its weights are put back (``history.blowup``): a picture of
it shows what the rate did to the model, never the restored starting point.
"""

import math

from .freezing import snapshot

#: a loss this many times above the starting loss (or ln(classes), whichever is larger) counts as exploding
EXPLODE_FACTOR = 10.0


class Hook:
    def before_fit(self, trainer, history):
        pass

    def check_loss(self, trainer, history, loss, outputs):
        pass

    def after_evaluate(self, trainer, history):
        pass

    def after_step(self, trainer, history):
        pass

    def after_fit(self, trainer, history):
        pass


class Divergence(Hook):
    """End the run when the loss is NaN, inf or explodes, and put the model and optimizer back where it started."""

    def before_fit(self, trainer, history):
        self.start = snapshot(trainer.model)
        self.optimizer_state = trainer.optimizer_state()
        self.start_step = trainer.steps_done
        self.limit = None

    def check_loss(self, trainer, history, loss, outputs):
        if self.limit is None:
            self.limit = EXPLODE_FACTOR * max(loss, math.log(max(outputs.shape[-1], 2)))
        if math.isfinite(loss) and loss <= self.limit:
            return None
        step = len(history.loss) + 1
        history.blowup = {"step": step, "loss": loss, **trainer.measure()}  # the model as the rate left it
        self.start.restore(trainer.model)
        trainer.load_optimizer_state(self.optimizer_state)
        trainer.steps_done = self.start_step
        first = history.loss[0] if history.loss else loss
        history.end("diverged", (
            f"Training diverged at step {step}: the loss became {loss:.3g} (it started at "
            f"{first:.3g}). The learning rate is too high for this model; try one 10x smaller. "
            "The weights were restored to where this run started."))
        return True


class StopOnRequest(Hook):
    """End the run after the current step once ``event`` (a ``threading.Event``: the Stop button) is set."""

    def __init__(self, event):
        self.event = event

    def after_step(self, trainer, history):
        if self.event.is_set():
            history.end("stopped", f"Stopped at step {trainer.steps_done} as you asked.")
            return True
        return None


def early_stopping_point(val_acc, patience):
    """``(stop, best)``: the indices of the evaluation where early stopping with ``patience`` stops, and of the best
    one (whose weights it keeps); ``None`` when it never stops. Only a strictly higher accuracy is an improvement."""
    best, waited = None, 0
    for i, accuracy in enumerate(val_acc):
        if best is None or accuracy > val_acc[best]:
            best, waited = i, 0
            continue
        waited += 1
        if waited >= patience:
            return i, best
    return None


class EarlyStopping(Hook):
    """Stop when validation accuracy has not improved for ``patience`` evaluations (:func:`early_stopping_point`),
    and restore the best weights."""

    def __init__(self, patience):
        self.patience = patience

    def before_fit(self, trainer, history):
        self.best, self.best_step, self.best_state = None, None, None

    def after_evaluate(self, trainer, history):
        accuracy = history.val_acc[-1]
        if self.best is None or accuracy > self.best:
            self.best, self.best_step, self.best_state = accuracy, trainer.steps_done, snapshot(trainer.model)
        point = early_stopping_point(history.val_acc, self.patience)
        if point is None or point[0] != len(history.val_acc) - 1:
            return None
        self.best_state.restore(trainer.model)
        history.end("early-stopped", (
            f"Early stopping at step {trainer.steps_done}: validation accuracy had not improved for {self.patience} "
            f"evaluations, so the weights of step {self.best_step} "
            f"(validation accuracy {self.best:.1%}) were restored."))
        return True

    def after_fit(self, trainer, history):
        if history.status == "early-stopped":  # ``final`` was measured on the restored model: say which step it is
            history.final["step"] = self.best_step


class StepOnValidationLoss(Hook):
    """Step a scheduler that reads the validation loss (``ReduceLROnPlateau``) after each evaluation."""

    def __init__(self, scheduler):
        self.scheduler = scheduler

    def after_evaluate(self, trainer, history):
        self.scheduler.step(history.val_loss[-1])


class Watch(Hook):
    """Call ``callback(history)`` every ``every`` steps, after each evaluation and at the end (live plots)."""

    def __init__(self, callback, every=1):
        self.callback, self.every, self.called_at = callback, max(1, every), None

    def _call(self, history):
        self.called_at = len(history.loss)
        self.callback(history)

    def after_evaluate(self, trainer, history):
        self._call(history)

    def after_step(self, trainer, history):
        if len(history.loss) % self.every == 0 and self.called_at != len(history.loss):
            self._call(history)

    def after_fit(self, trainer, history):
        self._call(history)
