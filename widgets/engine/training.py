"""The course's trainer: small, readable, deterministic, and fast on a laptop CPU.

    trainer = Trainer(model, train, val, lr=1e-3)          # or lr={"conv3": 1e-4, "head": 1e-2}
    history = trainer.fit(200)
    history.final["val_acc"], history.message

What it does for you, and why:

- Per-block parameter groups. The optimizer gets one group per top-level block (``conv1`` ... ``head``) that
  has trainable parameters, so discriminative learning rates are just ``lr={block: rate}``. A tensor shared by
  two blocks goes in the first one's group.
- It builds the optimizer from the model's *current* freeze state. If you freeze or unfreeze a block after
  that, ``fit`` notices: it rebuilds the optimizer (the default) or, with ``rebuild_on_freeze_change=False``,
  keeps the stale one and says so: the classic trap, shown on purpose in the lessons.
- Frozen parts run in eval mode, at any depth (their BatchNorm statistics stay put, as Keras does for
  ``trainable=False``): see :func:`widgets.engine.freezing.train_mode`.
- Speed by design: when the leading blocks of an ``nn.Sequential`` are frozen and there is no augmentation,
  their output never changes, so it is computed once (:class:`~widgets.engine.features.FrozenFeatures`).
- When to stop is decided by small hooks (:mod:`widgets.engine.hooks`): divergence (the weights are restored),
  early stopping (the best weights are restored), the Stop button, live callbacks.
- Bad arguments raise ``TrainingError`` before anything changes, with a message that says what to change.
- Device: a GPU (CUDA or Apple MPS) when there is one, the CPU otherwise; ``device="cpu"`` overrides.
"""

import copy
import threading
import time

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .batches import BatchOrder, as_tensors, check_classes, output_classes, shift
from .checks import TrainingError
from .features import FrozenFeatures, fast_predict, predict
from .forgetting import as_meter
from .freezing import train_mode, trainable_parameters
from .history import History, weight_drift
from .hooks import Divergence, EarlyStopping, StepOnValidationLoss, StopOnRequest, Watch
from .optimizers import OPTIMIZERS, block_parameters, make_optimizer
from .schedules import build_scheduler, reads_validation_loss
from .seeding import seeded_run

#: the largest shift (in pixels) ``augment`` may ask for: more moves a 32-pixel image off itself
MAX_SHIFT = 8


def pick_device(device=None):
    """``device`` if given, else CUDA, else Apple MPS, else the CPU."""
    if device is not None:
        try:
            return torch.device(device)
        except (RuntimeError, TypeError, ValueError):
            raise TrainingError(f"device must be a name such as 'cpu' or 'cuda'; got {device!r}.") from None
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def evaluate(model, data, batch_size=512):
    """Accuracy (0..1) of ``model`` on ``data`` (``ImageSet`` or ``(x, y)``), in eval mode; the modes are restored."""
    x, y = as_tensors(data, "data")
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        return (predict(model, x, batch_size).argmax(1) == y).float().mean().item()
    finally:
        for m, mode in modes:
            m.training = mode


class Trainer:
    """Train ``model`` on ``train``; see the module docstring for what it does on your behalf.

    ``train``/``val``: ``ImageSet`` or ``(x, y)``. ``lr``: one rate, or ``{block_name: rate}`` covering every
    trainable block. ``schedule``: ``None`` (constant), a name from ``widgets.engine.schedules.SCHEDULES``, a dict
    ``{"name": ..., **options}`` or a function ``optimizer -> scheduler``; it spans the steps of each ``fit``.
    ``source``: the forgetting meter, an :class:`~widgets.engine.forgetting.OldTask` (or ``(data, original_head)``),
    or a function ``model -> accuracy``. ``augment``: ``True`` (shift by up to 2 pixels), pixels, or ``False``.
    """

    def __init__(self, model, train, val=None, *, lr=1e-3, batch_size=32, seed=0, augment=True, schedule=None,
                 source=None, device=None, optimizer="adam", weight_decay=0.0, momentum=0.9, eval_frozen=True,
                 cache=True, rebuild_on_freeze_change=True):
        if not isinstance(model, nn.Module):
            raise TrainingError(f"model must be a torch nn.Module; got {type(model).__name__}.")
        self.optimizer_name = checks.choice(optimizer, "optimizer", list(OPTIMIZERS))
        self.batch_size = checks.whole(batch_size, "batch_size")
        self.weight_decay = checks.at_least_zero(weight_decay, "weight_decay")
        self.momentum = checks.fraction(momentum, "momentum", include_low=True, include_high=False)
        self.pad = ((2 if augment else 0) if isinstance(augment, bool)
                    else checks.whole(augment, "augment", 0, MAX_SHIFT))
        self.x, self.y = as_tensors(train, "train")
        self.val = as_tensors(val, "val") if val is not None else None
        here = next((p.device for p in model.parameters()), torch.device("cpu"))
        classes = output_classes(model, self.x[:1], here)
        check_classes(self.y, classes, "train")
        if self.val is not None:
            check_classes(self.val[1], classes, "val")
        self.device = pick_device(device)
        self.model = model.to(self.device)
        # channels-last batches: a CPU runs the convolutions, forward and backward, about a quarter faster, with the
        # same numbers to float rounding. Only the batches change layout: the caller's weights stay as they are.
        self.channels_last = self.device.type == "cpu" and any(isinstance(m, nn.Conv2d) for m in model.modules())
        self.source = as_meter(source)
        self.lr = self._check_lr_setting(lr)
        if schedule is not None and not callable(schedule):
            build_scheduler(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0), schedule, 100)  # names, options
            if reads_validation_loss(schedule) and self.val is None:
                raise TrainingError("the 'plateau' schedule lowers the rate when the validation loss stops improving: "
                                    "it needs validation data (val=...).")
        self.schedule = schedule
        self.seed = seed
        self.eval_frozen, self.cache, self.rebuild_on_freeze_change = eval_frozen, cache, rebuild_on_freeze_change
        self.initial_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}  # for drift
        self.steps_done = 0
        self.inputs = None  # (cached blocks, training inputs, validation inputs) while fit runs
        self.optimizer = None
        self._optimizer_signature = None
        self._stop = threading.Event()
        self.features = FrozenFeatures(self.model, self.device)
        self.batches = BatchOrder(len(self.y), self.batch_size, seed)
        if trainable_parameters(self.model):
            self.build_optimizer()

    # ---- settings ------------------------------------------------------------------------------

    def block_names(self):
        """The units of learning rates: top-level blocks (and parameters held directly by the model)."""
        return [n for n, _ in self.model.named_children()] + [n for n, _ in self.model.named_parameters(recurse=False)]

    def _check_lr_setting(self, lr):
        if isinstance(lr, dict):
            names = self.block_names()
            for name in lr:
                if name not in names:
                    raise TrainingError(f"no block named {name!r}; the blocks are: {', '.join(names)}.")
            return {name: checks.rate(rate, f"learning rate for {name}") for name, rate in lr.items()}
        return checks.rate(lr)

    def rate_for(self, block):
        """The learning rate a block trains with."""
        if not isinstance(self.lr, dict):
            return self.lr
        if block not in self.lr:
            raise TrainingError(f"block {block!r} is trainable but has no learning rate in lr={self.lr}; "
                                "give it one or freeze it.")
        return self.lr[block]

    # ---- optimizer -----------------------------------------------------------------------------

    def _signature(self):
        return tuple((name, id(p)) for name, params in block_parameters(self.model) for p in params)

    def build_optimizer(self):
        """One parameter group per trainable block, each with its own rate (``group["block"]`` names it)."""
        groups = [{"params": params, "lr": self.rate_for(name), "block": name}
                  for name, params in block_parameters(self.model)]
        if not groups:
            raise TrainingError(
                "nothing to train: every parameter is frozen (requires_grad=False). Unfreeze at least the head.")
        options = {"weight_decay": self.weight_decay}
        if self.optimizer_name == "sgd":
            options["momentum"] = self.momentum
        self.optimizer = make_optimizer(self.optimizer_name, groups, options)
        self._optimizer_signature = self._signature()
        return self.optimizer

    @property
    def freeze_changed(self):
        """True when blocks were frozen or unfrozen after the optimizer was built."""
        return self._optimizer_signature is not None and self._optimizer_signature != self._signature()

    def optimizer_state(self):
        return copy.deepcopy(self.optimizer.state_dict())

    def load_optimizer_state(self, state):
        self.optimizer.load_state_dict(state)

    def _prepare_optimizer(self, history):
        if self.optimizer is None:
            self.build_optimizer()
            return
        if not self.freeze_changed:
            return
        optimized = {id(p) for group in self.optimizer.param_groups for p in group["params"]}
        left_out = sorted({name for name, pid in self._signature() if pid not in optimized})
        if self.rebuild_on_freeze_change:
            self.build_optimizer()
            history.notes.append("the freeze state changed since the optimizer was built, so it was rebuilt")
            return
        note = "the freeze state changed after the optimizer was built and it was NOT rebuilt"
        if left_out:
            note += f": {', '.join(left_out)} will not be updated although unfrozen"
        history.notes.append(note)
        if not any(p.requires_grad for group in self.optimizer.param_groups for p in group["params"]):
            raise TrainingError(note + "; the optimizer has nothing left to train. Rebuild it.")

    def _make_scheduler(self, steps):
        if self.schedule is None:
            return None
        for group in self.optimizer.param_groups:  # each fit's schedule starts from the rates you gave, not
            group["lr"] = self.rate_for(group["block"])  # from where the last fit's schedule left them
            group.pop("initial_lr", None)
        if callable(self.schedule):
            return self.schedule(self.optimizer)
        return build_scheduler(self.optimizer, self.schedule, steps)

    # ---- control, modes and the cache -------------------------------------------------------------

    def stop(self):
        """Ask a running ``fit`` (in another thread) to stop after the current step."""
        self._stop.set()

    def cache_depth(self):
        """How many leading blocks are run once instead of every step (0: none)."""
        if not (self.cache and self.eval_frozen and self.pad == 0):
            return 0
        return self.features.depth()

    def _train_mode(self):
        train_mode(self.model) if self.eval_frozen else self.model.train()

    # ---- evaluation --------------------------------------------------------------------------------

    def _measure(self, k, x_train, x_val):
        """Accuracy on the whole training set (no augmentation), on ``val`` (with its loss), and on the old task."""
        modes = [(m, m.training) for m in self.model.modules()]
        self.model.eval()
        rest = self.model[k:] if k else self.model
        out = {}
        try:
            out["train_acc"] = (fast_predict(rest, x_train).cpu().argmax(1) == self.y).float().mean().item()
            if self.val is not None:
                logits = fast_predict(rest, x_val).cpu()
                out["val_acc"] = (logits.argmax(1) == self.val[1]).float().mean().item()
                out["val_loss"] = F.cross_entropy(logits, self.val[1]).item()
            if self.source is not None:
                out["source_acc"] = self.source.accuracy(self.model, self.features if k else None)
        finally:
            for m, mode in modes:
                m.training = mode
        return out

    def measure(self):
        """The measures of an evaluation for the model as it is now, during ``fit`` (``{}`` without evaluations)."""
        return self._measure(*self.inputs) if self.inputs is not None else {}

    def _record(self, history, k, x_train, x_val, on_curve=True):
        history.record_evaluation(self.steps_done, self._measure(k, x_train, x_val),
                                  weight_drift(self.model, self.initial_state), on_curve)

    # ---- the loop ------------------------------------------------------------------------------------

    def fit(self, steps, callback=None, *, eval_every=None, patience=None, callback_every=1, eval_at_start=True,
            hooks=()):
        """Train for ``steps`` batches and return a :class:`~widgets.engine.history.History`.

        ``callback(history)`` runs every ``callback_every`` steps, after each evaluation and at the end (live
        plots). Evaluations happen at step 0, every ``eval_every`` steps (default: 10 per run) and at the end;
        ``eval_every=0`` turns them off; ``eval_at_start=False`` skips the one at step 0. ``patience``: early
        stopping after this many evaluations without a better validation accuracy; the best weights are restored.
        ``hooks``: more :class:`~widgets.engine.hooks.Hook` objects.
        """
        steps = checks.steps(steps)
        eval_every = max(1, steps // 10) if eval_every is None else (
            0 if eval_every == 0 else checks.whole(eval_every, "eval_every"))
        if patience is not None:
            patience = checks.whole(patience, "patience")
            if self.val is None or not eval_every:
                raise TrainingError("early stopping (patience) needs validation data (val=...) and evaluations.")
        history = History()
        self._stop.clear()
        self._prepare_optimizer(history)  # raises TrainingError before anything changes
        scheduler = self._make_scheduler(steps)
        by_loss = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)  # stepped after evaluations
        if by_loss and not (eval_every and self.val is not None):
            raise TrainingError("a schedule that reads the validation loss needs validation data and evaluations "
                                "(val=... and eval_every above 0).")
        # Stop comes last, so that a callback that asks to stop (Watch) is heard after the very step it saw
        hooks = [Divergence(), *([EarlyStopping(patience)] if patience else []), *hooks,
                 *([StepOnValidationLoss(scheduler)] if by_loss else []),
                 *([Watch(callback, callback_every)] if callback is not None else []), StopOnRequest(self._stop)]

        started = time.perf_counter()
        k = self.cache_depth()
        x_train = self.features.get("train", self.x, k)
        x_val = self.features.get("val", self.val[0], k) if self.val is not None else None
        if k:
            history.cache_seconds, history.cached_blocks = time.perf_counter() - started, k
            history.notes.append(f"{', '.join(self.block_names()[:k])} frozen: "
                                 "their output was computed once and cached")
        trainable = self.model[k:] if k else self.model
        y_train = self.y.to(self.device)
        self.inputs = (k, x_train, x_val) if eval_every else None
        self._train_mode()
        for hook in hooks:
            hook.before_fit(self, history)
        if eval_every and (eval_at_start or patience):
            self._record(history, k, x_train, x_val)
            any(hook.after_evaluate(self, history) for hook in hooks)
        last_group = self.optimizer.param_groups[-1]
        history.status = "running"
        with seeded_run(self.seed + self.steps_done):  # dropout and the like: reproducible, no side effects
            for step in range(1, steps + 1):
                idx = self.batches.next().to(self.device)
                xb = x_train[idx] if k else shift(x_train[idx], self.pad, self.batches.generator)
                if self.channels_last and xb.dim() == 4:
                    xb = xb.contiguous(memory_format=torch.channels_last)
                yb = y_train[idx]
                out = trainable(xb)
                loss = F.cross_entropy(out, yb)
                value = loss.item()
                if any(hook.check_loss(self, history, value, out) for hook in hooks):
                    break
                rate = last_group["lr"]  # the rate this step uses (the scheduler changes it below)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                if scheduler is not None and not by_loss:
                    scheduler.step()
                self.steps_done += 1
                history.steps.append(self.steps_done)
                history.loss.append(value)
                history.acc.append((out.detach().argmax(1) == yb).float().mean().item())
                history.lr.append(rate)
                if eval_every and (step % eval_every == 0 or step == steps):
                    self._record(history, k, x_train, x_val)
                    self._train_mode()
                    if any(hook.after_evaluate(self, history) for hook in hooks):
                        break
                if any(hook.after_step(self, history) for hook in hooks):
                    break
        if history.status == "running":
            history.end("done", f"Trained {len(history.steps)} steps.")
        restored = history.status in ("diverged", "early-stopped")  # the model is not the one at the curve's end
        if eval_every and (restored or not history.eval_steps or history.eval_steps[-1] != self.steps_done):
            self._record(history, k, x_train, x_val, on_curve=not restored)
        elif not eval_every:
            history.final = {"step": self.steps_done}
        self.model.eval()
        self.inputs = None
        history.seconds = time.perf_counter() - started
        for hook in hooks:
            hook.after_fit(self, history)
        return history
