"""Measuring a model on this machine: parameters, size on disk, multiply-adds, CPU latency of inference and of a
training step.

Nothing is looked up: every number comes from the model in hand. The model is left as it was found (same modes,
same BatchNorm statistics, same gradients).

Two kinds of numbers. Parameters, file size and multiply-adds are counts: the same on every machine, every run,
for any values of the weights. Latencies are timings: they depend on the machine and on what else it is doing.
A timing is taken as the FASTEST of several repeats, each after a warm-up and long enough to be timed well
(as Python's ``timeit`` advises): other programs can only slow a run down, never speed it up, so the fastest
repeat is the closest to what the model itself costs here. All repeats are kept (``latency_runs_ms``), so the
spread can be shown too. Timings run on ONE thread by default: on a shared machine, a multi-threaded pass keeps
waiting for a thread that another program holds (a 12-million multiply-add pass measured 5 ms on one thread
and 330 ms on two, on a busy 2-core machine). Timings are shown as measured; the course never turns one into
a claim.
"""

import math
import time
import typing

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..engine import checks
from .model import CourseCNN
from .zoo import build_architecture


class ModelStats(typing.NamedTuple):
    """What :func:`measure` found: all of it measured on this machine, none of it looked up."""

    name: str
    parameters: int
    size_bytes: int  # the state dict saved with torch.save, as a file on disk
    latency_ms: float  # one forward pass of batch_size images: the fastest of the repeats
    batch_size: int
    image_size: int
    train_step_ms: float = None  # forward + backward of batch_size images in train mode (when measured)
    multiply_adds: int = None  # per forward pass of batch_size images (convolutions and matrix products)
    latency_runs_ms: tuple = ()  # every repeat's time per forward pass: the spread a busy machine adds
    threads: int = 1  # CPU threads the timings ran on

    @property
    def ms_per_image(self):
        return self.latency_ms / self.batch_size

    @property
    def train_ms_per_image(self):
        return None if self.train_step_ms is None else self.train_step_ms / self.batch_size

    @property
    def multiply_adds_per_image(self):
        return None if self.multiply_adds is None else self.multiply_adds // self.batch_size


#: one timed repeat lasts at least this long (a loop of calls for a fast model): a clock reads short times badly
MIN_REPEAT_MS = 20.0


def timings(run, repeats, min_repeat_ms=MIN_REPEAT_MS):
    """Milliseconds per call of ``run()``, once per repeat, after a warm-up call.

    Each repeat calls ``run`` in a loop of as many calls as make it last ``min_repeat_ms`` (at least one call),
    and reports the time per call. Report ``min()`` of the result: see the module docstring.
    """
    repeats = checks.whole(repeats, "repeats")
    run()  # warm-up: the first call allocates memory and picks kernels
    start = time.perf_counter()
    run()
    once_ms = (time.perf_counter() - start) * 1000
    calls = max(1, math.ceil(min_repeat_ms / max(once_ms, 1e-3)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            run()
        times.append((time.perf_counter() - start) * 1000 / calls)
    return times


def multiply_adds(model, x):
    """Multiply-adds of one forward pass of ``model`` on ``x`` (convolutions and matrix products), counted by
    PyTorch's ``FlopCounterMode`` (one multiply-add = 2 floating-point operations). A count, not a timing: the
    same on any machine and for any values of the weights."""
    with FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops() // 2


class _ByteCounter:
    """A write-only file that keeps nothing but the number of bytes written to it."""

    def __init__(self):
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return len(data)

    def flush(self):
        pass


def file_size(model):
    """Bytes of ``model``'s state dict saved with ``torch.save``: what its weights file takes on disk.

    The bytes are counted as ``torch.save`` writes them, not stored: ResNet152's 236 MB never touch the disk or
    the memory (a test checks the count against a real file)."""
    counter = _ByteCounter()
    torch.save(model.state_dict(), counter)
    return counter.size


def default_image_size(model_or_name):
    name = model_or_name if isinstance(model_or_name, str) else getattr(model_or_name, "arch_name", "")
    return 32 if isinstance(model_or_name, CourseCNN) or name.startswith("course") else 224


def counts(name, image_size=None):
    """``(parameters, multiply-adds per image)`` of a named architecture, built on PyTorch's ``meta`` device: no
    weights are made, so even ResNet152 is counted in an instant. Counts do not depend on the weights."""
    image_size = image_size or default_image_size(name)
    with torch.device("meta"):
        model = build_architecture(name)
        x = torch.zeros(1, 3, image_size, image_size)
    model.eval()
    return sum(p.numel() for p in model.parameters()), multiply_adds(model, x)


def measure(model, image_size=None, batch_size=1, repeats=5, train_step=False, threads=1):
    """Parameters, size on disk, multiply-adds and CPU latency of ``model`` (an ``nn.Module`` or a name from
    ARCHITECTURES).

    Latency: the fastest of ``repeats`` timed repeats (see :func:`timings`) of a forward pass in eval mode
    without gradients; every repeat is kept in ``latency_runs_ms``. ``image_size`` defaults to 32 for the course
    model and 224 for ImageNet models. With ``train_step=True`` it also times a training step's forward and
    backward pass (train mode; no optimizer step). Timings use ``threads`` CPU threads (``None``: PyTorch's
    setting). The model is left as it was found: same mode, same BatchNorm statistics, no gradients; and
    PyTorch's thread setting is put back.
    """
    repeats = checks.whole(repeats, "repeats")
    threads = torch.get_num_threads() if threads is None else checks.whole(threads, "threads")
    batch_size = checks.whole(batch_size, "batch_size")
    if isinstance(model, str):  # built here, measured, and freed on return (see the end)
        return _measure_and_free(build_architecture(model), image_size, batch_size, repeats, train_step, threads)

    name = getattr(model, "arch_name", type(model).__name__)
    image_size = image_size or default_image_size(model)
    size = file_size(model)
    device = next(model.parameters()).device
    x = torch.randn(batch_size, 3, image_size, image_size, generator=torch.Generator().manual_seed(0)).to(device)
    was_training = model.training
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    grads = {p: p.grad for p in model.parameters()}
    train_ms = None
    threads_before = torch.get_num_threads()
    try:
        torch.set_num_threads(threads)
        model.eval()
        with torch.inference_mode():
            macs = multiply_adds(model, x)
            runs = timings(lambda: model(x), repeats)
        if train_step:
            model.train()
            train_ms = min(timings(lambda: model(x).float().square().mean().backward(), repeats))
    finally:
        torch.set_num_threads(threads_before)
        model.train(was_training)
        with torch.no_grad():
            for n, b in model.named_buffers():
                b.copy_(buffers[n])
        for p, grad in grads.items():
            p.grad = grad
    parameters = sum(p.numel() for p in model.parameters())
    return ModelStats(name, parameters, size, min(runs), batch_size, image_size, train_ms, macs, tuple(runs), threads)


def _measure_and_free(model, *args):
    """:func:`measure` of a model nobody else holds; its memory is given back before the numbers are returned."""
    stats = measure(model, *args)
    del model
    release_memory()
    return stats


def release_memory():
    """Give the memory of freed objects back to the operating system; True where that could be asked.

    A big model's weights are many tensors of a few MB, which the C allocator (glibc's malloc) takes from its
    heap; once freed, it keeps those pages for later use, so the kernel's memory stays as high as with the model
    alive (ResNet152: about 150 MB of its 235 MB). Tensors above 32 MB, such as a batch of activations, never
    reuse those pages: they stack on top. ``malloc_trim`` hands the free pages back.
    """
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): their allocators give memory back
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
    return True
