"""Counting, freezing and unfreezing parameters; the BatchNorm truth and its fix."""

import pytest
import torch
import torchvision
from torch import nn

from widgets import CourseCNN
from widgets.engine.freezing import freeze, freeze_batchnorm, unfreeze
from widgets.engine.params import (
    auto_depth,
    batchnorm_drift,
    block_table,
    blocks,
    count_parameters,
    freeze_code,
    python_path,
)


@pytest.fixture
def resnet18():
    return torchvision.models.resnet18(weights=None)


def test_count_matches_the_scalars_in_every_parameter():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    counts = count_parameters(model)
    assert counts.total == (3 * 4 + 4) + (4 * 2 + 2)
    assert counts.trainable == counts.total and counts.frozen == 0
    model[0].weight.requires_grad_(False)
    counts = count_parameters(model)
    assert (counts.trainable, counts.frozen) == (counts.total - 12, 12)


def test_shared_parameter_counts_once():
    layer = nn.Linear(5, 5)
    model = nn.Sequential(layer, layer)
    assert count_parameters(model).total == 30


def test_resnet18_head_only_has_5130_trainable_parameters(resnet18):
    freeze(resnet18)
    resnet18.fc = nn.Linear(resnet18.fc.in_features, 10)
    counts = count_parameters(resnet18)
    assert counts.trainable == 512 * 10 + 10 == 5130
    assert counts.total == counts.trainable + counts.frozen
    assert "5,130 trainable" in str(counts)


def test_freeze_everything_leaves_no_parameter_requiring_grad(resnet18):
    assert freeze(resnet18) is resnet18
    assert sum(p.requires_grad for p in resnet18.parameters()) == 0
    unfreeze(resnet18)
    assert all(p.requires_grad for p in resnet18.parameters())


def test_freeze_by_block_prefix_and_parameter_name(resnet18):
    freeze(resnet18, "layer4", "fc.bias")
    for name, param in resnet18.named_parameters():
        expected = not (name.startswith("layer4.") or name == "fc.bias")
        assert param.requires_grad == expected, name
    unfreeze(resnet18, "layer4.1")
    assert all(p.requires_grad for p in resnet18.layer4[1].parameters())
    assert not any(p.requires_grad for p in resnet18.layer4[0].parameters())


def test_prefix_does_not_match_a_longer_name():
    model = nn.Sequential()
    for i in range(12):
        model.add_module(f"layer{i}", nn.Linear(2, 2))
    freeze(model, "layer1")
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert frozen == ["layer1.weight", "layer1.bias"]  # not layer10, layer11


def test_dotted_names_into_sequential_containers():
    model = torchvision.models.mobilenet_v2(weights=None)
    freeze(model, "features.0")
    assert not any(p.requires_grad for p in model.features[0].parameters())
    assert all(p.requires_grad for p in model.features[1].parameters())


def test_unknown_name_lists_the_valid_ones(resnet18):
    with pytest.raises(ValueError) as error:
        freeze(resnet18, "layr4")
    message = str(error.value)
    for block in ("conv1", "layer1", "layer4", "fc"):
        assert block in message
    assert "Did you mean 'layer4'" in message
    assert all(p.requires_grad for p in resnet18.parameters())  # nothing changed


def test_a_module_without_parameters_is_a_valid_name(resnet18):
    freeze(resnet18, "relu", "avgpool")
    assert count_parameters(resnet18).frozen == 0


def test_block_table_rows_add_up_and_report_state(resnet18):
    freeze(resnet18, "conv1", "layer1", "layer2.0")
    rows = {row.name: row for row in block_table(resnet18)}
    assert list(rows)[:2] == ["conv1", "bn1"] and list(rows)[-1] == "fc"
    assert sum(r.parameters for r in rows.values()) == count_parameters(resnet18).total
    assert sum(r.trainable for r in rows.values()) == count_parameters(resnet18).trainable
    assert rows["conv1"].state == "frozen" and rows["conv1"].kind == "Conv2d"
    assert rows["layer2"].state == "partly"
    assert rows["layer3"].state == "trainable" and rows["layer3"].kind == "Sequential"
    assert rows["relu"].state == "no parameters" and rows["relu"].parameters == 0
    assert rows["fc"].parameters == 512 * 1000 + 1000


@pytest.mark.slow
def test_blocks_at_depth_two_cover_every_parameter_once():
    model = torchvision.models.vit_b_16(weights=None)
    top = [name for name, _ in blocks(model)]
    assert "class_token" in top and "encoder" in top  # a parameter held directly is a block of its own
    deeper = [name for name, _ in blocks(model, depth=2)]
    assert "encoder.pos_embedding" in deeper and "encoder.layers" in deeper
    for depth in (1, 2, 3):
        assert sum(r.parameters for r in block_table(model, depth)) == count_parameters(model).total
    with pytest.raises(ValueError):
        blocks(model, depth=0)


def test_auto_depth_finds_real_blocks():
    assert auto_depth(torchvision.models.resnet18(weights=None)) == 1
    mobilenet = torchvision.models.mobilenet_v2(weights=None)
    assert auto_depth(mobilenet) == 2
    assert [name for name, _ in blocks(mobilenet, 2)][:2] == ["features.0", "features.1"]


def test_python_path_gives_an_expression_that_evaluates_to_the_module():
    model = torchvision.models.mobilenet_v2(weights=None)
    for name in ("features.0", "features.17.conv.0", "classifier.1"):
        assert eval(python_path(name), {"model": model}) is model.get_submodule(name)
    assert python_path("encoder.layers.encoder_layer_0") == "model.encoder.layers.encoder_layer_0"


def _one_train_mode_pass(model, seed=0):
    torch.manual_seed(seed)
    model.train()
    with torch.no_grad():
        model(torch.randn(16, 3, 32, 32) * 3 + 1)


def test_requires_grad_false_does_not_stop_batchnorm_statistics():
    model = CourseCNN()
    freeze(model)
    before = model.conv1[1].running_mean.clone()
    _one_train_mode_pass(model)
    assert not torch.equal(model.conv1[1].running_mean, before)  # frozen, yet its statistics moved


def test_freeze_batchnorm_keeps_frozen_layers_in_eval_mode():
    model = CourseCNN()
    freeze(model, "conv1", "conv2")
    held = freeze_batchnorm(model)
    assert held == ["conv1.1", "conv2.1"]
    assert freeze_batchnorm(model) == held  # a second call changes nothing
    assert len(model.conv1[1]._forward_pre_hooks) == 1
    frozen_stats = model.conv1[1].running_mean.clone()
    trained_stats = model.conv3[1].running_mean.clone()
    _one_train_mode_pass(model)  # model.train() puts every layer in train mode: the hook undoes it for frozen BN
    assert torch.equal(model.conv1[1].running_mean, frozen_stats)
    assert not model.conv1[1].training and not model.conv2[1].training
    assert model.conv3[1].training  # a trainable block's BN trains as usual
    assert not torch.equal(model.conv3[1].running_mean, trained_stats)


def test_unfrozen_batchnorm_trains_again_after_model_train():
    model = CourseCNN()
    freeze(model, "conv1")
    freeze_batchnorm(model)
    unfreeze(model, "conv1")
    before = model.conv1[1].running_mean.clone()
    _one_train_mode_pass(model)
    assert not torch.equal(model.conv1[1].running_mean, before)


def test_freeze_batchnorm_without_affine_follows_its_block():
    model = nn.Sequential(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4, affine=False)), nn.Flatten())
    freeze(model, "0")
    assert freeze_batchnorm(model) == ["0.1"]
    before = model[0][1].running_mean.clone()
    model.train()
    model(torch.randn(4, 3, 8, 8))
    assert torch.equal(model[0][1].running_mean, before)


def test_batchnorm_drift_moves_when_frozen_and_stays_put_with_the_fix():
    images = torch.randn(64, 3, 32, 32) * 2 + 0.5
    model = freeze(CourseCNN())
    drift = batchnorm_drift(model, images, steps=4, batch_size=8)
    assert len(drift) == 4 and drift[0] > 0 and drift[-1] > drift[0]
    weights = [p.clone() for p in model.parameters()]
    fixed = freeze(CourseCNN())
    freeze_batchnorm(fixed)
    assert batchnorm_drift(fixed, images, steps=4, batch_size=8) == [0.0] * 4
    assert all(torch.equal(a, b) for a, b in zip(weights, model.parameters()))  # only statistics moved


def test_freeze_code_picks_the_shorter_description():
    model = torchvision.models.resnet18(weights=None)
    assert freeze_code(model).startswith("# nothing is frozen")
    freeze(model)
    unfreeze(model, "fc")
    assert freeze_code(model).splitlines() == [
        "model.requires_grad_(False)  # freeze everything",
        "model.fc.requires_grad_(True)  # then unfreeze what should train",
    ]
    unfreeze(model)
    freeze(model, "conv1", "layer2.0.conv1")
    assert freeze_code(model, var="net").splitlines() == [
        "net.conv1.requires_grad_(False)  # freeze these; the rest trains",
        "net.layer2[0].conv1.requires_grad_(False)",
    ]
