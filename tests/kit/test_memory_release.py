"""The memory a lesson needs: big models are counted on the meta device, freed after measuring, and scored in batches.

These tests check the behaviour behind the figures of ``benchmarks/memory.py`` (which prints the megabytes):
what is built, what is freed, how large the batches are. None of them times or weighs anything.
"""

import gc
import weakref

import pytest
import torch

from widgets.kit import data, measure
from widgets.kit.model import CourseCNN
from widgets.labs import models, transfer


def _spy_builds(monkeypatch, module):
    """Replace ``module.build_architecture`` by one that remembers (weakly) every model it built."""
    built = []
    real = module.build_architecture

    def build(*args, **kwargs):
        model = real(*args, **kwargs)
        built.append((weakref.ref(model), all(p.is_meta for p in model.parameters())))
        return model

    monkeypatch.setattr(module, "build_architecture", build)
    return built


def test_counts_build_on_the_meta_device_and_allocate_no_weights(monkeypatch):
    built = _spy_builds(monkeypatch, measure)
    parameters, macs = measure.counts("resnet18")
    assert parameters == 11_689_512 and macs > 10**9
    assert built and all(on_meta for _, on_meta in built)


@pytest.mark.slow
def test_measure_by_name_frees_the_model_it_built(monkeypatch):
    built = _spy_builds(monkeypatch, measure)
    stats = measure.measure("mobilenet_v2", repeats=1)
    assert stats.parameters == 3_504_872
    gc.collect()
    assert len(built) == 1 and built[0][0]() is None  # nobody holds it: its memory can go back


def test_measure_of_a_model_in_hand_leaves_it_alive():
    model = CourseCNN()
    measure.measure(model, repeats=1)
    assert next(model.parameters()).abs().sum() > 0  # the caller's model: measured, not touched


@pytest.mark.slow
def test_saved_sizes_free_each_model_before_the_next(monkeypatch):
    built = _spy_builds(monkeypatch, models)
    models.saved.cache_clear()
    try:
        (parameters, size), (_, size_redrawn) = models.saved("resnet18", (0, 1))
    finally:
        models.saved.cache_clear()
    gc.collect()
    assert parameters == 11_689_512 and 4.0 <= size / parameters < 4.1 and size_redrawn == size
    assert len(built) == 1 and not built[0][1] and built[0][0]() is None  # built once, real weights, and freed


@pytest.mark.slow
def test_release_memory_says_whether_it_could_ask():
    assert measure.release_memory() in (True, False)
    assert isinstance(measure.release_memory(), bool)


def _batch_sizes(module):
    sizes = []
    module.register_forward_hook(lambda _m, inputs, _out: sizes.append(inputs[0].shape[0]))
    return sizes


@pytest.mark.slow
def test_scoring_a_recipe_runs_in_batches():
    _, test = data.target_task(10)
    assert len(test) > transfer.EVAL_BATCH_SIZE
    torch.manual_seed(0)
    model = CourseCNN(num_classes=10).eval()
    sizes = _batch_sizes(model.head)  # scoring runs a fused copy of the model; its head is the model's, hooks and all
    whole = (model(data.normalize(test.images)).argmax(1) == test.labels).float().mean().item()
    sizes.clear()
    assert abs(transfer._accuracy(model, test, 0, None) - whole) < 1e-6
    assert sizes and max(sizes) <= transfer.EVAL_BATCH_SIZE and sum(sizes) == len(test)


@pytest.mark.slow
def test_scoring_a_probe_computes_the_frozen_features_in_batches():
    _, test = data.target_task(10)
    torch.manual_seed(0)
    model = CourseCNN(num_classes=10).eval()
    whole = (model(data.normalize(test.images)).argmax(1) == test.labels).float().mean().item()
    transfer._PRETRAINED_FEATURES.clear()
    frozen, head = _batch_sizes(model[0]), _batch_sizes(model[-1])
    try:
        score = transfer._accuracy(model, test, len(model) - 1, "spy")
    finally:
        transfer._PRETRAINED_FEATURES.clear()
    assert abs(score - whole) < 1e-6
    assert max(frozen) <= transfer.EVAL_BATCH_SIZE and sum(frozen) == len(test)
    assert max(head) <= transfer.EVAL_BATCH_SIZE and sum(head) == len(test)
