"""The course model's pre-trained checkpoint: saving and safe loading.

The checkpoint holds only tensors and plain Python types (a state dict and a metadata dict), so it loads with
``torch.load(weights_only=True)``: a file that tries to run code when unpickled is refused, never executed.
Every way a file can be unusable gets its own message, naming the cause and the fix.
"""

import copy
import functools
import hashlib
import os
import re
import warnings
from pathlib import Path

import torch
from torch import nn

from ..engine.checks import whole
from .model import CourseCNN

FORMAT = "fine-tuning-lab/course-cnn"
VERSION = 1
SHIPPED_CHECKPOINT = Path(__file__).resolve().parent.parent / "assets" / "course_cnn.pt"
REQUIRED_META = {"source_classes": list, "width": int, "source_accuracy": float}


class CheckpointError(ValueError):
    """A checkpoint file that is missing, damaged, unsafe, foreign or does not fit. The message says which, and
    the fix."""


def _recreate(path):
    return f"Re-create it with: python -m widgets.pretrain --seed 0 --out {path}"


def save_checkpoint(model, meta, path):
    """Write ``model``'s weights and ``meta`` (plain types only) to ``path``; return the file size in bytes."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "state_dict": {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()},
        "meta": dict(meta),
    }
    problem = _meta_problem(payload["meta"])
    if problem:
        raise CheckpointError(f"cannot save this checkpoint: its metadata {problem}.")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path.stat().st_size


def _meta_problem(meta):
    for key, kind in REQUIRED_META.items():
        if key not in meta:
            return f"has no {key!r}"
        value = meta[key]
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"has {key!r} = {value!r}, not a {kind.__name__}"
    if not meta["source_classes"] or meta["width"] < 1:
        return "has no source classes or a width below 1"
    return None


def read_checkpoint(path=None):
    """``(state_dict, meta)`` from a checkpoint file, with a clear :class:`CheckpointError` if it is unusable."""
    path = Path(path or SHIPPED_CHECKPOINT)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}. {_recreate(path)}")
    try:
        with warnings.catch_warnings():  # random bytes read as "pickle protocol 173" warn before they fail: say it once
            warnings.simplefilter("ignore", UserWarning)
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - every way a file can be bad ends in one of two clear messages
        unsafe = _unsafe_globals(path, error)
        if unsafe:
            raise CheckpointError(
                f"refused to load {path}: it holds Python objects other than tensors and plain values "
                f"({', '.join(unsafe[:3])}), which could run code when unpickled. Only load checkpoints you trust. "
                f"{_recreate(path)}") from None
        raise CheckpointError(
            f"cannot read {path}: it is damaged or truncated, or not a PyTorch file ({type(error).__name__}). "
            f"{_recreate(path)}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is a PyTorch file but not a course-model checkpoint (its format is not {FORMAT!r}). "
            "Load other files with torch.load, or save a course model with save_checkpoint.")
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"{path} is checkpoint version {payload.get('version')!r}; this course reads version {VERSION}. "
            f"{_recreate(path)}")
    meta, state_dict = payload.get("meta"), payload.get("state_dict")
    problem = _meta_problem(meta) if isinstance(meta, dict) else "is missing"
    if problem or not isinstance(state_dict, dict):
        raise CheckpointError(
            f"{path} is a course checkpoint with wrong metadata: it {problem or 'has no state dict'}. "
            f"Save it again with save_checkpoint(model, meta). {_recreate(path)}")
    return state_dict, meta


def _unsafe_globals(path, error):
    """The Python objects (``module.name``) a file that failed to load would import, or ``[]``.

    Only a file that names such objects could run code; torch's "weights only" wording is in every unpickling
    error, random bytes' too, so it tells nothing. A zip checkpoint is asked directly; an old-style one names the
    global in its error.
    """
    try:
        return sorted(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    except Exception:  # noqa: BLE001 - not a readable zip checkpoint: read what the error says
        found = re.search(r"(?:GLOBAL|Unsupported global:?)\s+(?:GLOBAL\s+)?([\w.]+)", str(error))
        return [found.group(1)] if found else []


@functools.lru_cache(maxsize=4)
def _cached(path, digest):
    """Read once per CONTENT of the file: a checkpoint saved again at the same path is read afresh."""
    return read_checkpoint(path)


def _read(path):
    path = str(path or SHIPPED_CHECKPOINT)
    try:
        content = Path(path).read_bytes()  # a few hundred kB: hashing it costs about a millisecond
    except OSError:
        return read_checkpoint(path)  # says there is no file there
    return _cached(path, hashlib.sha256(content).hexdigest())


def _build(state_dict, meta, path):
    model = CourseCNN(num_classes=len(meta["source_classes"]), width=meta["width"])
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    wrong = [k for k in expected if k in state_dict and tuple(state_dict[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or wrong:
        if wrong:
            k = wrong[0]
            detail = (f"{k} has shape {list(state_dict[k].shape)} in the file but {list(expected[k].shape)} in a "
                      f"CourseCNN of width {meta['width']} with {len(meta['source_classes'])} classes")
        else:
            detail = f"it lacks {missing[:2]}" if missing else f"it has unknown tensors {unexpected[:2]}"
        raise CheckpointError(f"{path} does not fit the course model: {detail}. It was saved from another "
                              f"model or with other metadata. {_recreate(path)}")
    model.load_state_dict(state_dict)
    return model


def load_course_model(num_classes=None, path=None):
    """The course's pre-trained :class:`CourseCNN`, loaded safely from the checkpoint shipped in the package.

    With ``num_classes`` the letters head is replaced by a fresh ``nn.Linear`` (initialised from the caller's
    torch random state, so ``torch.manual_seed`` makes it repeatable): ready to fine-tune on a new task.
    """
    state_dict, meta = _read(path)
    model = _build(state_dict, meta, path or SHIPPED_CHECKPOINT)
    if num_classes is not None:
        model.head = nn.Linear(model.feature_dim, whole(num_classes, "num_classes"))
    return model


def course_model_info(path=None):
    """What the shipped model is: its source task and classes, held-out source accuracy, seed, version, size."""
    state_dict, meta = _read(path)
    info = dict(meta)
    info["version"] = VERSION
    info["parameters"] = sum(t.numel() for name, t in state_dict.items()
                             if "running" not in name and "num_batches" not in name)
    info["checkpoint_bytes"] = os.path.getsize(path or SHIPPED_CHECKPOINT)
    info["description"] = (
        f"course model pre-trained on {len(meta['source_classes'])} letters "
        f"(held-out accuracy {meta['source_accuracy']:.1%})"
    )
    return info


def source_head(path=None):
    """A copy of the ORIGINAL letters head: put it on a fine-tuned backbone to see what was forgotten."""
    return copy.deepcopy(load_course_model(path=path).head)
