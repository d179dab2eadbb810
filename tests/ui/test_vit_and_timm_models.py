"""The tools of lessons 02 and 04 on the 2020s models of lesson 08: the parameter counts and the LR finder take the
course ViT and a timm model built with ``pretrained=False`` (timm's tiny ``test_vit`` at 32 px, the course's images),
and the finder gives each model back exactly as it found it."""

import pytest
import timm
import torch

import widgets
from widgets.engine.finder import lr_range_test
from widgets.engine.freezing import freeze, unfreeze
from widgets.engine.params import block_table, count_parameters
from widgets.kit.data import target_task
from widgets.ui.lr_finder import LRFinder

MODELS = {
    "course_vit": lambda: widgets.load_course_vit(num_classes=10),
    "timm test_vit": lambda: timm.create_model("test_vit", pretrained=False, num_classes=10, img_size=32),
}


def _model(name):
    torch.manual_seed(0)
    return MODELS[name]()


def _state(model):
    return ({k: v.clone() for k, v in model.state_dict().items()},
            {n: p.requires_grad for n, p in model.named_parameters()}, model.training)


def _same(model, state):
    tensors, flags, training = state
    return (all(torch.equal(v, tensors[k]) for k, v in model.state_dict().items())
            and flags == {n: p.requires_grad for n, p in model.named_parameters()} and model.training == training)


@pytest.mark.parametrize("name, blocks", [("course_vit", ["block1", "block2", "block3", "block4"]),
                                          ("timm test_vit", ["blocks"])])
def test_parameter_counts_and_the_block_table_read_the_vits_blocks_and_what_trains(name, blocks):
    model = _model(name)
    total = sum(p.numel() for p in model.parameters())
    rows = {row.name: row.parameters for row in block_table(model)}
    assert set(blocks) <= set(rows) and sum(rows.values()) == total
    freeze(model)
    unfreeze(model, "head")
    head = sum(p.numel() for p in model.head.parameters())
    assert count_parameters(model) == (total, head, total - head)
    assert head == 10 * (model.head.in_features + 1)


@pytest.mark.slow  # trains each model for a few steps
@pytest.mark.parametrize("name", list(MODELS))
def test_the_lr_finder_runs_on_the_vits_and_gives_each_back_exactly(name):
    model = _model(name)
    train, _ = target_task(n_per_class=2)
    freeze(model)
    unfreeze(model, "head")  # the learner's own freezing: the finder must leave it as it was
    before = _state(model)
    result = lr_range_test(model, train, start=1e-5, end=1.0, steps=8, batch_size=10)
    assert len(result.lrs) >= 3 and result.lrs[0] == pytest.approx(1e-5) and result.suggestion > 0
    assert _same(model, before)
    finder = LRFinder(model, train, start=1e-5, end=1.0, steps=8)  # the widget: every layer trains in its test
    assert finder.run() is not None and f"{finder.result.suggestion:.0e}" in finder.explanation.value
    assert _same(model, before) and "exactly as before" in finder.runner.status.value
