"""Every experiment trains on the CPU, GPU or not: the claims' thresholds were fitted on CPU runs, and a GPU's kernels
round differently, so a learner with CUDA or Apple MPS would otherwise see other numbers (and maybe a red ✗)."""

import ast
from pathlib import Path

import pytest
import torch

from widgets.engine import training
from widgets.labs import DEVICE, models

LABS = Path(__file__).resolve().parents[2] / "widgets" / "labs"
TRAINS = {"Trainer", "sweep", "lr_range_test"}  # what moves a model to a device (the Trainer's pick_device)


def _calls_without_a_device():
    found = []
    for path in sorted(LABS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in TRAINS and "device" not in {k.arg for k in node.keywords}:
                    found.append(f"{path.name}:{node.lineno} {name}(...)")
    return found


def test_every_training_call_of_the_experiments_names_its_device():
    assert DEVICE == "cpu"
    assert _calls_without_a_device() == []


@pytest.mark.slow  # trains (one step)
def test_an_experiment_trains_on_the_cpu_when_a_gpu_is_there(monkeypatch):
    # No GPU here: the Trainer's default device becomes PyTorch's "meta" one (shapes, no numbers), as it would become
    # "cuda" or "mps" on a learner's machine. An experiment that did not name its device would train there and fail.
    monkeypatch.setattr(training, "pick_device", lambda device=None: torch.device(device or "meta"))
    found = models.frozen_features_once(seeds=(0,), steps=1)
    assert found.holds and found.values["unchanged"] == [1.0]
