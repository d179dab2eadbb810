"""Data for training: tensors from an ``ImageSet`` or an ``(x, y)`` pair, a seeded batch order, cheap augmentation."""

import torch
import torch.nn.functional as F

from .checks import SettingError
from .images import normalize


def as_tensors(data):
    """``(x float normalised, y long)`` from an ``ImageSet``, or from an ``(x, y)`` pair (uint8 x is normalised)."""
    if hasattr(data, "tensors"):
        x, y = data.tensors()
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
    else:
        raise SettingError(f"data must be an ImageSet or an (images, labels) pair; got {type(data).__name__}.")
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    if x.dtype == torch.uint8:
        x = normalize(x)
    if len(x) != len(y):
        raise SettingError(f"{len(x)} images but {len(y)} labels.")
    if len(x) == 0:
        raise SettingError("the data set is empty.")
    return x.float(), y.long()


def shift(x, pad, generator):
    """Move the whole batch by up to ``pad`` pixels in x and y (edges repeated): cheap, batched augmentation.

    A batch gets one of ``(2 * pad + 1) ** 2`` shifts (25 for ``pad=2``): new views of the same images, not new images.
    """
    if pad <= 0:
        return x
    h, w = x.shape[-2:]
    i, j = torch.randint(0, 2 * pad + 1, (2,), generator=generator).tolist()
    padded = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    return padded[..., i : i + h, j : j + w]


class BatchOrder:
    """Batches that walk through a seeded random order of ``n`` examples, reshuffled each epoch.

    Two runs with the same seed see the same batches in the same order: the fair way to compare settings.
    """

    def __init__(self, n, batch_size, seed=0):
        self.n, self.size = n, min(batch_size, n)
        self.generator = torch.Generator().manual_seed(seed)
        self.order, self.cursor = None, 0

    def next(self):
        """The indices of the next batch."""
        if self.order is None or self.cursor + self.size > self.n:
            self.order, self.cursor = torch.randperm(self.n, generator=self.generator), 0
        idx = self.order[self.cursor : self.cursor + self.size]
        self.cursor += self.size
        return idx
