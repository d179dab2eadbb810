"""The course model's pre-trained checkpoint: saving, safe loading, and measuring the old task.

The checkpoint holds only tensors and plain Python types (a state dict and a metadata dict), so it loads with
``torch.load(weights_only=True)``: a file that tries to run code when unpickled is refused, never executed.
"""

import copy
import functools
import os
from pathlib import Path

import torch
from torch import nn

from widgets.core import data
from widgets.core.model import CourseCNN

FORMAT = "fine-tuning-lab/course-cnn"
VERSION = 1
SHIPPED_CHECKPOINT = Path(__file__).resolve().parent.parent / "assets" / "course_cnn.pt"


class CheckpointError(ValueError):
    """A checkpoint file that is missing, damaged, unsafe or not a course checkpoint. The message says which."""


def save_checkpoint(model, meta, path):
    """Write ``model``'s weights and ``meta`` (plain types only) to ``path``; return the file size in bytes."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "state_dict": {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()},
        "meta": dict(meta),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path.stat().st_size


def read_checkpoint(path=None):
    """``(state_dict, meta)`` from a checkpoint file, with a clear :class:`CheckpointError` if it is unusable."""
    path = Path(path or SHIPPED_CHECKPOINT)
    if not path.is_file():
        raise CheckpointError(
            f"no checkpoint at {path}. Re-create it with: python -m widgets.pretrain --seed 0 --out {path}"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - every way a file can be bad ends in the same clear message
        text = str(error)
        if "weights_only" in text or "Unsupported global" in text or "GLOBAL" in text:
            reason = "it contains Python objects other than tensors and plain values, so loading it was refused"
        else:
            reason = "it is damaged or truncated, or not a PyTorch file"
        raise CheckpointError(f"cannot load checkpoint {path}: {reason} ({type(error).__name__}).") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a PyTorch file but not a course-model checkpoint (format {FORMAT!r}).")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"{path} is checkpoint version {payload.get('version')}; this course reads {VERSION}.")
    return payload["state_dict"], payload["meta"]


@functools.lru_cache(maxsize=4)
def _cached(path):
    return read_checkpoint(path)


def _build(state_dict, meta, path):
    model = CourseCNN(num_classes=len(meta["source_classes"]), width=meta["width"])
    try:
        model.load_state_dict(state_dict)
    except (RuntimeError, KeyError) as error:
        raise CheckpointError(f"{path} does not fit the course model: {str(error).splitlines()[0]}") from None
    return model


def load_course_model(num_classes=None, path=None):
    """The course's pre-trained :class:`CourseCNN`, loaded safely from the checkpoint shipped in the package.

    With ``num_classes`` the letters head is replaced by a fresh ``nn.Linear`` (initialised from the caller's
    torch random state, so ``torch.manual_seed`` makes it repeatable): ready to fine-tune on a new task.
    """
    path = str(path or SHIPPED_CHECKPOINT)
    state_dict, meta = _cached(path)
    model = _build(state_dict, meta, path)
    if num_classes is not None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a whole number of at least 1, got {num_classes!r}")
        model.head = nn.Linear(model.feature_dim, num_classes)
    return model


def course_model_info(path=None):
    """What the shipped model is: its source task and classes, held-out source accuracy, seed, version, size."""
    path = str(path or SHIPPED_CHECKPOINT)
    state_dict, meta = _cached(path)
    info = dict(meta)
    info["version"] = VERSION
    info["parameters"] = sum(t.numel() for name, t in state_dict.items() if "running" not in name and "num_batches" not in name)
    info["checkpoint_bytes"] = os.path.getsize(path)
    info["description"] = (
        f"course model pre-trained on {len(meta['source_classes'])} letters "
        f"(held-out accuracy {meta['source_accuracy']:.1%})"
    )
    return info


def source_head(path=None):
    """A copy of the ORIGINAL letters head: put it on a fine-tuned backbone to see what was forgotten."""
    return copy.deepcopy(load_course_model(path=path).head)


class SourceTaskModel(nn.Module):
    """A model's current backbone with the original source head: it reads the OLD task (no copy of weights)."""

    def __init__(self, model, head=None):
        super().__init__()
        self.backbone = model[:-1]
        self.head = head if head is not None else source_head()

    def forward(self, x):
        return self.head(self.backbone(x))


@torch.no_grad()
def source_accuracy(model, head=None, batch_size=500):
    """Accuracy of ``model``'s backbone + the original head on the held-out letters: 1.0 = nothing forgotten."""
    test = data.source_test_set()
    reader = SourceTaskModel(model, head)
    was_training = model.training
    model.eval()
    reader.head.eval()
    device = next(model.parameters()).device
    reader.head.to(device)
    correct = 0
    for i in range(0, len(test), batch_size):
        x = data.normalize(test.images[i : i + batch_size]).to(device)
        correct += (reader(x).argmax(1).cpu() == test.labels[i : i + batch_size]).sum().item()
    model.train(was_training)
    return correct / len(test)
