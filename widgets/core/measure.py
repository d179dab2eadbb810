"""Measuring a model on this machine: parameters, size on disk, CPU latency of inference and of a training step.

Nothing is looked up: every number comes from the model in hand. The model is left as it was found (same modes,
same BatchNorm statistics, same gradients).
"""

import os
import tempfile
import time
import typing

import torch

from . import checks
from .model import CourseCNN
from .zoo import build_architecture


class ModelStats(typing.NamedTuple):
    """What :func:`measure` found: all of it measured on this machine, none of it looked up."""

    name: str
    parameters: int
    size_bytes: int  # the state dict saved with torch.save, as a file on disk
    latency_ms: float  # one forward pass of batch_size images, best of the repeats
    batch_size: int
    image_size: int
    train_step_ms: float = None  # forward + backward of batch_size images in train mode (when measured)

    @property
    def ms_per_image(self):
        return self.latency_ms / self.batch_size

    @property
    def train_ms_per_image(self):
        return None if self.train_step_ms is None else self.train_step_ms / self.batch_size


def _best_of(repeats, run):
    run()  # warm-up: first passes allocate memory and pick kernels
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def measure(model, image_size=None, batch_size=1, repeats=2, train_step=False):
    """Parameters, size on disk and CPU latency of ``model`` (an ``nn.Module`` or a name from ARCHITECTURES).

    Latency: one warm-up pass, then the best of ``repeats`` timed passes in eval mode without gradients (the
    best, not the mean: on a shared machine every slowdown comes from elsewhere). ``image_size`` defaults to
    32 for the course model and 224 for ImageNet models. With ``train_step=True`` it also times a training
    step's forward and backward pass (train mode; no optimizer step). The model is left as it was found:
    same mode, same BatchNorm statistics, no gradients.
    """
    repeats = checks.whole(repeats, "repeats")
    batch_size = checks.whole(batch_size, "batch_size")
    if isinstance(model, str):
        model = build_architecture(model)

    name = getattr(model, "arch_name", type(model).__name__)
    if image_size is None:
        image_size = 32 if isinstance(model, CourseCNN) or name.startswith("course") else 224
    with tempfile.TemporaryDirectory(prefix="ftlab-size-") as folder:
        path = os.path.join(folder, "weights.pt")
        torch.save(model.state_dict(), path)
        size = os.path.getsize(path)
    device = next(model.parameters()).device
    x = torch.randn(batch_size, 3, image_size, image_size, generator=torch.Generator().manual_seed(0)).to(device)
    was_training = model.training
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    grads = {p: p.grad for p in model.parameters()}
    train_ms = None
    try:
        model.eval()
        with torch.inference_mode():
            latency = _best_of(repeats, lambda: model(x))
        if train_step:
            model.train()
            train_ms = _best_of(repeats, lambda: model(x).float().square().mean().backward())
    finally:
        model.train(was_training)
        with torch.no_grad():
            for n, b in model.named_buffers():
                b.copy_(buffers[n])
        for p, grad in grads.items():
            p.grad = grad
    parameters = sum(p.numel() for p in model.parameters())
    return ModelStats(name, parameters, size, latency, batch_size, image_size, train_ms)
