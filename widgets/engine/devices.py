"""Where training runs: a GPU (CUDA or Apple MPS) when there is one, the CPU otherwise, or the device asked for,
checked against what this machine has (a device it lacks is a message, not a driver's traceback halfway through)."""

import torch

from .checks import TrainingError


def _mps_available():
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def _cuda_count():
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def devices_here():
    """The devices this machine can train on, by name: ``["cpu", "cuda:0", ...]``."""
    return ["cpu", *(f"cuda:{i}" for i in range(_cuda_count())), *(["mps"] if _mps_available() else [])]


def _usable(device):
    index = device.index or 0
    if index < 0:
        return False
    if device.type == "cpu":
        return index == 0
    if device.type == "cuda":
        return index < _cuda_count()
    return device.type == "mps" and index == 0 and _mps_available()


def pick_device(device=None):
    """``device`` if given (and this machine has it), else CUDA, else Apple MPS, else the CPU."""
    if device is not None:
        try:
            chosen = torch.device(device)
        except (RuntimeError, TypeError, ValueError):
            raise TrainingError(f"device must be a name such as 'cpu' or 'cuda'; got {device!r}.") from None
        if not _usable(chosen) or isinstance(device, int) and chosen.index != device:  # torch wraps 100000 to -96
            raise TrainingError(f"device must be one this machine has ({', '.join(devices_here())}); got {device!r}.")
        return chosen
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")
