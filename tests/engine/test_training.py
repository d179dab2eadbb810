import math

import pytest
import torch
from tasks import easy_task

from widgets import CourseCNN
from widgets.engine.checks import TrainingError
from widgets.engine.freezing import frozen_prefix
from widgets.engine.history import weight_drift
from widgets.engine.training import Trainer, evaluate


def small_model(classes=4, seed=0):
    torch.manual_seed(seed)
    return CourseCNN(num_classes=classes, width=8)


def freeze(model, *names):
    for name in names:
        for p in getattr(model, name).parameters():
            p.requires_grad_(False)


def test_fit_learns_and_reports_every_step():
    model = small_model()
    history = Trainer(model, easy_task(), easy_task(seed=1), lr=3e-3).fit(40, eval_every=20)
    assert history.status == "done"
    assert len(history.loss) == len(history.acc) == len(history.lr) == 40
    assert history.eval_steps == [0, 20, 40]
    assert history.val_acc[-1] > 0.9 > history.val_acc[0]
    assert sum(history.loss[-5:]) < sum(history.loss[:5])


def test_same_seed_same_run_and_different_seed_different_batches():
    runs = [Trainer(small_model(), easy_task(), lr=1e-3, seed=s).fit(8).loss for s in (0, 0, 1)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_on_a_cpu_the_callers_model_trains_in_channels_last_layout_with_the_same_numbers():
    model, plain = small_model(), small_model()
    x = easy_task()[0][:8]
    Trainer(model, easy_task(), lr=1e-3)  # converts the caller's model in place; no step taken yet
    assert model.conv1[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(model.eval()(x), plain.eval()(x), atol=1e-5)  # same weights, another memory layout


def test_one_parameter_group_per_trainable_block_with_its_own_rate():
    model = small_model()
    freeze(model, "conv1")
    rates = {"conv2": 1e-4, "conv3": 3e-4, "head": 1e-2}
    trainer = Trainer(model, easy_task(), lr=rates)
    groups = {g["block"]: g["lr"] for g in trainer.optimizer.param_groups}
    assert groups == rates
    history = trainer.fit(3)
    assert history.lr == [1e-2] * 3  # the last block's rate
    assert history.drift["conv1"][-1] == 0.0 and history.drift["conv2"][-1] > 0


def test_a_trainable_block_without_a_rate_or_an_unknown_block_is_refused():
    with pytest.raises(TrainingError, match="conv1"):
        Trainer(small_model(), easy_task(), lr={"head": 1e-3})
    with pytest.raises(TrainingError, match="the blocks are: conv1, conv2, conv3, pool, head"):
        Trainer(small_model(), easy_task(), lr={"fc": 1e-3})


@pytest.mark.parametrize("lr", [0, -1e-3, float("nan"), float("inf"), "fast", 1e9, None, True])
def test_bad_learning_rates_get_a_clear_message(lr):
    with pytest.raises(TrainingError, match="learning rate"):
        Trainer(small_model(), easy_task(), lr=lr)


def test_a_learning_rate_given_as_text_that_is_a_number_is_accepted():
    assert Trainer(small_model(), easy_task(), lr="1e-3").lr == 1e-3


@pytest.mark.parametrize("steps", [0, -5, 2.5, "10", None])
def test_bad_step_counts_are_refused_and_nothing_changes(steps):
    model = small_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(TrainingError, match="steps"):
        Trainer(model, easy_task()).fit(steps)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_freezing_everything_then_training_says_so_and_changes_nothing():
    model = small_model()
    trainer = Trainer(model, easy_task())
    freeze(model, "conv1", "conv2", "conv3", "head")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(TrainingError, match="nothing to train"):
        trainer.fit(5)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    with pytest.raises(TrainingError, match="nothing to train"):
        Trainer(model, easy_task()).fit(5)


def test_unfreezing_after_the_optimizer_exists_rebuilds_it_by_default():
    model = small_model()
    freeze(model, "conv1", "conv2", "conv3")
    trainer = Trainer(model, easy_task())
    for p in model.conv3.parameters():
        p.requires_grad_(True)
    assert trainer.freeze_changed
    history = trainer.fit(3)
    assert any("rebuilt" in note for note in history.notes)
    assert history.drift["conv3"][-1] > 0


def test_the_classic_trap_a_stale_optimizer_never_updates_the_unfrozen_block():
    model = small_model()
    freeze(model, "conv1", "conv2", "conv3")
    trainer = Trainer(model, easy_task(), rebuild_on_freeze_change=False)
    for p in model.conv3.parameters():
        p.requires_grad_(True)
    history = trainer.fit(3)
    assert any("conv3 will not be updated" in note for note in history.notes)
    assert history.drift["conv3"][-1] == 0.0 and history.drift["head"][-1] > 0


def test_divergence_stops_with_a_message_and_restores_the_weights():
    model = small_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    history = Trainer(model, easy_task(), lr=10).fit(30)
    assert history.diverged
    assert "diverged" in history.message and "10x smaller" in history.message
    assert len(history.loss) < 30
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(math.isfinite(v) for v in history.loss)


def test_frozen_prefix_is_cached_and_gives_the_same_run():
    def run(cache):
        model = small_model()
        freeze(model, "conv1", "conv2", "conv3")
        trainer = Trainer(model, easy_task(), easy_task(seed=1), lr=1e-2, augment=False, cache=cache)
        return trainer.fit(20)

    cached, plain = run(True), run(False)
    assert cached.cached_blocks == 4 and plain.cached_blocks == 0
    assert any("cached" in note for note in cached.notes)
    assert cached.loss == pytest.approx(plain.loss, rel=1e-4, abs=1e-5)
    assert cached.val_acc == pytest.approx(plain.val_acc, abs=1e-6)


def test_caches_that_share_a_store_compute_a_prefix_once_and_anew_when_it_changed(monkeypatch):
    from widgets.engine import features

    computed = []
    real = features.fast_predict
    monkeypatch.setattr(features, "fast_predict", lambda module, x: computed.append(len(x)) or real(module, x))
    x = easy_task()[0]
    shared = {}
    first, second = small_model(), small_model()  # the same weights: two runs from the same start
    caches = [features.FrozenFeatures(m.eval(), shared=shared, share_from=2) for m in (first, second)]
    assert torch.equal(caches[0].get("train", x, 2), caches[1].get("train", x, 2)) and len(computed) == 1
    assert torch.allclose(caches[1].get("train", x, 2), first[:2](x), atol=1e-5)  # the prefix's output, fused
    caches[1].get("conv1 only", x, 1)  # under share_from: this cache's own, as without a store
    with torch.no_grad():
        second.conv2[0].weight.mul_(2)  # the second run's prefix is no longer the first's
    assert not torch.equal(caches[1].get("train", x, 2), caches[0].get("train", x, 2))
    assert len(computed) == 3 and len(shared) == 2


def test_augmentation_or_training_bn_turns_the_cache_off():
    model = small_model()
    freeze(model, "conv1", "conv2", "conv3")
    assert Trainer(model, easy_task(), augment=True).fit(2).cached_blocks == 0
    assert Trainer(model, easy_task(), augment=False, eval_frozen=False).fit(2).cached_blocks == 0
    assert frozen_prefix(model) == 4


def test_frozen_blocks_keep_their_batchnorm_statistics():
    model = small_model()
    freeze(model, "conv1")
    before = model.conv1[1].running_mean.clone()
    Trainer(model, easy_task(), lr=1e-3).fit(3)
    assert torch.equal(model.conv1[1].running_mean, before)
    assert not torch.equal(model.conv2[1].running_mean, torch.zeros_like(model.conv2[1].running_mean))


def test_source_accuracy_uses_the_original_head_and_drops_when_the_backbone_is_wrecked():
    source = easy_task(seed=2)
    model = small_model()
    Trainer(model, source, lr=3e-3).fit(40)
    original_head = torch.nn.Linear(model.feature_dim, 4)
    original_head.load_state_dict(model.head.state_dict())
    model.head = torch.nn.Linear(model.feature_dim, 4)
    shuffled = (easy_task(seed=3)[0], torch.randperm(64) % 4)  # a task that fights the old one
    gentle = Trainer(model, shuffled, lr=1e-5, source=(source, original_head)).fit(5)
    assert gentle.source_acc[0] > 0.9 and gentle.source_acc[-1] > 0.9
    harsh = Trainer(model, shuffled, lr=3e-1, source=(source, original_head)).fit(30)
    assert min(harsh.source_acc) < 0.6


def test_stop_ends_the_run_after_the_current_step():
    trainer = Trainer(small_model(), easy_task())
    history = trainer.fit(50, callback=lambda h: trainer.stop() if len(h.steps) == 4 else None)
    assert history.stopped and len(history.steps) == 4
    assert "Stopped at step 4" in history.message
    assert trainer.fit(2).status == "done"  # the next run starts afresh


def test_early_stopping_restores_the_best_weights():
    model = small_model()
    train, val = easy_task(), (easy_task(seed=1)[0], torch.zeros(64, dtype=torch.long))
    trainer = Trainer(model, train, val, lr=3e-3)
    history = trainer.fit(60, eval_every=5, patience=2)
    assert history.status == "early-stopped"
    assert evaluate(model, val) == pytest.approx(max(history.val_acc))


def test_evaluate_restores_the_mode_and_weight_drift_is_relative():
    model = small_model()
    model.train()
    x, y = easy_task()
    assert 0 <= evaluate(model, (x, y)) <= 1
    assert model.training
    reference = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.head.weight.mul_(2)
        model.head.bias.mul_(2)
    assert weight_drift(model, reference)["head"] == pytest.approx(1.0)
    assert weight_drift(model, reference)["conv1"] == 0.0


def test_device_defaults_to_the_cpu_here_and_can_be_named():
    trainer = Trainer(small_model(), easy_task(), device="cpu")
    assert trainer.device.type == "cpu"
    if not torch.cuda.is_available():
        assert Trainer(small_model(), easy_task()).device.type in ("cpu", "mps")
