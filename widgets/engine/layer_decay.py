"""Layer-wise learning-rate decay: discriminative learning rates set by one number.

The top block (the head) trains at ``base_lr``; each block below it gets ``decay`` times the rate of the block
above, so ``rate_k = base_lr * decay ** (depth from the top)``:

    layer_decay_rates(["conv1", "conv2", "conv3", "head"], 1e-2, 0.3)
    # {"conv1": 2.7e-4, "conv2": 9e-4, "conv3": 3e-3, "head": 1e-2}
    Trainer(model, train, lr=layer_decay_rates(model, 1e-2, 0.3))

``decay=1`` gives every block the same rate. The MAE and BEiT recipes fine-tune vision transformers with it, at a
decay of 0.65 to 0.75 per block over a dozen or more blocks; timm's ``create_optimizer_v2`` takes ``layer_decay``.
"""

from torch import nn

from . import checks
from .optimizers import block_parameters


def _block_names(model_or_block_names):
    if isinstance(model_or_block_names, nn.Module):
        return [name for name, _ in block_parameters(model_or_block_names)]  # trainable blocks, early to late
    if isinstance(model_or_block_names, str):
        raise checks.SettingError(f"give a model or a list of block names, early to late; got "
                                  f"{model_or_block_names!r} (one name: put it in a list).")
    names = list(model_or_block_names)
    if not names or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
        raise checks.SettingError(f"block names must be distinct, non-empty text, early to late; got {names!r}.")
    return names


def layer_decay_rates(model_or_block_names, base_lr, decay):
    """``{block: rate}``, early to late: the last block at ``base_lr``, each one below at ``decay`` times the rate
    above it. ``model_or_block_names``: a model (its top-level blocks with trainable parameters, in order: frozen
    blocks get no rate, as the Trainer wants) or block names, early to late. ``decay``: above 0, at most 1."""
    names = _block_names(model_or_block_names)
    if not names:
        raise checks.SettingError("the model has no trainable block to give a rate to.")
    base_lr = checks.rate(base_lr, "base_lr")
    decay = checks.fraction(decay, "decay")
    return {name: base_lr * decay ** (len(names) - 1 - k) for k, name in enumerate(names)}
