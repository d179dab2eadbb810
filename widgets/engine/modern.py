"""The 2020s fine-tuning recipe, in plain PyTorch: what timm's and Hugging Face's fine-tuning scripts do by default.

- AdamW: weight decay DECOUPLED from the gradient step (Loshchilov & Hutter, 2019), and none on the parameters
  that decay only harms: biases, normalisation weights, the class token and position embedding (1-d tensors, or
  named in ``NO_DECAY``);
- layer-wise learning-rate decay (BEiT, Bao et al. 2022): the head and the last norm at the full rate, each
  block below at ``layer_decay`` times the rate of the block above it;
- warm-up, then cosine: the rate grows linearly for ``warmup`` steps, then follows half a cosine down to 0;
- label smoothing in the loss (``F.cross_entropy(..., label_smoothing=0.1)``).

    groups = param_groups(model, lr=1e-3, weight_decay=0.05, layer_decay=0.75)
    optimizer = torch.optim.AdamW(groups)
    scheduler = warmup_cosine(optimizer, steps=100, warmup=10)
    fit(model, train_set, optimizer, steps=100, scheduler=scheduler, label_smoothing=0.1)

:func:`fit` is the shortest honest loop: the same batches as the course's Trainer for the same seed
(:class:`~widgets.engine.batches.BatchOrder`), frozen parts held in eval mode. Comparing two recipes through it
changes nothing but the recipe.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from .batches import BatchOrder, as_tensors, shift
from .freezing import train_mode
from .layer_decay import layer_decay_rates
from .seeding import seeded_run

__all__ = ["NO_DECAY", "param_groups", "warmup_cosine", "fit"]

#: parameter names (their last part) that never get weight decay, as timm's ``no_weight_decay()`` lists them
NO_DECAY = ("cls_token", "pos_embed")


def _decays(name, param):
    return param.ndim >= 2 and name.rpartition(".")[2] not in NO_DECAY


def param_groups(model, lr, weight_decay=0.05, layer_decay=None):
    """Optimizer groups for ``model``'s trainable parameters: per top-level block, one group with weight decay
    (matrices) and one without (biases, norms, tokens). ``layer_decay``: the last two parameter-holding blocks
    (e.g. ``norm`` and ``head``) get ``lr``, the block before them ``lr * layer_decay``, and so on down to the
    first. Each group says its ``block``."""
    blocks = [(name, module) for name, module in model.named_children() if any(True for _ in module.parameters())]
    # the head at lr, and below it the blocks as layer_decay_rates sets them: the last norm at lr too, then down
    names = [name for name, _ in blocks]
    rates = layer_decay_rates(names[:-1], lr, layer_decay or 1.0) if len(names) > 1 else {}
    rates[names[-1]] = lr
    groups = []
    for name, module in blocks:
        rate = rates[name]
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        for decay in (True, False):
            params = [p for n, p in named if _decays(n, p) == decay]
            if params:
                groups.append({"params": params, "lr": rate, "weight_decay": weight_decay if decay else 0.0,
                               "block": name})
    return groups


def warmup_cosine(optimizer, steps, warmup):
    """Linear warm-up over ``warmup`` steps (from ``1 / warmup`` of each group's rate), then half a cosine to 0."""
    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def fit(model, train, optimizer, steps, *, scheduler=None, label_smoothing=0.0, batch_size=32, seed=0, augment=0):
    """Train ``model`` for ``steps`` batches of ``train`` (``ImageSet`` or ``(x, y)``); returns the losses.

    ``augment``: shift images by up to this many pixels (0: none), as the Trainer does."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {type(model).__name__}")
    x, y = as_tensors(train)
    order = BatchOrder(len(y), batch_size, seed)
    losses = []
    train_mode(model)
    with seeded_run(seed):
        for _ in range(steps):
            idx = order.next()
            xb = shift(x[idx], augment, order.generator) if augment else x[idx]
            loss = F.cross_entropy(model(xb), y[idx], label_smoothing=label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.item())
    model.eval()
    return losses
