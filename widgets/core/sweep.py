"""Training several learning rates from the same start, on the same batches, to compare them.

``sweep(model, train, val, lrs, steps)`` trains one copy per rate and leaves the model passed in untouched. When
only a stack of layers without BatchNorm is trainable after a frozen prefix (a new head, the usual first step of
fine-tuning), all rates train AT ONCE: the frozen features are computed once
(:class:`~widgets.core.features.FrozenFeatures`), the K copies are stacked with ``torch.func``
(``stack_module_state``) and trained together. A trainable part that is one linear head runs as ONE wide linear
layer (K x classes outputs, its gradient written out); anything deeper runs with ``functional_call`` + ``vmap``.
One batched Adam step updates all copies: ``torch.optim.Adam`` cannot step K stacked copies with K rates, so its
update is written out here, and a test checks it gives the same numbers as separate runs. Otherwise the copies are
trained one after another with the ``Trainer``.
"""

import copy
import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from . import checks
from .batches import BatchOrder, as_tensors
from .features import FrozenFeatures
from .forgetting import as_meter
from .freezing import frozen_prefix
from .hooks import EXPLODE_FACTOR, StopOnRequest
from .training import Trainer

@dataclass
class Sweep:
    """Several learning rates trained from the same start on the same batches.

    Per rate (same order as ``lrs``): ``loss`` (a list per step), final ``train_acc``, ``val_acc``,
    ``source_acc`` (or ``None``), ``status`` (``done``/``diverged``/``stopped``) and ``message``.
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
    no augmentation, and a trainable rest without BatchNorm (its running statistics cannot be updated inside ``vmap``)."""
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
        result = _sweep_sequential(model, train, val, lrs, steps, source, batch_size, seed, augment, callback, stop, device)
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
        final = history.final
        out.train_acc.append(final["train_acc"])
        out.val_acc.append(final.get("val_acc"))
        out.source_acc.append(final.get("source_acc"))
        out.status.append(history.status)
        out.message.append(history.message)
    if len(out.status) < len(lrs):
        out.lrs = lrs[: len(out.status)]
    return out


def _single_linear(rest):
    """``(the parameter-free layers before it, its name)`` when ``rest``'s only trainable layer is a final
    ``nn.Linear`` with a bias (a classification head), else ``None``."""
    children = list(rest.named_children())
    if not children or not isinstance(children[-1][1], nn.Linear) or children[-1][1].bias is None:
        return None
    if any(any(True for _ in module.parameters()) for _, module in children[:-1]):
        return None
    if not all(p.requires_grad for p in children[-1][1].parameters()):
        return None
    return nn.Sequential(*[module for _, module in children[:-1]]), children[-1][0]


def _adam_step(params, grads, state, lrs, step, alive, betas=(0.9, 0.999), eps=1e-8):
    """torch.optim.Adam's update, written out for K stacked copies, each with its own rate (``lrs``: shape K)."""
    b1, b2 = betas
    bias1, bias2_sqrt = 1 - b1**step, math.sqrt(1 - b2**step)
    for name, p in params.items():
        g = grads[name]
        m, v = state[name]
        m.lerp_(g, 1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        rate = (lrs * alive / bias1).view(-1, *[1] * (p.dim() - 1))
        p.sub_(rate * m / (v.sqrt() / bias2_sqrt + eps))


def _vmap_steps(rest, params, buffers, trainable, rates):
    """The general case: K copies of ``rest`` run as one with ``torch.func`` (``functional_call`` + ``vmap``)."""
    template = copy.deepcopy(rest).to("meta")
    batched = vmap(lambda p, b, x: functional_call(template, (p, b), (x,)), in_dims=(0, 0, None))
    state = {n: (torch.zeros_like(p), torch.zeros_like(p)) for n, p in trainable.items()}
    K = len(rates)

    def step_fn(x, y, step, alive):
        logits = batched(params, buffers, x)  # (K, B, classes)
        per_model = F.cross_entropy(logits.transpose(1, 2), y.expand(K, -1), reduction="none").mean(1)
        keep = alive.to(per_model.device)
        grads = torch.autograd.grad(torch.where(keep, per_model, 0).sum(), list(trainable.values()))
        with torch.no_grad():
            _adam_step(trainable, dict(zip(trainable, grads)), state, rates, step, keep.to(rates.dtype))
        return per_model.detach()

    def restart(i, start):  # back to the start, with a fresh optimizer state (it may hold inf/NaN now)
        with torch.no_grad():
            for n, p in params.items():
                p[i] = start[n][i]
            for m, v in state.values():
                m[i], v[i] = 0, 0

    def predict(x):  # (K, N, classes)
        evaluating = copy.deepcopy(template).eval()
        with torch.no_grad():
            return vmap(lambda p, b, x: functional_call(evaluating, (p, b), (x,)), in_dims=(0, 0, None))(params, buffers, x)

    return step_fn, restart, lambda: None, predict


def _wide_head_steps(rest, wide, params, rates, betas=(0.9, 0.999), eps=1e-8):
    """K linear heads on the same input are ONE wide linear layer with K x classes outputs: one matrix product
    per step instead of K, the gradient written out (no autograd), and one Adam update (``torch._foreach_*``:
    one call per operation for all tensors). Same numbers as K separate runs with ``torch.optim.Adam``, in about
    fifteen tensor operations per step: for a small head, per-operation overhead is where the time goes."""
    before, name = wide
    weight, bias = params[f"{name}.weight"], params[f"{name}.bias"]  # (K, C, D), (K, C)
    K, C, D = weight.shape
    W = weight.detach().reshape(K * C, D).clone()
    b = bias.detach().reshape(K * C).clone()
    tensors = [W, b]
    m = [torch.zeros_like(t) for t in tensors]
    v = [torch.zeros_like(t) for t in tensors]
    row_rates = rates.repeat_interleave(C)  # a diverged copy gets rate 0 (see restart)
    b1, b2 = betas
    minus_one = {}

    @torch.no_grad()
    def step_fn(x, y, step, alive):
        h = before(x) if len(before) else x
        logits = torch.addmm(b, h, W.T).view(-1, C)  # all K heads in one matrix product; rows (sample, copy)
        log_p = torch.log_softmax(logits, dim=1)
        targets = y.repeat_interleave(K)[:, None]
        per_model = -log_p.gather(1, targets).view(-1, K).mean(0)  # cross-entropy of each copy
        # The gradient of a softmax cross-entropy is (softmax - one_hot) / batch: written out, it skips the
        # autograd engine, the largest cost per step for a layer this small
        if len(targets) not in minus_one:
            minus_one[len(targets)] = torch.full((len(targets), 1), -1.0, dtype=log_p.dtype, device=log_p.device)
        g_logits = log_p.exp_().scatter_add_(1, targets, minus_one[len(targets)]).div_(len(h)).view(len(h), K * C)
        grads = [g_logits.T @ h, g_logits.sum(0)]
        torch._foreach_lerp_(m, grads, 1 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
        denom = torch._foreach_sqrt(v)
        torch._foreach_div_(denom, math.sqrt(1 - b2**step))
        torch._foreach_add_(denom, eps)
        scale = row_rates / (1 - b1**step)
        torch._foreach_addcdiv_(tensors, torch._foreach_mul(m, [scale[:, None], scale]), denom, value=-1)
        return per_model

    def restart(i, start):
        with torch.no_grad():
            rows = slice(i * C, (i + 1) * C)
            W[rows] = start[f"{name}.weight"][i]
            b[rows] = start[f"{name}.bias"][i]
            for state in (*m, *v):
                state[rows] = 0  # a fresh optimizer state: the diverged one may hold inf/NaN
            row_rates[rows] = 0  # and no more steps for this copy

    def finish():  # write the trained heads back into the stacked parameters
        with torch.no_grad():
            weight.copy_(W.detach().view(K, C, D))
            bias.copy_(b.detach().view(K, C))

    def predict(x):  # (K, N, classes), all heads in one matrix product
        with torch.no_grad():
            h = before.eval()(x) if len(before) else x
            return torch.addmm(b, h, W.T).view(len(h), K, C).transpose(0, 1)

    return step_fn, restart, finish, predict


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
    wide = _single_linear(rest)
    if wide is not None:
        step_fn, restart, finish, predict = _wide_head_steps(rest, wide, params, K_rates)
    else:
        step_fn, restart, finish, predict = _vmap_steps(rest, params, buffers, trainable, K_rates)
    alive = [True] * K  # a plain list: checked K times a step, where tensor indexing would cost more than the step
    alive_mask = torch.ones(K, dtype=torch.bool)
    losses = [[] for _ in range(K)]
    status = ["done"] * K
    messages = [""] * K
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
                restart(i, start)
            else:
                losses[i].append(v)
        done = step
        if callback is not None and step % 10 == 0:
            callback(None, Sweep(lrs, losses, [], [], [], status, messages, "vmap", 0.0))
    finish()

    def accuracy(x, labels):
        logits = predict(x)
        return (logits.argmax(-1) == labels.to(logits.device)).float().mean(1).tolist()

    train_acc = accuracy(feats, y)
    if val is not None:
        val_x, val_y = as_tensors(val)
        val_acc = accuracy(features.get("val", val_x, k), val_y)
    else:
        val_acc = [None] * K
    source_acc = [None] * K
    meter = as_meter(source)
    if meter is not None:
        # the frozen prefix and (if it is trained) the head decide the old task's accuracy: read each copy
        source_acc = []
        for i in range(K):
            with torch.no_grad():
                for n, p in body[k:].named_parameters():
                    p.copy_(params[n][i])
                for n, b in body[k:].named_buffers():
                    b.copy_(buffers[n][i])
            source_acc.append(meter.accuracy(body, features))
    for i, s in enumerate(status):
        if s == "done":
            messages[i] = f"trained {done} steps"
        elif s == "stopped":
            messages[i] = f"stopped at step {done}"
    return Sweep(lrs, losses, train_acc, val_acc, source_acc, status, messages, "vmap", 0.0)
