"""Learning-rate tools: schedules, the LR range test (finder) and training several rates at once.

- ``build_scheduler(optimizer, schedule, steps)`` turns a schedule name (or ``{"name": ..., **options}``) into a
  ``torch.optim.lr_scheduler`` object; ``schedule_curve`` gives the rate at every step without training.
- ``lr_range_test(model, train)`` raises the rate exponentially batch by batch, records the loss, suggests a
  rate, and puts the model's weights back exactly as they were.
- ``sweep(model, train, val, lrs, steps)`` trains one copy per rate. When only a stack of layers without
  BatchNorm is trainable after a frozen prefix (a new head, the usual first step of fine-tuning), all rates train
  AT ONCE: the frozen features are computed once, the K copies are stacked with ``torch.func``
  (``stack_module_state``) and trained together: a trainable part that is one linear head runs as ONE wide
  linear layer (K x classes outputs, its gradient written out); anything deeper runs with ``functional_call`` +
  ``vmap``. One batched Adam step updates all copies. Otherwise the copies are trained one after another with
  the ``Trainer``. Every way gives the same numbers as separate runs. The model itself is left unchanged.
"""

import copy
import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from .training import EXPLODE_FACTOR, Trainer, TrainingError, check_lr, check_steps, predict

# --------------------------------------------------------------------------------------------- schedules

#: schedule name -> (its options with defaults, one line saying what it does). ``None`` defaults depend on steps.
SCHEDULES = {
    "constant": ({}, "the same rate at every step"),
    "step": ({"step_size": None, "gamma": 0.1}, "multiply by gamma every step_size steps (default: a third of the run)"),
    "exponential": (
        {"decay_steps": None, "decay_rate": 0.1},
        "lr * decay_rate ** (step / decay_steps): smooth decay, as Keras' ExponentialDecay (default: over the run)",
    ),
    "cosine": ({"eta_min": 0.0}, "half a cosine from the rate down to eta_min at the last step"),
    "onecycle": ({"pct_start": 0.3}, "warm up to the rate for pct_start of the run, then anneal to almost 0"),
    "warmup": ({"warmup_steps": None}, "grow linearly from a tenth of the rate over warmup_steps, then hold it"),
}


def _schedule_spec(schedule):
    if schedule is None:
        return "constant", {}
    if isinstance(schedule, str):
        name, options = schedule, {}
    elif isinstance(schedule, dict) and "name" in schedule:
        name, options = schedule["name"], {k: v for k, v in schedule.items() if k != "name"}
    else:
        raise TrainingError(f"a schedule is a name such as 'cosine' or a dict with a 'name'; got {schedule!r}")
    if name not in SCHEDULES:
        raise TrainingError(f"unknown schedule {name!r}; choose one of: {', '.join(SCHEDULES)}")
    unknown = set(options) - set(SCHEDULES[name][0])
    if unknown:
        allowed = ", ".join(SCHEDULES[name][0]) or "none"
        raise TrainingError(f"schedule {name!r} has no option {sorted(unknown)[0]!r} (options: {allowed})")
    return name, {**SCHEDULES[name][0], **options}


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 1:
        raise TrainingError(f"{what} must be a whole number of at least 1, got {value!r}")
    return int(value)


def _fraction(value, what, low=0.0, high=1.0):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (low < value <= high):
        raise TrainingError(f"{what} must be a number above {low:g} and at most {high:g}, got {value!r}")
    return float(value)


def build_scheduler(optimizer, schedule, steps):
    """A ``torch.optim.lr_scheduler`` for ``steps`` optimizer steps (call ``.step()`` after each one)."""
    sched = torch.optim.lr_scheduler
    name, o = _schedule_spec(schedule)
    steps = check_steps(steps)
    if name == "constant":
        return sched.LambdaLR(optimizer, lambda step: 1.0)
    if name == "step":
        size = _positive_int(o["step_size"] or max(1, steps // 3), "step_size")
        return sched.StepLR(optimizer, step_size=size, gamma=_fraction(o["gamma"], "gamma"))
    if name == "exponential":
        decay_steps = _positive_int(o["decay_steps"] or steps, "decay_steps")
        rate = _fraction(o["decay_rate"], "decay_rate")
        return sched.ExponentialLR(optimizer, gamma=rate ** (1.0 / decay_steps))
    if name == "cosine":
        eta_min = o["eta_min"]
        if isinstance(eta_min, bool) or not isinstance(eta_min, (int, float)) or not (0 <= eta_min < math.inf):
            raise TrainingError(f"eta_min must be a number of at least 0, got {eta_min!r}")
        return sched.CosineAnnealingLR(optimizer, T_max=steps, eta_min=float(eta_min))
    if name == "onecycle":
        pct = _fraction(o["pct_start"], "pct_start", 0.0, 0.99)
        max_lrs = [group["lr"] for group in optimizer.param_groups]
        # one extra step so that stepping after the last batch stays inside the cycle
        return sched.OneCycleLR(optimizer, max_lr=max_lrs, total_steps=steps + 1, pct_start=pct)
    warmup = _positive_int(o["warmup_steps"] or max(1, steps // 10), "warmup_steps")
    return sched.LambdaLR(optimizer, lambda step: min(1.0, 0.1 + 0.9 * step / warmup))


def schedule_curve(schedule, steps, lr=1e-3):
    """The rate used at each of ``steps`` steps under ``schedule``: exactly what ``Trainer.fit`` would use."""
    lr = check_lr(lr)
    steps = check_steps(steps)
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = build_scheduler(optimizer, schedule, steps)
    curve = []
    for _ in range(steps):
        curve.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return curve


# --------------------------------------------------------------------------------------------- finder


@dataclass
class RangeTest:
    """The LR range test's result: rates tried, raw and smoothed losses, and two suggested rates."""

    lrs: list
    losses: list
    smoothed: list
    steepest: float
    min_over_10: float
    message: str

    @property
    def suggestion(self):
        """The rate to start from: a tenth of the rate with the lowest loss (the steepest point is noisier)."""
        return self.min_over_10


def lr_range_test(
    model, train, *, start=1e-6, end=1.0, steps=100, smoothing=0.9, batch_size=32, seed=0, augment=False, stop=None,
    device=None,
):
    """Raise the rate from ``start`` to ``end`` exponentially, one batch per rate, and watch the loss.

    Stops early once the smoothed loss is 4x its best. Suggests the rate where the smoothed loss falls fastest
    (``steepest``) and a tenth of the rate at its minimum (``min_over_10``). The model's weights, BatchNorm
    statistics and train/eval modes are restored exactly afterwards: the test only looks. ``stop``: a
    ``threading.Event`` that ends the test early.
    """
    start, end = check_lr(start, "start rate"), check_lr(end, "end rate")
    if end <= start:
        raise TrainingError(f"the end rate ({end:g}) must be above the start rate ({start:g})")
    steps = check_steps(steps)
    if steps < 5:
        raise TrainingError(f"the range test needs at least 5 steps, got {steps}")
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    factor = (end / start) ** (1.0 / (steps - 1))
    lrs, losses, smoothed = [], [], []
    best, average = math.inf, None

    def watch(history):
        nonlocal best, average
        if len(history.loss) == len(losses):
            return
        loss = history.loss[-1]
        lrs.append(start * factor ** (len(losses)))
        losses.append(loss)
        average = loss if average is None else smoothing * average + (1 - smoothing) * loss
        value = average / (1 - smoothing ** len(losses))  # bias-corrected, as Adam does
        smoothed.append(value)
        best = min(best, value)
        if (value > 4 * best and len(losses) > 3) or (stop is not None and stop.is_set()):
            trainer.stop()

    try:
        trainer = Trainer(
            model,
            train,
            lr=start,
            batch_size=batch_size,
            seed=seed,
            augment=augment,
            device=device,
            schedule=lambda optimizer: torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: factor**s),
        )
        history = trainer.fit(steps, callback=watch, eval_every=steps)
    finally:
        model.load_state_dict(saved)
        for m, mode in zip(model.modules(), modes):
            m.training = mode
    if len(smoothed) < 3:
        raise TrainingError(f"the loss blew up within {len(smoothed)} steps; start lower than {start:g}")
    log_lr = [math.log10(v) for v in lrs]
    slopes = [(smoothed[i + 1] - smoothed[i - 1]) / (log_lr[i + 1] - log_lr[i - 1]) for i in range(1, len(lrs) - 1)]
    lowest = min(range(len(smoothed)), key=smoothed.__getitem__)
    # the steepest descent before the minimum (after it the loss is already rising); the first tenth of the
    # points is skipped: the running average is still settling there
    skip = min(len(lrs) // 10, max(0, lowest - 2))
    window = slopes[skip : max(skip + 1, lowest)]
    steepest = lrs[1 + skip + min(range(len(window)), key=window.__getitem__)]
    min_over_10 = lrs[lowest] / 10
    ended = "the loss blew up" if history.stopped or history.diverged else "the end rate was reached"
    message = (
        f"Tried {len(lrs)} rates from {lrs[0]:.0e} to {lrs[-1]:.0e} ({ended}). Steepest fall at {steepest:.1e}; "
        f"lowest loss at {lrs[lowest]:.1e}, so a tenth of it is {min_over_10:.1e}. The weights are restored."
    )
    return RangeTest(lrs, losses, smoothed, steepest, min_over_10, message)


# --------------------------------------------------------------------------------------------- sweep


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
    from .training import frozen_prefix

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
    if isinstance(lrs, (int, float, str)):
        lrs = [lrs]
    lrs = [check_lr(lr) for lr in lrs]
    if not lrs:
        raise TrainingError("give at least one learning rate")
    steps = check_steps(steps)
    if method not in ("auto", "vmap", "sequential"):
        raise TrainingError(f"method must be 'auto', 'vmap' or 'sequential', got {method!r}")
    vmappable = can_vmap(model, augment)
    if method == "vmap" and not vmappable:
        raise TrainingError("all-at-once training needs a frozen prefix, no augmentation and no BatchNorm after it")
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

        def each_step(history, i=i, trainer=trainer):
            if stop is not None and stop.is_set():
                trainer.stop()
            if callback is not None:
                callback(i, history)

        history = trainer.fit(steps, callback=each_step, eval_every=steps, eval_at_start=False)  # same start for all
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
    # The Trainer does the data handling: tensors, the cached frozen features, the seeded batch order.
    trainer = Trainer(copy.deepcopy(model), train, val, lr=lrs[0], batch_size=batch_size, seed=seed, augment=False,
                      device=device)
    body = trainer.model
    k = trainer._cache_depth()
    feats = trainer._cached(k, "train", trainer.x) if k else trainer.x.to(trainer.device)
    y = trainer.y.to(trainer.device)
    rest = body[k:].train()
    K = len(lrs)
    params, buffers = stack_module_state([rest] * K)  # K identical copies: the same start for every rate
    params = {n: p.detach().clone() for n, p in params.items()}
    frozen = {n for n, p in rest.named_parameters() if not p.requires_grad}
    trainable = {n: p for n, p in params.items() if n not in frozen}
    for p in trainable.values():
        p.requires_grad_(True)
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
        idx = trainer._next_indices().to(feats.device)
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
        val_x = trainer._cached(k, "val", trainer.val[0]) if k else trainer.val[0].to(trainer.device)
        val_acc = accuracy(val_x, trainer.val[1])
    else:
        val_acc = [None] * K
    source_acc = [None] * K
    if source is not None:
        # the frozen prefix and (if it is trained) the head decide the source accuracy; measure each copy
        source_acc = []
        for i in range(K):
            copy_ = copy.deepcopy(model).eval()
            weights = {n: params[n][i].detach() for n in params}
            copy_[k:].load_state_dict({**weights, **{n: b[i] for n, b in buffers.items()}}, strict=False)
            probe = Trainer(copy_, train, lr=1e-3, source=source, augment=False, device=device)
            source_acc.append(probe._source_accuracy(k))
    for i, s in enumerate(status):
        if s == "done":
            messages[i] = f"trained {done} steps"
        elif s == "stopped":
            messages[i] = f"stopped at step {done}"
    return Sweep(lrs, losses, train_acc, val_acc, source_acc, status, messages, "vmap", 0.0)
