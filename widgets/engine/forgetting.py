"""The forgetting meter: how much of its OLD task a fine-tuned model still knows.

Fine-tuning replaces the head and changes the backbone. To see what the backbone forgot, put the ORIGINAL head
back on the CURRENT backbone and measure it on held-out images of the old task: the same accuracy as before
fine-tuning means nothing was forgotten. Nothing is copied: the meter reads the model as it is.

    meter = OldTask(letters, original_head)
    meter.accuracy(model)            # 0.98 before fine-tuning; lower when features were overwritten
"""

import copy

import torch
from torch import nn

from .batches import as_tensors
from .checks import SettingError
from .features import fast_predict


class OldTask:
    """Held-out data of the old task and the model's original head: ``accuracy(model)`` reads the current backbone."""

    def __init__(self, data, head, name="old task"):
        if not isinstance(head, nn.Module):
            raise SettingError(f"the old task's head must be an nn.Module (the model's original head); got {head!r}.")
        self.x, self.y = as_tensors(data)
        self.head = copy.deepcopy(head).eval()
        self.name = name

    def __len__(self):
        return len(self.y)

    def accuracy(self, model, features=None):
        """Accuracy of ``model``'s backbone (every block but its last, the head) with the original head.

        ``features``: a :class:`~widgets.engine.features.FrozenFeatures` of ``model``, to reuse its frozen prefix.
        The model's train/eval modes are left as they were.
        """
        if not isinstance(model, nn.Sequential):
            raise SettingError("the forgetting meter reads an nn.Sequential whose last block is the head.")
        k = features.depth() if features is not None else 0
        x = features.get("old task", self.x, k) if k else self.x
        modes = [(m, m.training) for m in model.modules()]
        model.eval()
        try:
            device = next((p.device for p in model.parameters()), torch.device("cpu"))
            reader = nn.Sequential(model[k:-1], self.head.to(device))
            logits = fast_predict(reader, x).cpu()
        finally:
            for m, mode in modes:
                m.training = mode
        return (logits.argmax(1) == self.y).float().mean().item()


class _ByFunction:
    """A meter given as a function ``model -> accuracy``."""

    def __init__(self, function):
        self.function = function

    def accuracy(self, model, features=None):
        return float(self.function(model))


def as_meter(source):
    """``None``, an :class:`OldTask`, ``(data, original_head)`` or a function ``model -> accuracy``, as a meter
    with ``accuracy(model, features=None)`` (``None`` stays ``None``)."""
    if source is None or isinstance(source, OldTask):
        return source
    if isinstance(source, (tuple, list)) and len(source) == 2 and isinstance(source[1], nn.Module):
        return OldTask(source[0], source[1])
    if callable(source):
        return _ByFunction(source)
    raise SettingError("the old task (source) must be an OldTask, (data, original_head) "
                       "or a function model -> accuracy.")
