"""How alike two sets of features are: linear CKA (centred kernel alignment, Kornblith et al., 2019).

Weights can move a lot while what a block computes stays the same (rescale a filter and the next BatchNorm
undoes it), and they can move little while it changes. To see whether a block's *features* changed during
fine-tuning, run the same images through the block before and after and compare the two sets of outputs:

    before = block_features(original, images)          # {block: (N, features)}
    after = block_features(fine_tuned, images)
    linear_cka(before["conv1"], after["conv1"])        # 1.0: the same features (up to rotation and scale)

Linear CKA is 1 for identical features, and for features that differ only by a rotation or a uniform scale; it
falls towards 0 as the two sets stop sharing structure. It compares the images' similarity matrices, so the two
sets may even have different widths.
"""

import torch
from torch import nn

__all__ = ["linear_cka", "centred_gram", "cka_of_grams", "block_features", "feature_similarity"]


def centred_gram(features):
    """``(N, N)``: how alike each pair of the ``N`` images looks to these features (centred, in double precision).

    The costly half of linear CKA: compute it once for features that several comparisons share.
    """
    x = features.double().flatten(1)
    x = x - x.mean(0, keepdim=True)
    return x @ x.T


def cka_of_grams(k, g):
    """Linear CKA from two :func:`centred_gram` results of the same images."""
    if len(k) != len(g):
        raise ValueError(f"linear_cka compares features of the same images: got {len(k)} and {len(g)} rows.")
    denominator = (k.norm() * g.norm()).item()
    if denominator == 0:
        raise ValueError("linear_cka needs features that vary across the images (these are constant).")
    return ((k * g).sum() / (k.norm() * g.norm())).item()


def linear_cka(x, y):
    """Linear CKA between two feature matrices for the SAME ``N`` images: ``(N, ...)`` each. A number in [0, 1]."""
    if len(x) != len(y):
        raise ValueError(f"linear_cka compares features of the same images: got {len(x)} and {len(y)} rows.")
    return cka_of_grams(centred_gram(x), centred_gram(y))


@torch.no_grad()
def block_features(model, images, blocks=None, batch_size=256):
    """``{block: output after that block}`` for the top-level blocks of an ``nn.Sequential``, in eval mode.

    ``blocks``: the names to keep (default: every block). The model's train/eval modes are left as they were.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError("block_features reads an nn.Sequential, block by block (such as the course's CourseCNN).")
    names = [name for name, _ in model.named_children()]
    wanted = names if blocks is None else list(blocks)
    unknown = set(wanted) - set(names)
    if unknown:
        raise ValueError(f"no block named {sorted(unknown)}; the blocks are: {', '.join(names)}.")
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    out = {name: [] for name in wanted}
    try:
        for i in range(0, len(images), batch_size):
            x = images[i : i + batch_size].to(device)
            for name, block in model.named_children():
                x = block(x)
                if name in out:
                    out[name].append(x.cpu())
    finally:
        for m, mode in modes:
            m.training = mode
    return {name: torch.cat(parts) for name, parts in out.items()}


def feature_similarity(before, after, images, blocks):
    """``{block: linear CKA}`` between the outputs of the same block in two models, on the same ``images``."""
    a = block_features(before, images, blocks)
    b = block_features(after, images, blocks)
    return {name: linear_cka(a[name], b[name]) for name in blocks}
