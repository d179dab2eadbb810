"""The course's trainer: small, readable, deterministic, and fast on a laptop CPU.

    trainer = Trainer(model, train, val, lr=1e-3)          # or lr={"conv3": 1e-4, "head": 1e-2}
    history = trainer.fit(200)
    history.val_acc[-1], history.message

What it does for you, and why:

- Per-block parameter groups. The optimizer gets one group per top-level block (``conv1`` ... ``head``) that
  has trainable parameters, so discriminative learning rates are just ``lr={block: rate}``.
- It builds the optimizer from the model's *current* freeze state. If you freeze or unfreeze a block after
  that, ``fit`` notices: it rebuilds the optimizer (the default) or, with ``rebuild_on_freeze_change=False``,
  keeps the stale one and says so: the classic trap, shown on purpose in the lessons.
- Frozen blocks run in eval mode (their BatchNorm statistics stay put, as Keras does for ``trainable=False``).
- Speed by design: when the leading blocks of an ``nn.Sequential`` are frozen and there is no augmentation,
  their output never changes, so it is computed once and only the rest of the network is trained.
- Divergence (a NaN, inf or exploding loss) ends the run with a clear message and the weights restored to
  where the run started; it never crashes. Bad arguments raise ``TrainingError`` with a message that says
  what to change.
- Device: a GPU (CUDA or Apple MPS) when there is one, the CPU otherwise; ``device="cpu"`` overrides.
"""

import copy
import math
import threading
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

#: learning rates outside this range are refused with a message (1e9 is a typo, not an experiment)
MAX_LR = 10.0
#: a loss this many times above the starting loss (or ln(classes), whichever is larger) counts as exploding
EXPLODE_FACTOR = 10.0


class TrainingError(ValueError):
    """A run that cannot start (bad settings) or a setting that makes no sense. The message says what to do."""


def pick_device(device=None):
    """``device`` if given, else CUDA, else Apple MPS, else the CPU."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


# --------------------------------------------------------------------------------------------- checks


def check_lr(lr, what="learning rate"):
    """Return ``lr`` as a float, or raise ``TrainingError`` saying why it is not a usable rate."""
    if isinstance(lr, bool):
        raise TrainingError(f"{what} must be a number such as 1e-3, got {lr!r}")
    try:
        value = float(lr)
    except (TypeError, ValueError):
        raise TrainingError(f"{what} must be a number such as 1e-3, got {lr!r}") from None
    if math.isnan(value) or math.isinf(value):
        raise TrainingError(f"{what} must be a finite number, got {value}")
    if value <= 0:
        raise TrainingError(f"{what} must be above 0 (got {value:g}): with a rate of 0 nothing would change")
    if value > MAX_LR:
        raise TrainingError(
            f"{what} {value:g} is far above any useful rate (the largest accepted is {MAX_LR:g}); "
            "fine-tuning rates are usually between 1e-5 and 1e-2"
        )
    return value


def check_steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, (int, float)) or steps != int(steps) or steps < 1:
        raise TrainingError(f"steps must be a whole number of at least 1, got {steps!r}")
    return int(steps)


# --------------------------------------------------------------------------------------------- data


def as_tensors(data):
    """``(x float normalised, y long)`` from an ``ImageSet``, or from an ``(x, y)`` pair (uint8 x is normalised)."""
    if hasattr(data, "tensors"):
        x, y = data.tensors()
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
    else:
        raise TrainingError(f"data must be an ImageSet or an (images, labels) pair, got {type(data).__name__}")
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    if x.dtype == torch.uint8:
        from .data import normalize

        x = normalize(x)
    if len(x) != len(y):
        raise TrainingError(f"{len(x)} images but {len(y)} labels")
    if len(x) == 0:
        raise TrainingError("the data set is empty")
    return x.float(), y.long()


def shift(x, pad, generator):
    """Move the whole batch by up to ``pad`` pixels in x and y (edges repeated): cheap, batched augmentation."""
    if pad <= 0:
        return x
    h, w = x.shape[-2:]
    i, j = torch.randint(0, 2 * pad + 1, (2,), generator=generator).tolist()
    padded = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    return padded[..., i : i + h, j : j + w]


@torch.no_grad()
def predict(module, x, batch_size=512):
    """``module``'s outputs for ``x``, in batches, with whatever train/eval mode the module is in."""
    device = next((p.device for p in module.parameters()), x.device)
    return torch.cat([module(x[i : i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)])


def evaluate(model, data, batch_size=512):
    """Accuracy (0..1) of ``model`` on ``data`` (``ImageSet`` or ``(x, y)``), in eval mode; the mode is restored."""
    x, y = as_tensors(data)
    was_training = [m.training for m in model.modules()]
    model.eval()
    try:
        return (predict(model, x, batch_size).argmax(1) == y).float().mean().item()
    finally:
        for m, mode in zip(model.modules(), was_training):
            m.training = mode


# --------------------------------------------------------------------------------------------- blocks


def blocks(model):
    """The model's top-level blocks as ``[(name, module)]``: the unit of freezing and of learning rates."""
    return list(model.named_children())


def block_names(model):
    return [name for name, _ in blocks(model)]


def trainable_blocks(model):
    return [name for name, module in blocks(model) if any(p.requires_grad for p in module.parameters())]


def frozen_prefix(model):
    """How many leading blocks have nothing to train (blocks without parameters, such as ``pool``, count)."""
    k = 0
    for _, module in blocks(model):
        if any(p.requires_grad for p in module.parameters()):
            break
        k += 1
    return k


def weight_drift(model, reference):
    """Per block: how far its weights moved from ``reference`` (a state dict), relative: ||w - w0|| / ||w0||."""
    drift = {}
    for name, module in blocks(model):
        moved = total = 0.0
        for pname, p in module.named_parameters():
            w0 = reference[f"{name}.{pname}"]
            moved += (p.detach().cpu() - w0).pow(2).sum().item()
            total += w0.pow(2).sum().item()
        if total > 0:
            drift[name] = math.sqrt(moved) / math.sqrt(total)
    return drift


def inference_copy(module):
    """A copy of ``module`` for eval-mode inference only, with the same outputs (to float rounding) in less time.

    Inside each ``nn.Sequential``: a BatchNorm after a convolution is folded into the convolution's weights, and
    ReLU-then-MaxPool becomes MaxPool-then-ReLU (the same numbers, since ReLU never changes the order of values,
    but a quarter of the ReLUs). Used to build the frozen-feature cache.
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    def rebuild(seq):
        layers, out, i = list(seq.children()), [], 0
        while i < len(layers):
            layer, after = layers[i], layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(layer, nn.Conv2d) and isinstance(after, nn.BatchNorm2d) and after.track_running_stats:
                out.append(fuse_conv_bn_eval(layer, after))
                i += 2
            elif isinstance(layer, nn.ReLU) and isinstance(after, nn.MaxPool2d):
                out += [after, layer]
                i += 2
            else:
                out.append(rebuild(layer) if type(layer) is nn.Sequential else layer)
                i += 1
        return nn.Sequential(*out)

    module = copy.deepcopy(module).eval()
    return rebuild(module) if isinstance(module, nn.Sequential) else module


def _state_copy(model):
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


# --------------------------------------------------------------------------------------------- history


@dataclass
class History:
    """What one ``fit`` did. Per step: ``loss``, ``acc`` (on the batch), ``lr`` (the last block's rate).

    At each evaluation (``eval_steps``, step 0 included): ``train_acc`` (the whole training set, no
    augmentation), ``val_acc``/``val_loss`` (with ``val``), ``source_acc`` (with ``source``: the forgetting
    meter) and ``drift`` (per block, relative change since the trainer was created).
    ``status`` is ``"done"``, ``"stopped"``, ``"early-stopped"`` or ``"diverged"``; ``message`` says it in words;
    ``notes`` lists what the trainer did on your behalf (cached features, rebuilt optimizer ...).
    """

    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    eval_steps: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    source_acc: list = field(default_factory=list)
    drift: dict = field(default_factory=dict)
    status: str = "running"
    message: str = ""
    notes: list = field(default_factory=list)
    cached_blocks: int = 0
    seconds: float = 0.0
    cache_seconds: float = 0.0

    @property
    def diverged(self):
        return self.status == "diverged"

    @property
    def stopped(self):
        return self.status == "stopped"

    @property
    def final(self):
        """The last evaluation as a dict (``train_acc``, ``val_acc``, ``source_acc`` where measured)."""
        out = {"step": self.eval_steps[-1] if self.eval_steps else 0}
        for key in ("train_acc", "val_acc", "val_loss", "source_acc"):
            values = getattr(self, key)
            if values:
                out[key] = values[-1]
        return out


# --------------------------------------------------------------------------------------------- trainer

_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def _make_optimizer(name, groups, options):
    """The fused (single-kernel) Adam/AdamW where this PyTorch has it: same update, less time per step."""
    if name in ("adam", "adamw"):
        try:
            return _OPTIMIZERS[name](groups, fused=True, **options)
        except (RuntimeError, TypeError, ValueError):
            pass
    return _OPTIMIZERS[name](groups, **options)


class Trainer:
    """Train ``model`` on ``train``; see the module docstring for what it does on your behalf.

    ``train``/``val``: ``ImageSet`` or ``(x, y)``. ``lr``: one rate, or ``{block_name: rate}`` covering every
    trainable block. ``schedule``: ``None`` (constant), a name (``"step"``, ``"exponential"``, ``"cosine"``,
    ``"onecycle"``, ``"warmup"``), a dict ``{"name": ..., **options}`` (see ``widgets.core.lr.SCHEDULES``) or
    a function ``optimizer -> scheduler``; it spans the steps of each ``fit``. ``source``: ``(data, head)``
    to measure the original task with its original head as training goes (forgetting), or a function
    ``model -> accuracy``. ``augment``: ``True`` (shift by up to 2 pixels), a number of pixels, or ``False``.
    """

    def __init__(
        self,
        model,
        train,
        val=None,
        *,
        lr=1e-3,
        batch_size=32,
        seed=0,
        augment=True,
        schedule=None,
        source=None,
        device=None,
        optimizer="adam",
        weight_decay=0.0,
        momentum=0.9,
        eval_frozen=True,
        cache=True,
        rebuild_on_freeze_change=True,
    ):
        if not isinstance(model, nn.Module):
            raise TrainingError(f"model must be a torch nn.Module, got {type(model).__name__}")
        if optimizer not in _OPTIMIZERS:
            raise TrainingError(f"optimizer must be one of {sorted(_OPTIMIZERS)}, got {optimizer!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise TrainingError(f"batch_size must be a whole number of at least 1, got {batch_size!r}")
        self.device = pick_device(device)
        self.model = model.to(self.device)
        self.x, self.y = as_tensors(train)
        self.val = as_tensors(val) if val is not None else None
        self.source = self._check_source(source)
        self.lr = self._check_lr_setting(lr)
        self.batch_size = batch_size
        self.seed = seed
        self.pad = (2 if augment else 0) if isinstance(augment, bool) else int(augment)
        self.schedule = schedule
        self.optimizer_name = optimizer
        self.weight_decay = float(weight_decay)
        self.momentum = momentum
        self.eval_frozen = eval_frozen
        self.cache = cache
        self.rebuild_on_freeze_change = rebuild_on_freeze_change
        self.initial_state = _state_copy(model)  # the reference for weight drift
        self.steps_done = 0
        self.optimizer = None
        self._optimizer_signature = None
        self._stop = threading.Event()
        self._feature_cache = {}
        self._generator = torch.Generator().manual_seed(seed)
        self._order, self._cursor = None, 0
        if self.trainable_parameters():
            self.build_optimizer()

    # ---- settings ------------------------------------------------------------------------------

    def _check_lr_setting(self, lr):
        if isinstance(lr, dict):
            names = block_names(self.model)
            unknown = [name for name in lr if name not in names]
            if unknown:
                raise TrainingError(f"no block named {unknown[0]!r}; the blocks are: {', '.join(names)}")
            return {name: check_lr(rate, f"learning rate for {name}") for name, rate in lr.items()}
        return check_lr(lr)

    def _check_source(self, source):
        if source is None or callable(source):
            return source
        if isinstance(source, (tuple, list)) and len(source) == 2 and isinstance(source[1], nn.Module):
            if not isinstance(self.model, nn.Sequential):
                raise TrainingError("source=(data, head) needs an nn.Sequential model; pass a function instead")
            x, y = as_tensors(source[0])
            return (x, y, source[1].to(self.device).eval())
        raise TrainingError("source must be (data, original_head) or a function model -> accuracy")

    def rate_for(self, block):
        """The learning rate a block trains with."""
        if isinstance(self.lr, dict):
            if block not in self.lr:
                raise TrainingError(
                    f"block {block!r} is trainable but has no learning rate in lr={self.lr}; "
                    "give it one or freeze it"
                )
            return self.lr[block]
        return self.lr

    def set_lr(self, lr):
        """Change the learning rate(s); the optimizer is rebuilt at the next ``fit``."""
        self.lr = self._check_lr_setting(lr)
        self._optimizer_signature = None

    # ---- optimizer -----------------------------------------------------------------------------

    def trainable_parameters(self):
        return [p for p in self.model.parameters() if p.requires_grad]

    def _signature(self):
        return tuple((name, id(p)) for name, module in blocks(self.model) for p in module.parameters() if p.requires_grad)

    def build_optimizer(self):
        """One parameter group per trainable block, each with its own rate (``group["block"]`` names it)."""
        groups = []
        for name, module in blocks(self.model):
            params = [p for p in module.parameters() if p.requires_grad]
            if params:
                groups.append({"params": params, "lr": self.rate_for(name), "block": name})
        if not groups:
            raise TrainingError(
                "nothing to train: every parameter is frozen (requires_grad=False). Unfreeze at least the head."
            )
        options = {"weight_decay": self.weight_decay}
        if self.optimizer_name == "sgd":
            options["momentum"] = self.momentum
        self.optimizer = _make_optimizer(self.optimizer_name, groups, options)
        self._optimizer_signature = self._signature()
        return self.optimizer

    @property
    def freeze_changed(self):
        """True when blocks were frozen or unfrozen after the optimizer was built."""
        return self._optimizer_signature is not None and self._optimizer_signature != self._signature()

    def _prepare_optimizer(self, history):
        if self.optimizer is None or self._optimizer_signature is None:
            self.build_optimizer()
            return
        if not self.freeze_changed:
            return
        optimized = {id(p) for group in self.optimizer.param_groups for p in group["params"]}
        left_out = sorted({name for name, pid in self._signature() if pid not in optimized})
        if self.rebuild_on_freeze_change:
            self.build_optimizer()
            history.notes.append("the freeze state changed since the optimizer was built, so it was rebuilt")
        else:
            note = "the freeze state changed after the optimizer was built and it was NOT rebuilt"
            if left_out:
                note += f": {', '.join(left_out)} will not be updated although unfrozen"
            history.notes.append(note)
            if not any(p.requires_grad for group in self.optimizer.param_groups for p in group["params"]):
                raise TrainingError(note + "; the optimizer has nothing left to train. Rebuild it.")

    def _make_scheduler(self, steps):
        if self.schedule is None:
            return None
        if callable(self.schedule):
            return self.schedule(self.optimizer)
        from .lr import build_scheduler

        return build_scheduler(self.optimizer, self.schedule, steps)

    # ---- control ---------------------------------------------------------------------------------

    def stop(self):
        """Ask a running ``fit`` (in another thread) to stop after the current step."""
        self._stop.set()

    # ---- feature cache ---------------------------------------------------------------------------

    def _prefix_fingerprint(self, k):
        prefix = self.model[:k]
        return (k,) + tuple((id(t), t._version) for t in list(prefix.parameters()) + list(prefix.buffers()))

    def _cached(self, k, key, x):
        """``model[:k](x)`` computed once per prefix state (in eval mode, batched)."""
        fingerprint = self._prefix_fingerprint(k)
        entry = self._feature_cache.get(key)
        if entry is None or entry[0] != fingerprint:
            entry = (fingerprint, self._run_prefix(k, x))
            self._feature_cache[key] = entry
        return entry[1]

    def _run_prefix(self, k, x):
        """``model[:k](x)`` for the cache: an inference copy (BatchNorm folded), channels-last memory layout
        (2-3x faster convolutions on a CPU), batches of 128 (activations stay in the CPU cache)."""
        prefix = inference_copy(self.model[:k])
        layout = torch.channels_last if x.dim() == 4 else torch.contiguous_format
        prefix = prefix.to(memory_format=layout)
        device = next((p.device for p in prefix.parameters()), self.device)
        with torch.no_grad():
            out = [prefix(x[i : i + 128].to(device).contiguous(memory_format=layout)) for i in range(0, len(x), 128)]
        return torch.cat(out).contiguous().to(self.device)

    def _cache_depth(self):
        """How many leading blocks to run once instead of every step (0: none)."""
        if not (self.cache and self.eval_frozen and self.pad == 0 and isinstance(self.model, nn.Sequential)):
            return 0
        return min(frozen_prefix(self.model), len(self.model) - 1)

    # ---- modes -----------------------------------------------------------------------------------

    def _set_train_mode(self):
        self.model.train()
        if self.eval_frozen:
            for _, module in blocks(self.model):
                if not any(p.requires_grad for p in module.parameters()):
                    module.eval()

    # ---- evaluation --------------------------------------------------------------------------------

    def _evaluate(self, history, step, k, train_feats, val_feats):
        model = self.model
        was_training = [m.training for m in model.modules()]
        model.eval()
        rest = model[k:] if k else model
        try:
            with torch.no_grad():
                logits = predict(rest, train_feats)
                history.train_acc.append((logits.argmax(1) == self.y).float().mean().item())
                if self.val is not None:
                    logits = predict(rest, val_feats)
                    history.val_acc.append((logits.argmax(1) == self.val[1]).float().mean().item())
                    history.val_loss.append(F.cross_entropy(logits, self.val[1]).item())
                if self.source is not None:
                    history.source_acc.append(self._source_accuracy(k))
        finally:
            for m, mode in zip(model.modules(), was_training):
                m.training = mode
        history.eval_steps.append(step)
        for name, value in weight_drift(model, self.initial_state).items():
            history.drift.setdefault(name, []).append(value)

    def _source_accuracy(self, k):
        if callable(self.source):
            return float(self.source(self.model))
        x, y, head = self.source
        body = self.model[k:-1]
        feats = self._cached(k, "source", x) if k else x
        logits = predict(nn.Sequential(body, head), feats)
        return (logits.argmax(1) == y).float().mean().item()

    # ---- batches -----------------------------------------------------------------------------------

    def _next_indices(self):
        """Batches walk through a seeded random order of the training set, reshuffled each epoch."""
        n = len(self.y)
        size = min(self.batch_size, n)
        if self._order is None or self._cursor + size > n:
            self._order, self._cursor = torch.randperm(n, generator=self._generator), 0
        idx = self._order[self._cursor : self._cursor + size]
        self._cursor += size
        return idx

    # ---- the loop ------------------------------------------------------------------------------------

    def fit(self, steps, callback=None, *, eval_every=None, patience=None, callback_every=1, eval_at_start=True):
        """Train for ``steps`` batches and return a ``History``.

        ``callback(history)`` runs every ``callback_every`` steps and after each evaluation (live plots).
        Evaluations happen at step 0, every ``eval_every`` steps (default: 10 per run) and at the end;
        ``eval_every=0`` turns them off; ``eval_at_start=False`` skips the one at step 0.
        ``patience``: early stopping: stop when validation accuracy has not improved for this many
        evaluations, and restore the best weights.
        """
        steps = check_steps(steps)
        # eval_every=0: no evaluations at all (for timing the bare loop)
        eval_every = max(1, steps // 10) if eval_every is None else (0 if eval_every == 0 else check_steps(eval_every))
        if patience is not None and (self.val is None or not eval_every):
            raise TrainingError("early stopping (patience) needs validation data (val=...) and evaluations")
        history = History()
        self._stop.clear()
        self._prepare_optimizer(history)  # raises TrainingError before anything changes
        scheduler = self._make_scheduler(steps)
        start_state = _state_copy(self.model)
        start_optimizer = copy.deepcopy(self.optimizer.state_dict())
        start_step = self.steps_done

        started = time.perf_counter()
        k = self._cache_depth()
        x_train = self.x.to(self.device)
        x_val = self.val[0].to(self.device) if self.val is not None else None
        if k:
            t = time.perf_counter()
            x_train = self._cached(k, "train", self.x)
            if x_val is not None:
                x_val = self._cached(k, "val", self.val[0])
            history.cache_seconds = time.perf_counter() - t
            history.cached_blocks = k
            history.notes.append(
                f"{', '.join(block_names(self.model)[:k])} frozen: their output was computed once and cached"
            )
        trainable = self.model[k:] if k else self.model
        y_train = self.y.to(self.device)

        self._set_train_mode()
        if eval_every and (eval_at_start or patience is not None):
            self._evaluate(history, self.steps_done, k, x_train, x_val)
            self._set_train_mode()
        best = (history.val_acc[-1], _state_copy(self.model)) if patience is not None else None
        waited = 0
        limit = None
        optimizer = self.optimizer
        last_group = optimizer.param_groups[-1]
        history.status = "running"
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed + self.steps_done)  # dropout and the like: reproducible, no side effects
            for step in range(1, steps + 1):
                idx = self._next_indices()
                xb = x_train[idx.to(self.device)] if k else shift(x_train[idx.to(self.device)], self.pad, self._generator)
                yb = y_train[idx.to(self.device)]
                out = trainable(xb)
                loss = F.cross_entropy(out, yb)
                loss_value = loss.item()
                if limit is None:
                    limit = EXPLODE_FACTOR * max(loss_value, math.log(max(out.shape[1], 2)))
                if not math.isfinite(loss_value) or loss_value > limit:
                    self.model.load_state_dict(start_state)
                    self.optimizer.load_state_dict(start_optimizer)
                    self.steps_done = start_step
                    history.status = "diverged"
                    history.message = (
                        f"Training diverged at step {step}: the loss became {loss_value:.3g} "
                        f"(it started at {history.loss[0] if history.loss else loss_value:.3g}). "
                        "The learning rate is too high for this model; try one 10x smaller. "
                        "The weights were restored to where this run started."
                    )
                    break
                rate = last_group["lr"]  # the rate this step uses (the scheduler changes it below)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                self.steps_done += 1
                history.steps.append(self.steps_done)
                history.loss.append(loss_value)
                history.acc.append((out.detach().argmax(1) == yb).float().mean().item())
                history.lr.append(rate)
                evaluate_now = bool(eval_every) and (step % eval_every == 0 or step == steps or self._stop.is_set())
                if evaluate_now:
                    self._evaluate(history, self.steps_done, k, x_train, x_val)
                    self._set_train_mode()
                    if best is not None:
                        if history.val_acc[-1] > best[0]:
                            best, waited = (history.val_acc[-1], _state_copy(self.model)), 0
                        else:
                            waited += 1
                if callback is not None and (evaluate_now or step % callback_every == 0):
                    callback(history)
                if self._stop.is_set():
                    history.status = "stopped"
                    history.message = f"Stopped at step {self.steps_done} as you asked."
                    break
                if best is not None and waited >= patience:
                    self.model.load_state_dict(best[1])
                    history.status = "early-stopped"
                    history.message = (
                        f"Early stopping at step {self.steps_done}: validation accuracy had not improved for "
                        f"{patience} evaluations; the best weights (val acc {best[0]:.1%}) were restored."
                    )
                    break
        if history.status == "running":
            history.status = "done"
            history.message = f"Trained {len(history.steps)} steps."
        if eval_every and (not history.eval_steps or history.eval_steps[-1] != self.steps_done):
            # a diverged run (weights restored) or one evaluated only at the end that never got there
            self._evaluate(history, self.steps_done, k, x_train, x_val)
        self.model.eval()
        history.seconds = time.perf_counter() - started
        if callback is not None:
            callback(history)
        return history
