import pytest
import torch
from tasks import easy_task

from widgets import CourseCNN
from widgets.engine.checks import SettingError
from widgets.engine.freezing import freeze
from widgets.engine.layer_decay import layer_decay_rates
from widgets.engine.training import Trainer


def test_each_block_gets_decay_times_the_rate_of_the_block_above_it():
    rates = layer_decay_rates(["conv1", "conv2", "conv3", "head"], 1e-2, 0.5)
    assert list(rates) == ["conv1", "conv2", "conv3", "head"]
    assert rates == pytest.approx({"conv1": 1.25e-3, "conv2": 2.5e-3, "conv3": 5e-3, "head": 1e-2})


def test_a_decay_of_one_is_the_uniform_rate():
    assert set(layer_decay_rates(["a", "b", "c"], 3e-3, 1.0).values()) == {3e-3}


def test_from_a_model_only_its_trainable_blocks_get_a_rate_and_the_trainer_takes_them():
    torch.manual_seed(0)
    model = freeze(CourseCNN(num_classes=4, width=8), "conv1")
    rates = layer_decay_rates(model, 1e-2, 0.1)
    assert rates == pytest.approx({"conv2": 1e-4, "conv3": 1e-3, "head": 1e-2})  # conv1 frozen, pool has no weights
    trainer = Trainer(model, easy_task(), lr=rates, augment=False, device="cpu")
    assert [g["lr"] for g in trainer.optimizer.param_groups] == pytest.approx([1e-4, 1e-3, 1e-2])


@pytest.mark.parametrize(("names", "base_lr", "decay"), [
    ([], 1e-2, 0.5), ("conv1", 1e-2, 0.5), (["a", "a"], 1e-2, 0.5),
    (["a", "b"], 0, 0.5), (["a", "b"], float("nan"), 0.5), (["a", "b"], 1e-2, 0), (["a", "b"], 1e-2, 1.5),
    (["a", "b"], 1e-2, "fast"),
])
def test_bad_settings_are_refused_with_a_message(names, base_lr, decay):
    with pytest.raises(SettingError):
        layer_decay_rates(names, base_lr, decay)
