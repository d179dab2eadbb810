"""The optimizers the course trains with, and the per-block parameter groups that carry each block's rate.

    groups = block_parameters(model)             # [("conv3", [params]), ("head", [params])]: trainable ones only
    optimizer = make_optimizer("adam", [{"params": p, "lr": 1e-3} for _, p in groups], {"weight_decay": 0})
"""

import torch
from torch import nn

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def make_optimizer(name, groups, options):
    """The fused (single-kernel) Adam/AdamW where this PyTorch has it: same update, less time per step."""
    if name in ("adam", "adamw"):
        try:
            return OPTIMIZERS[name](groups, fused=True, **options)
        except (RuntimeError, TypeError, ValueError):
            pass
    return OPTIMIZERS[name](groups, **options)


def block_parameters(model):
    """``[(block, [trainable parameters])]`` per top-level block (and parameter held by the model itself) that has
    any; a tensor shared by two blocks belongs to the first."""
    parts = list(model.named_children()) + list(model.named_parameters(recurse=False))
    seen, groups = set(), []
    for name, part in parts:
        params = [p for p in (part.parameters() if isinstance(part, nn.Module) else [part])
                  if p.requires_grad and id(p) not in seen]
        seen.update(id(p) for p in params)
        if params:
            groups.append((name, params))
    return groups
