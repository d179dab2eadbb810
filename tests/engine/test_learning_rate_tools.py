import math

import pytest
import torch
from tasks import easy_task

from widgets import CourseCNN
from widgets.engine import stacked
from widgets.engine.checks import TrainingError
from widgets.engine.finder import lr_range_test
from widgets.engine.freezing import snapshot
from widgets.engine.schedules import SCHEDULES, schedule_curve
from widgets.engine.sweep import can_vmap, sweep
from widgets.engine.training import Trainer


def small_model(frozen=("conv1", "conv2", "conv3"), seed=0):
    torch.manual_seed(seed)
    model = CourseCNN(num_classes=4, width=8)
    for name in frozen:
        for p in getattr(model, name).parameters():
            p.requires_grad_(False)
    return model


# ---- schedules -------------------------------------------------------------------------------------


def test_every_schedule_starts_and_ends_where_it_says():
    lr, steps = 1e-2, 30
    curves = {name: schedule_curve(name, steps, lr) for name in SCHEDULES}
    assert curves["constant"] == [lr] * steps
    assert curves["step"][9] == pytest.approx(lr) and curves["step"][10] == pytest.approx(lr * 0.1)
    # Keras' ExponentialDecay: lr * decay_rate ** (step / decay_steps)
    assert curves["exponential"] == pytest.approx([lr * 0.1 ** (s / steps) for s in range(steps)])
    assert curves["cosine"][0] == lr and curves["cosine"][-1] < lr * 0.01
    assert max(curves["onecycle"]) == pytest.approx(lr, rel=0.05) and curves["onecycle"][0] < lr / 10
    assert curves["warmup"][0] == pytest.approx(lr / 10) and curves["warmup"][-1] == pytest.approx(lr)


def test_schedule_options_are_applied():
    curve = schedule_curve({"name": "exponential", "decay_steps": 5, "decay_rate": 0.5}, 11, 1.0)
    assert curve[5] == pytest.approx(0.5) and curve[10] == pytest.approx(0.25)


@pytest.mark.parametrize(
    "schedule, message",
    [
        ("linear", "unknown schedule 'linear'"),
        ({"name": "step", "gama": 0.5}, "no option 'gama'"),
        ({"name": "step", "gamma": 0}, "gamma"),
        ({"name": "exponential", "decay_rate": float("nan")}, "decay_rate"),
        ({"name": "warmup", "warmup_steps": -3}, "warmup_steps"),
        (42, "a schedule is a name"),
    ],
)
def test_bad_schedules_get_a_clear_message(schedule, message):
    with pytest.raises(TrainingError, match=message):
        schedule_curve(schedule, 10)


@pytest.mark.parametrize("steps", [1, 2, 3, 5])
def test_every_schedule_draws_a_short_run_or_names_its_minimum(steps):
    for name in SCHEDULES:
        if name == "onecycle":  # its warm-up (30% of the run by default) must last a whole step
            with pytest.raises(TrainingError, match=f"one-cycle with pct_start 0.3 needs at least 6 steps.*{steps}"):
                schedule_curve(name, steps, 1e-3)
        else:
            assert len(schedule_curve(name, steps, 1e-3)) == steps, name
    assert len(schedule_curve("onecycle", 6, 1e-3)) == 6
    assert len(schedule_curve({"name": "onecycle", "pct_start": 0.99}, 2, 1e-3)) == 2


@pytest.mark.parametrize("call", [
    lambda: schedule_curve("cosine", 100_000, 1e-3),
    lambda: schedule_curve({"name": "step", "step_size": 10**9}, 60, 1e-3),
    lambda: Trainer(small_model(), easy_task()).fit(10**6),
    lambda: lr_range_test(small_model(), easy_task(), steps=10**6),
], ids=["curve", "step_size", "fit", "range-test"])
def test_every_step_count_has_an_upper_bound_with_a_message(call):
    with pytest.raises(TrainingError, match="must be a whole number between 1 and 10,000"):
        call()


def test_the_trainer_follows_the_schedule_curve():
    history = Trainer(small_model(), easy_task(), lr=1e-2, schedule="cosine").fit(12, eval_every=12)
    assert history.lr == pytest.approx(schedule_curve("cosine", 12, 1e-2), abs=1e-12)


# ---- LR range test -----------------------------------------------------------------------------------


def test_range_test_restores_the_model_exactly_and_suggests_a_rate_it_tried():
    model = small_model(frozen=())
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = lr_range_test(model, easy_task(), start=1e-5, end=10, steps=40)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert model.training
    assert result.lrs[0] == pytest.approx(1e-5) and result.lrs == sorted(result.lrs)
    assert len(result.lrs) == len(result.losses) == len(result.smoothed) <= 40
    assert result.lrs[0] <= result.steepest <= result.lrs[-1]
    assert result.suggestion == result.min_over_10
    assert result.ended == "blew up" and "the loss blew up" in result.message


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_range_test_gives_the_model_back_in_its_own_memory_layout(layout):
    """Before: the Trainer turned the caller's weights channels-last, and the test gave the model back so
    (``weight.view(-1)`` raised) while it said the model was exactly as before."""
    model = small_model(frozen=()).to(memory_format=layout)
    before = snapshot(model)
    lr_range_test(model, easy_task(), start=1e-5, end=10, steps=20)
    assert before.differences(model) == []
    assert all(p.is_contiguous(memory_format=layout) for p in model.parameters() if p.dim() == 4)
    if layout == torch.contiguous_format:
        assert all(p.view(-1).numel() == p.numel() for p in model.parameters())


def test_range_test_stops_once_the_loss_blows_up():
    result = lr_range_test(small_model(frozen=()), easy_task(), start=1e-4, end=10, steps=60)
    assert len(result.lrs) < 60 and result.lrs[-1] < 10
    assert "blew up" in result.message


def test_range_test_refuses_a_backwards_range():
    with pytest.raises(TrainingError, match="above the start rate"):
        lr_range_test(small_model(), easy_task(), start=1e-1, end=1e-3)


# ---- sweeps ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fused", [True, False], ids=["fused Adam", "Adam written out"])
def test_all_at_once_matches_one_after_another_and_leaves_the_model_alone(fused, monkeypatch):
    # the wide head steps with PyTorch's fused Adam where it has one, with Adam written out where it has not
    if fused and tuple(int(n) for n in torch.__version__.split(".")[:2]) >= (2, 4):
        assert stacked.has_fused_adam(torch.device("cpu"))  # a CPU kernel since PyTorch 2.4: this test uses it
    monkeypatch.setattr(stacked, "has_fused_adam", lambda device, found=stacked.has_fused_adam: fused and found(device))
    model = small_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    lrs = [1e-3, 1e-2, 1e-1, 10.0]
    together = sweep(model, easy_task(), easy_task(seed=1), lrs, 25, method="auto")
    apart = sweep(model, easy_task(), easy_task(seed=1), lrs, 25, method="sequential")
    assert together.method == "vmap" and apart.method == "sequential"
    for a, b in zip(together.loss, apart.loss):
        assert a == pytest.approx(b, rel=1e-3, abs=1e-4)
    assert together.val_acc == pytest.approx(apart.val_acc, abs=1 / 64)
    assert together.status == apart.status and together.status[-1] == "diverged"
    assert together.diverged == [10.0]
    assert lrs[together.best] != 10.0
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_trainable_batchnorm_or_augmentation_means_one_after_another():
    assert can_vmap(small_model())
    assert not can_vmap(small_model(frozen=("conv1", "conv2")))  # conv3 has BatchNorm
    assert not can_vmap(small_model(), augment=True)
    result = sweep(small_model(frozen=("conv1", "conv2")), easy_task(), None, [1e-3, 1e-2], 5)
    assert result.method == "sequential" and len(result.histories) == 2
    with pytest.raises(TrainingError, match="all-at-once"):
        sweep(small_model(frozen=("conv1",)), easy_task(), None, [1e-3], 5, method="vmap")


def test_sweep_measures_forgetting_with_the_original_head():
    model = small_model(frozen=())
    Trainer(model, easy_task(seed=2), lr=3e-3).fit(30)
    head = torch.nn.Linear(model.feature_dim, 4)
    head.load_state_dict(model.head.state_dict())
    fight = (easy_task(seed=3)[0], torch.randperm(64) % 4)
    result = sweep(model, fight, None, [1e-5, 3e-1], 20, source=(easy_task(seed=2), head))
    assert result.source_acc[0] > 0.9 > result.source_acc[1]


@pytest.mark.parametrize("lrs", [[0.0], ["x"], [math.nan], []])
def test_sweep_refuses_bad_rates(lrs):
    with pytest.raises(TrainingError):
        sweep(small_model(), easy_task(), None, lrs, 5)


def test_a_deeper_head_without_batchnorm_also_trains_all_at_once():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4)
    )
    lrs = [1e-3, 3e-2]  # two trainable linear layers: the general torch.func path, not the one-wide-head one
    together = sweep(model, easy_task(), easy_task(seed=1), lrs, 15)
    apart = sweep(model, easy_task(), easy_task(seed=1), lrs, 15, method="sequential")
    assert together.method == "vmap"
    for a, b in zip(together.loss, apart.loss):
        assert a == pytest.approx(b, rel=1e-3, abs=1e-4)
    assert together.val_acc == pytest.approx(apart.val_acc, abs=1 / 64)
