"""Counting and describing parameters, in plain PyTorch: what a model has, what trains, and the code for it.

Nothing here changes a model's ``requires_grad`` flags (that is :mod:`widgets.engine.freezing`'s one job); it
reads them. Everything works on any ``nn.Module`` and names parts the way PyTorch does (``"layer4"``,
``"features.0"``, ``"fc"``).
"""

from typing import NamedTuple

import torch
from torch import nn

__all__ = [
    "ParameterCount",
    "BlockRow",
    "count_parameters",
    "blocks",
    "parameters_of",
    "block_table",
    "auto_depth",
    "state_of",
    "python_path",
    "freeze_code",
    "batchnorm_drift",
]


class ParameterCount(NamedTuple):
    """Numbers of scalars (not tensors) in a model's parameters."""

    total: int
    trainable: int
    frozen: int

    @property
    def percent_trainable(self):
        return 100.0 * self.trainable / self.total if self.total else 0.0

    @property
    def percent_text(self):
        """``"0.044% trainable"``: two significant digits below 1%, where one decimal would say 0.0%."""
        percent = self.percent_trainable
        shown = f"{percent:.1f}" if percent == 0 or percent >= 1 else f"{percent:.2g}"
        return f"{shown}% trainable"

    def __str__(self):
        return f"{self.trainable:,} trainable / {self.frozen:,} frozen / {self.total:,} total ({self.percent_text})"


def count_parameters(model):
    """Count the model's parameters: ``ParameterCount(total, trainable, frozen)``.

    A parameter shared by two modules counts once, as in ``model.parameters()``.
    """
    total = trainable = 0
    for param in model.parameters():
        n = param.numel()
        total += n
        if param.requires_grad:
            trainable += n
    return ParameterCount(total, trainable, total - trainable)


# --- naming parts of a model ------------------------------------------------------------------------------


def python_path(name, var="model"):
    """The Python expression for a part of a model: ``"features.0"`` -> ``model.features[0]``."""
    expr = var
    for part in name.split(".") if name else []:
        expr += f"[{part}]" if part.isdigit() else f".{part}" if part.isidentifier() else f"[{part!r}]"
    return expr


# --- blocks and the per-block table -----------------------------------------------------------------------


class BlockRow(NamedTuple):
    """One row of :func:`block_table`."""

    name: str
    kind: str
    parameters: int
    trainable: int
    state: str  # "frozen", "trainable", "partly" or "no parameters"


def _expand(prefix, module):
    """A module's direct parameters and its children, as (dotted name, module-or-parameter) pairs."""
    parts = [(prefix + n, p) for n, p in module.named_parameters(recurse=False)]
    parts += [(prefix + n, child) for n, child in module.named_children()]
    return parts


def blocks(model, depth=1):
    """The model's blocks at ``depth``: (name, module or parameter) pairs, in model order, covering every parameter.

    Depth 1 is the top level (``conv1, bn1, layer1, ... fc`` for a ResNet); each further level splits every
    block that has children into its children (``layer4.0, layer4.1``). A parameter that belongs to a module
    directly (ViT's ``class_token``) is a block of its own.
    """
    if depth < 1:
        raise ValueError(f"depth must be 1 or more, got {depth}")
    parts = _expand("", model)
    for _ in range(depth - 1):
        expanded = []
        for name, part in parts:
            has_children = isinstance(part, nn.Module) and next(part.children(), None) is not None
            children = _expand(name + ".", part) if has_children else []  # a leaf layer stays whole
            expanded.extend(children or [(name, part)])
        parts = expanded
    return parts


def parameters_of(part):
    """The parameters of a block from :func:`blocks`: a module's, or the parameter itself."""
    return list(part.parameters()) if isinstance(part, nn.Module) else [part]


def state_of(params):
    """``"frozen"``, ``"trainable"``, ``"partly"`` or ``"no parameters"`` for a list of parameters."""
    if not params:
        return "no parameters"
    grads = {p.requires_grad for p in params}
    if grads == {True}:
        return "trainable"
    if grads == {False}:
        return "frozen"
    return "partly"


def block_table(model, depth=1):
    """One :class:`BlockRow` per block: name, layer type, parameters, trainable parameters, state."""
    rows = []
    for name, part in blocks(model, depth):
        params = parameters_of(part)
        kind = type(part).__name__ if isinstance(part, nn.Module) else "Parameter"
        total = sum(p.numel() for p in params)
        trainable = sum(p.numel() for p in params if p.requires_grad)
        rows.append(BlockRow(name, kind, total, trainable, state_of(params)))
    return rows


def auto_depth(model, min_blocks=4, max_depth=3):
    """The smallest depth at which the model shows at least ``min_blocks`` blocks that hold parameters.

    ResNets show ``conv1 ... layer4, fc`` at depth 1; MobileNetV2 has only ``features`` and ``classifier`` at
    the top, so its blocks ``features.0 ... features.18`` appear at depth 2.
    """
    for depth in range(1, max_depth + 1):
        if sum(1 for _, part in blocks(model, depth) if parameters_of(part)) >= min_blocks:
            return depth
    return max_depth


# --- the code that reproduces a freezing state ------------------------------------------------------------------


def _exceptions(module, prefix, base):
    """Names of the largest parts under ``module`` whose state differs from ``base`` (True = trainable)."""
    names = []
    for name, part in _expand(prefix, module):
        params = parameters_of(part)
        state = state_of(params)
        if state in ("no parameters", "trainable" if base else "frozen"):
            continue
        if state == "partly":
            names += _exceptions(part, name + ".", base)
        else:
            names.append(name)
    return names


def freeze_code(model, var="model"):
    """The shortest PyTorch lines (of this form) that put every parameter of a fresh ``model`` in its current state.

    Either nothing is frozen by default and the frozen parts are listed, or everything is frozen first and the
    trainable parts are listed, whichever takes fewer lines.
    """
    unfreeze_list = _exceptions(model, "", base=False)  # start from "all frozen": list what trains
    freeze_list = _exceptions(model, "", base=True)  # start from "all trainable": list what is frozen
    if not freeze_list:
        return "# nothing is frozen: every parameter trains (the default)"
    if len(unfreeze_list) + 1 < len(freeze_list):
        lines = [f"{var}.requires_grad_(False)  # freeze everything"]
        lines += [f"{python_path(n, var)}.requires_grad_(True)" for n in unfreeze_list]
        if len(lines) > 1:
            lines[1] += "  # then unfreeze what should train"
        return "\n".join(lines)
    lines = [f"{python_path(n, var)}.requires_grad_(False)" for n in freeze_list]
    lines[0] += "  # freeze these; the rest trains"
    return "\n".join(lines)


# --- BatchNorm ----------------------------------------------------------------------------------------------


def _batchnorm_layers(model):
    return [(n, m) for n, m in model.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def batchnorm_drift(model, images, steps=10, batch_size=32, seed=0):
    """How far the BatchNorm running means move while ``model`` sees ``steps`` batches in train mode.

    Returns a list: after each batch, the mean absolute change of every BN layer's ``running_mean`` since the
    start (0.0 means the statistics did not move). No weight is updated: only forward passes run, as they
    do in a training loop whose parameters are all frozen.
    """
    layers = [layer for _, layer in _batchnorm_layers(model)]
    start = [layer.running_mean.clone() for layer in layers]
    generator = torch.Generator().manual_seed(seed)
    drift = []
    model.train()
    with torch.no_grad():
        for _ in range(steps):
            batch = torch.randint(len(images), (batch_size,), generator=generator)
            model(images[batch])
            change = torch.cat([(layer.running_mean - s).abs() for layer, s in zip(layers, start)])
            drift.append(change.mean().item())
    return drift
