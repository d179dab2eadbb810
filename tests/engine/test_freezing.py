"""The one freezing module: any depth, shared weights, BatchNorm held in eval, and the whole state kept and restored."""

import pytest
import torch
import torchvision
from tasks import easy_task
from torch import nn

from widgets import CourseCNN
from widgets.engine.checks import SettingError
from widgets.engine.freezing import freeze, freeze_exactly, shared_names, snapshot, train_mode, unfreeze
from widgets.engine.training import Trainer
from widgets.ui.freeze_explorer import FreezeExplorer


def test_a_sub_block_frozen_in_the_explorer_keeps_its_batchnorm_statistics_while_the_trainer_trains():
    """MobileNetV2 at depth 2, "Unfreeze last 2": features.0 is frozen, and its BatchNorm must not move."""
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(weights=None, num_classes=4)
    explorer = FreezeExplorer(model)
    assert explorer.depth == 2
    explorer.last_n.value = 2
    explorer.presets["last_n"].click()
    assert [n for n, t in explorer.toggles.items() if not t.value] == ["features.18", "classifier.1"]
    frozen_bn = model.features[0][1]
    trained_bn = model.features[18][1]
    before = frozen_bn.running_mean.clone(), trained_bn.running_mean.clone()
    Trainer(model, easy_task(n=16), lr=1e-3, batch_size=8, augment=False).fit(2, eval_every=0)
    assert torch.equal(frozen_bn.running_mean, before[0])
    assert not torch.equal(trained_bn.running_mean, before[1])


def test_train_mode_holds_every_fully_frozen_part_in_eval_at_any_depth():
    model = CourseCNN(width=8)
    freeze(model, "conv1", "conv2.1")  # a whole block, and one BatchNorm layer inside another
    train_mode(model)
    assert not model.conv1.training and not model.conv1[1].training
    assert not model.conv2[1].training and model.conv2.training and model.conv2[0].training
    assert model.conv3.training and model.head.training


class Tied(nn.Module):
    """An encoder and a decoder that share one weight matrix (tied weights), then a head."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(8, 8)
        self.decoder = nn.Linear(8, 8)
        self.decoder.weight = self.encoder.weight
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.decoder(torch.relu(self.encoder(x.flatten(1)[:, :8]))))


def test_freezing_the_second_module_of_a_shared_weight_freezes_that_weight():
    model = Tied()
    freeze(model, "decoder")
    assert not model.encoder.weight.requires_grad and not model.decoder.weight.requires_grad
    assert model.encoder.bias.requires_grad and not model.decoder.bias.requires_grad
    assert shared_names(model)["decoder.weight"] == ["encoder.weight"]
    unfreeze(model, "decoder")
    assert model.encoder.weight.requires_grad


def test_a_model_with_shared_weights_trains_without_a_raw_torch_error():
    torch.manual_seed(0)
    model = Tied()
    x, y = easy_task(n=32, classes=3)
    history = Trainer(model, (x, y), lr=1e-2, augment=False).fit(5, eval_every=0)
    assert history.status == "done"
    assert model.decoder.weight is model.encoder.weight


def test_the_explorer_says_when_a_toggle_also_changes_a_shared_weight():
    model = Tied()
    explorer = FreezeExplorer(model)
    explorer.toggles["decoder"].value = True
    assert "shared with encoder.weight" in explorer.message.value
    assert not model.encoder.weight.requires_grad


def test_snapshot_restores_weights_buffers_flags_modes_and_gradients():
    torch.manual_seed(0)
    model = CourseCNN(width=8)
    freeze(model, "conv1")
    model.eval()
    model(torch.randn(2, 3, 32, 32)).sum().backward()
    state = snapshot(model)
    assert state.differences(model) == []
    with torch.no_grad():
        model.conv2[0].weight.add_(1)
    model.conv3[1].running_mean.add_(1)
    unfreeze(model)
    model.train()
    model.head.weight.grad = None
    model.conv2[0].weight.grad.add_(5)
    assert set(state.differences(model)) >= {"requires_grad flags", "train/eval modes", ".grad"}
    state.restore(model)
    assert state.differences(model) == []
    assert not model.training and not model.conv1[0].weight.requires_grad and model.head.weight.grad is not None


def test_freeze_exactly_is_a_preset():
    model = freeze_exactly(CourseCNN(width=8), ("conv1", "conv2"))
    assert [n for n, p in model.named_parameters() if p.requires_grad][0].startswith("conv3")
    assert all(p.requires_grad for p in freeze_exactly(model, ()).parameters())


def test_an_unknown_name_is_refused_with_the_valid_ones():
    with pytest.raises(SettingError, match="top-level blocks are: conv1, conv2, conv3, pool, head"):
        freeze(CourseCNN(width=8), "conv4")


def test_snapshot_sees_and_puts_back_memory_layout_device_dtype_and_replaced_layers():
    """A channels-last weight holds the same numbers, yet ``weight.view(-1)`` raises on it: a layout is part of the
    model. So are its device, its dtype and its layer objects (an optimizer holds the very tensors)."""
    torch.manual_seed(0)
    model = CourseCNN(width=8)
    weight, head = model.conv1[0].weight, model.head
    state = snapshot(model)
    changes = {
        "memory layout of conv1.0.weight": lambda m: m.to(memory_format=torch.channels_last),
        "device, dtype or shape of conv1.0.weight": lambda m: m.to("meta"),
        "device, dtype or shape of conv1.0": lambda m: m.double(),
        "layers (head": lambda m: setattr(m, "head", nn.Linear(m.feature_dim, 3)),
    }
    for said, change in changes.items():
        change(model)
        assert any(d.startswith(said) for d in state.differences(model)), (said, state.differences(model))
        state.restore(model)
        assert state.differences(model) == [], said
        assert model.conv1[0].weight is weight and model.head is head
        assert weight.device.type == "cpu" and weight.dtype == torch.float32 and weight.is_contiguous()
        assert weight.view(-1).numel() == weight.numel()


@pytest.mark.parametrize("call", [
    lambda m: freeze(m, ""),
    lambda m: freeze(m, *"conv1,".split(",")),  # the slip that froze the whole model
    lambda m: unfreeze(m, "  "),
    lambda m: freeze_exactly(m, ["conv1", ""]),
], ids=["freeze-empty", "freeze-split-comma", "unfreeze-blank", "freeze_exactly-empty"])
def test_an_empty_or_blank_name_is_refused_naming_the_setting_and_nothing_changes(call):
    model = freeze(CourseCNN(width=8), "conv2")
    before = snapshot(model)
    with pytest.raises(SettingError, match=r"(names|frozen) must not be empty: '\s*' names no part"):
        call(model)
    assert before.differences(model) == []


def test_freeze_exactly_takes_one_name_as_text_and_refuses_what_is_not_names():
    model = freeze_exactly(CourseCNN(width=8), "conv1")  # one name, not the letters c, o, n, v, 1
    assert [n for n, p in model.named_parameters() if not p.requires_grad] == ["conv1.0.weight", "conv1.0.bias",
                                                                                "conv1.1.weight", "conv1.1.bias"]
    before = snapshot(model)
    for bad in (5, 2.5, {"conv1": True}, [None]):
        with pytest.raises(SettingError, match="frozen must be"):
            freeze_exactly(model, bad)
    assert before.differences(model) == []
