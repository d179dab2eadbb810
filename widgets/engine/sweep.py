"""Training several learning rates from the same start, on the same batches, to compare them.

``sweep(model, train, val, lrs, steps)`` trains one copy per rate and leaves the model passed in untouched. When
only a stack of layers without BatchNorm is trainable after a frozen prefix (a new head, the usual first step of
fine-tuning), all rates train AT ONCE: the frozen features are computed once
(:class:`~widgets.engine.features.FrozenFeatures`), the K copies are stacked with ``torch.func``
(``stack_module_state``) and trained together. A trainable part that is one linear head runs as ONE wide linear
layer (K x classes outputs, its gradient written out); anything deeper runs with ``functional_call`` + ``vmap``.
One batched Adam step updates all copies: ``torch.optim.Adam`` cannot step K stacked copies with K rates, so its
update is written out here, and a test checks it gives the same numbers as separate runs. Otherwise the copies are
trained one after another with the ``Trainer`` (the stacked machinery lives in :mod:`widgets.engine.stacked`).

A rate that diverges is measured WHERE it blew up, before its copy is put back to the start: its accuracies (new
task, old task) and the loss that blew up describe what that rate did, never the restored starting point.
"""

import copy
import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import stack_module_state

from . import checks
from .batches import BatchOrder, as_tensors
from .features import FrozenFeatures
from .forgetting import as_meter
from .freezing import frozen_prefix
from .hooks import EXPLODE_FACTOR, StopOnRequest
from .stacked import single_linear, vmap_steps, wide_head_steps
from .training import Trainer


@dataclass
class Sweep:
    """Several learning rates trained from the same start on the same batches.

    Per rate (same order as ``lrs``): ``loss`` (a list per step taken), ``train_acc``, ``val_acc``,
    ``source_acc`` (or ``None``), ``status`` (``done``/``diverged``/``stopped``) and ``message``. For a rate that
    ``diverged`` the accuracies are measured where it blew up (before its copy was put back to the start), and
    ``blowup[i]`` holds that step and the loss that blew up (``None`` for the other rates).
    ``method`` is ``"vmap"`` (all at once) or ``"sequential"``.
    """

    lrs: list
    loss: list
    train_acc: list
    val_acc: list
    source_acc: list
    status: list
    message: list
    method: str
    seconds: float
    histories: list = field(default_factory=list)
    blowup: list = field(default_factory=list)

    @property
    def best(self):
        """Index of the rate with the best validation accuracy (train accuracy when there is no validation)."""
        scores = self.val_acc if any(v is not None for v in self.val_acc) else self.train_acc
        ok = [i for i, s in enumerate(self.status) if s != "diverged"] or list(range(len(self.lrs)))
        return max(ok, key=lambda i: scores[i] if scores[i] is not None else -1)

    @property
    def diverged(self):
        return [lr for lr, s in zip(self.lrs, self.status) if s == "diverged"]


def _has_training_batchnorm(module):
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def can_vmap(model, augment=False):
    """True when ``sweep`` can train all rates at once: an ``nn.Sequential`` (its frozen prefix, if any, is cached),
    no augmentation, and a trainable rest without BatchNorm (its running statistics cannot be updated inside
    ``vmap``)."""
    if augment or not isinstance(model, nn.Sequential):
        return False
    k = frozen_prefix(model)
    return k < len(model) and not _has_training_batchnorm(model[k:])


def sweep(
    model,
    train,
    val=None,
    lrs=(1e-4, 1e-3, 1e-2),
    steps=100,
    *,
    source=None,
    batch_size=32,
    seed=0,
    augment=False,
    method="auto",
    callback=None,
    stop=None,
    device=None,
):
    """Train a copy of ``model`` per learning rate (same start, same batches) and compare them.

    ``method``: ``"auto"`` (all at once when ``can_vmap``), ``"vmap"`` or ``"sequential"``. ``callback(i, history)``
    after each step of a sequential run, or ``callback(None, partial_sweep)`` every 10 vmap steps, for live plots;
    ``stop`` (a ``threading.Event``) ends the sweep early. The model passed in is not changed.
    """
    if isinstance(lrs, (int, float, str)) or lrs is None:
        lrs = [lrs]
    lrs = [checks.rate(lr) for lr in lrs]
    if not lrs:
        raise checks.SettingError("give at least one learning rate, such as 1e-3.")
    steps = checks.steps(steps)
    checks.choice(method, "method", ("auto", "vmap", "sequential"))
    vmappable = can_vmap(model, augment)
    if method == "vmap" and not vmappable:
        raise checks.SettingError(
            "all-at-once training needs a frozen prefix, no augmentation and no BatchNorm after it.")
    if method == "auto":
        method = "vmap" if vmappable else "sequential"
    started = time.perf_counter()
    if method == "vmap":
        result = _sweep_vmap(model, train, val, lrs, steps, source, batch_size, seed, callback, stop, device)
    else:
        result = _sweep_sequential(model, train, val, lrs, steps, source, batch_size, seed, augment, callback, stop,
                                   device)
    result.seconds = time.perf_counter() - started
    return result


def _sweep_sequential(model, train, val, lrs, steps, source, batch_size, seed, augment, callback, stop, device):
    out = Sweep(lrs, [], [], [], [], [], [], "sequential", 0.0)
    for i, lr in enumerate(lrs):
        if stop is not None and stop.is_set():
            break
        copy_ = copy.deepcopy(model)
        trainer = Trainer(copy_, train, val, lr=lr, batch_size=batch_size, seed=seed, augment=augment, source=source,
                          device=device)
        history = trainer.fit(steps, callback=(lambda h, i=i: callback(i, h)) if callback else None,
                              eval_every=steps, eval_at_start=False,  # the same start for all: no need to measure it
                              hooks=[StopOnRequest(stop)] if stop is not None else ())
        out.histories.append(history)
        out.loss.append(history.loss)
        final = history.blowup or history.final  # a diverged rate: the model where it blew up
        out.blowup.append({"step": history.blowup["step"], "loss": history.blowup["loss"]} if history.blowup else None)
        out.train_acc.append(final["train_acc"])
        out.val_acc.append(final.get("val_acc"))
        out.source_acc.append(final.get("source_acc"))
        out.status.append(history.status)
        out.message.append(history.message)
    if len(out.status) < len(lrs):
        out.lrs = lrs[: len(out.status)]
    return out


def _sweep_vmap(model, train, val, lrs, steps, source, batch_size, seed, callback, stop, device):
    body = copy.deepcopy(model)
    x, y = as_tensors(train)
    features = FrozenFeatures(body, device)
    k = features.depth()
    feats = features.get("train", x, k)
    y = y.to(feats.device)
    batches = BatchOrder(len(y), batch_size, seed)  # the same batches, in the same order, as the Trainer's
    rest = body[k:].train()
    K = len(lrs)
    # K identical copies (new leaf tensors): the same start for every rate; trainable ones keep requires_grad
    params, buffers = stack_module_state([rest] * K)
    trainable = {n: p for n, p in params.items() if p.requires_grad}
    start = {n: p.detach().clone() for n, p in params.items()}
    K_rates = torch.tensor(lrs, dtype=feats.dtype, device=feats.device)
    wide = single_linear(rest)
    if wide is not None:
        step_fn, restart, finish, predict = wide_head_steps(rest, wide, params, K_rates)
    else:
        step_fn, restart, finish, predict = vmap_steps(rest, params, buffers, trainable, K_rates)
    val_x = None
    if val is not None:
        val_x, val_y = as_tensors(val)
        val_x = features.get("val", val_x, k)
    meter = as_meter(source)

    def accuracy(x, labels):
        logits = predict(x)
        return (logits.argmax(-1) == labels.to(logits.device)).float().mean(1).tolist()

    def old_task(i):  # the frozen prefix and copy i's trained rest decide the old task's accuracy
        with torch.no_grad():
            for n, p in body[k:].named_parameters():
                p.copy_(params[n][i])
            for n, b in body[k:].named_buffers():
                b.copy_(buffers[n][i])
        return meter.accuracy(body, features)

    alive = [True] * K  # a plain list: checked K times a step, where tensor indexing would cost more than the step
    alive_mask = torch.ones(K, dtype=torch.bool)
    losses = [[] for _ in range(K)]
    status = ["done"] * K
    messages = [""] * K
    blowup = [None] * K
    limits = None
    done = 0
    for step in range(1, steps + 1):
        if stop is not None and stop.is_set():
            status = ["stopped" if s == "done" else s for s in status]
            break
        idx = batches.next().to(feats.device)
        values = step_fn(feats[idx], y[idx], step, alive_mask).tolist()  # each copy's loss BEFORE this step's update
        if limits is None:
            limits = [EXPLODE_FACTOR * max(v, math.log(max(getattr(rest[-1], "out_features", 2), 2))) for v in values]
        for i, v in enumerate(values):
            if not alive[i]:
                continue
            if not math.isfinite(v) or v > limits[i]:
                alive[i] = False
                alive_mask[i] = False
                status[i] = "diverged"
                messages[i] = (
                    f"diverged at step {step}: the loss became {v:.3g}; this rate is too high. "
                    "The weights were restored to where this run started."
                )
                finish()  # copy i's weights where it blew up, measured before it is put back
                blowup[i] = {"step": step, "loss": v, "train_acc": accuracy(feats, y)[i],
                             "val_acc": accuracy(val_x, val_y)[i] if val_x is not None else None,
                             "source_acc": old_task(i) if meter is not None else None}
                restart(i, start)
            else:
                losses[i].append(v)
        done = step
        if callback is not None and step % 10 == 0:
            callback(None, Sweep(lrs, losses, [], [], [], status, messages, "vmap", 0.0))
    finish()
    train_acc = accuracy(feats, y)
    val_acc = accuracy(val_x, val_y) if val_x is not None else [None] * K
    source_acc = [old_task(i) for i in range(K)] if meter is not None else [None] * K
    for i, found in enumerate(blowup):
        if found is not None:  # a diverged copy: what it was where it blew up, not the restored start
            train_acc[i], val_acc[i], source_acc[i] = found["train_acc"], found["val_acc"], found["source_acc"]
    for i, s in enumerate(status):
        if s == "done":
            messages[i] = f"trained {done} steps"
        elif s == "stopped":
            messages[i] = f"stopped at step {done}"
    blowups = [None if b is None else {"step": b["step"], "loss": b["loss"]} for b in blowup]
    return Sweep(lrs, losses, train_acc, val_acc, source_acc, status, messages, "vmap", 0.0, blowup=blowups)
