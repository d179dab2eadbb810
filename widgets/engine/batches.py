"""Data for training: tensors from an ``ImageSet`` or an ``(x, y)`` pair, a seeded batch order, cheap augmentation."""

import torch
import torch.nn.functional as F

from .checks import SettingError
from .images import normalize

INTEGER_TYPES = (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


def as_tensors(data, what="data"):
    """``(x float normalised, y long)`` from an ``ImageSet``, or from an ``(x, y)`` pair (uint8 x is normalised).

    Checked at the door, each refusal a :class:`SettingError` that names ``what`` (``"train"``, ``"val"``) and the
    bad value: one label per image, labels that are whole class numbers of at least 0 (0.5 is not silently class
    0), images of finite numbers (a NaN image is bad data, not a learning rate that is too high).
    """
    if hasattr(data, "tensors"):
        x, y = data.tensors()
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
    else:
        raise SettingError(f"{what} must be an ImageSet or an (images, labels) pair; got {type(data).__name__}.")
    try:
        x, y = torch.as_tensor(x), torch.as_tensor(y)
    except (TypeError, ValueError, RuntimeError) as error:
        raise SettingError(f"{what} must hold numbers: images and labels as tensors or arrays ({error}).") from None
    if x.dtype == torch.uint8:
        x = normalize(x)
    if x.dim() == 0 or len(x) == 0:
        raise SettingError(f"{what} is empty: it has no images.")
    if y.dim() != 1:
        hint = " They look one-hot: give the class numbers, labels.argmax(1)." if y.dim() == 2 else ""
        raise SettingError(f"{what}'s labels must be one class number per image; got shape {list(y.shape)}.{hint}")
    if len(x) != len(y):
        raise SettingError(f"{what} has {len(x)} images but {len(y)} labels: each image needs exactly one label.")
    return _finite_images(x, what), _class_numbers(y, what)


def _finite_images(x, what):
    if x.is_complex() or not (x.is_floating_point() or x.dtype in INTEGER_TYPES):
        raise SettingError(f"{what}'s images must be real numbers; got dtype {x.dtype}.")
    x = x.float()
    finite = torch.isfinite(x.reshape(len(x), -1)).all(1)
    if not finite.all():
        bad = (~finite).nonzero().flatten()
        raise SettingError(f"{what}'s images must be finite numbers: {len(bad)} of {len(x)} images hold NaN or "
                           f"infinite values (the first is image {bad[0].item()}). Check how they were made.")
    return x


def _class_numbers(y, what):
    if y.is_complex() or not (y.is_floating_point() or y.dtype in INTEGER_TYPES or y.dtype == torch.bool):
        raise SettingError(f"{what}'s labels must be class numbers 0, 1, 2 ...; got dtype {y.dtype}.")
    if y.is_floating_point():
        whole = torch.isfinite(y) & (y == y.round())
        if not whole.all():
            i = (~whole).nonzero()[0].item()
            raise SettingError(f"{what}'s labels must be whole class numbers 0, 1, 2 ...; label {i} is "
                               f"{y[i].item():g}.")
    y = y.long()
    if (y < 0).any():
        i = (y < 0).nonzero()[0].item()
        raise SettingError(f"{what}'s labels must be class numbers of at least 0; label {i} is {y[i].item()}.")
    return y


def output_classes(model, image, device):
    """How many classes ``model`` outputs: one eval-mode forward pass on one ``image`` (a batch of one), without
    gradients; nothing trains and the modes are put back. A shape the model cannot read is said here, in words."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            out = model(image.to(device))
    except Exception as error:  # noqa: BLE001 - whatever the model raises, the learner reads one sentence
        raise SettingError(f"the model cannot read these images (each of shape {list(image.shape[1:])}): "
                           f"{type(error).__name__}: {error}") from None
    finally:
        for m, mode in modes:
            m.training = mode
    if not isinstance(out, torch.Tensor) or out.dim() != 2:
        shape = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise SettingError(f"the model must output one row of class scores per image (shape [images, classes]); "
                           f"got {shape}.")
    return out.shape[1]


def check_classes(y, classes, what):
    """Refuse labels that the model cannot output: class numbers from 0 to ``classes - 1``."""
    if len(y) and y.max().item() >= classes:
        i = (y >= classes).nonzero()[0].item()
        raise SettingError(f"{what}'s label {i} is {y[i].item()}, but the model has {classes} outputs: labels must "
                           f"be class numbers from 0 to {classes - 1}. Give the model a head with more outputs, or "
                           "relabel the data.")
    return y


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
