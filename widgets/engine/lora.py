"""LoRA (low-rank adaptation, Hu et al. 2021), written once, in plain PyTorch.

A frozen ``nn.Linear`` computes ``W x + b``. LoRA keeps ``W`` frozen and learns a low-rank change beside it:

    y = W x + b + scale * B (A x)        A: (rank, in), B: (out, rank), scale = alpha / rank

``A`` starts small and random, ``B`` starts at zero, so at the start the wrapped model computes exactly what the
original did; training moves only ``A`` and ``B``: ``rank * (in + out)`` numbers per layer instead of
``in * out``. After training, :func:`merge_lora` folds ``scale * B A`` into ``W``: the same outputs with no extra cost
per image, and :func:`unmerge_lora` takes it out again.

    names = add_lora(model, targets=("qkv",), rank=4, train=("head",))   # model changed in place
    Trainer(model, train_set, lr=1e-3).fit(100)                            # only A, B (and the head) train
    merge_lora(model)                                                      # for inference

The same with Hugging Face ``peft``: ``get_peft_model(model, LoraConfig(r=4, lora_alpha=4,
target_modules=["qkv"], modules_to_save=["head"]))``. Freezing goes through :mod:`widgets.engine.freezing`,
the course's one place that sets ``requires_grad``.
"""

import math

import torch
from torch import nn

from .checks import SettingError, whole
from .freezing import freeze, unfreeze

__all__ = ["LoRALinear", "add_lora", "lora_layers", "merge_lora", "unmerge_lora"]


class LoRALinear(nn.Module):
    """A frozen ``base`` linear layer plus a trainable low-rank update ``scale * B A`` (see the module docstring)."""

    def __init__(self, base, rank=4, alpha=None):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise SettingError(f"LoRA wraps an nn.Linear layer; got {type(base).__name__}.")
        self.rank = whole(rank, "rank")
        self.alpha = float(alpha if alpha is not None else rank)
        self.scale = self.alpha / self.rank
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(self.rank, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, self.rank))  # zero: the start changes nothing
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # as nn.Linear (and peft) start their weights
        self.merged = False

    @property
    def in_features(self):
        return self.base.in_features

    @property
    def out_features(self):
        return self.base.out_features

    def delta(self):
        """The change LoRA makes to the base weight: ``scale * B @ A``, shaped like it."""
        return self.scale * (self.lora_B @ self.lora_A)

    def forward(self, x):
        out = self.base(x)
        if self.merged:  # the update is already inside base.weight
            return out
        return out + self.scale * ((x @ self.lora_A.T) @ self.lora_B.T)

    def extra_repr(self):
        return f"rank={self.rank}, alpha={self.alpha:g}, merged={self.merged}"


def _matches(name, targets):
    """peft's rule: a target is a whole dotted name, or its last part(s): ``"qkv"`` matches ``block1.attn.qkv``."""
    return any(name == t or name.endswith("." + t) for t in targets)


def add_lora(model, targets, rank=4, alpha=None, train=()):
    """Wrap every ``nn.Linear`` whose name matches ``targets`` in a :class:`LoRALinear`, IN PLACE, and freeze the
    rest of ``model``: only the LoRA weights (and the parts named in ``train``, e.g. a new ``"head"``) train.

    Returns the dotted names of the wrapped layers. The new ``A`` weights come from torch's random state, so
    ``torch.manual_seed`` makes them repeatable.
    """
    if isinstance(targets, str):
        targets = (targets,)
    found = [name for name, module in model.named_modules()
             if isinstance(module, nn.Linear) and _matches(name, targets)]
    if not found:
        linear = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
        raise SettingError(f"no nn.Linear layer matches {list(targets)}; the linear layers are: "
                           f"{', '.join(linear[:8])}{' ...' if len(linear) > 8 else ''}.")
    freeze(model)
    for name in found:
        parent_name, _, attr = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, attr, LoRALinear(getattr(parent, attr), rank, alpha))
        unfreeze(model, f"{name}.lora_A", f"{name}.lora_B")
    if isinstance(train, str):
        train = (train,)
    if train:
        unfreeze(model, *train)
    return found


def lora_layers(model):
    """``[(name, LoRALinear)]`` in ``model``."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, LoRALinear)]


@torch.no_grad()
def merge_lora(model):
    """Fold every LoRA update into its base weight (``W += scale * B A``): the same outputs, no extra cost.
    Returns how many layers were merged (already merged ones are left alone)."""
    count = 0
    for _, layer in lora_layers(model):
        if not layer.merged:
            layer.base.weight += layer.delta()
            layer.merged = True
            count += 1
    return count


@torch.no_grad()
def unmerge_lora(model):
    """Take every merged LoRA update back out of its base weight (``W -= scale * B A``), to train LoRA again.
    Returns how many layers were unmerged."""
    count = 0
    for _, layer in lora_layers(model):
        if layer.merged:
            layer.base.weight -= layer.delta()
            layer.merged = False
            count += 1
    return count
