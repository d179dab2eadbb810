import math

import pytest
import torch
from tasks import easy_task

from widgets import CourseCNN
from widgets.engine.checks import TrainingError
from widgets.engine.freezing import frozen_prefix, snapshot
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


def test_on_a_cpu_the_batches_are_channels_last_and_the_callers_model_keeps_its_layout():
    """The speed-up of channels-last comes from the batches; the caller's weights and gradients stay as they were
    laid out (``weight.view(-1)`` still works) and the numbers are those of a contiguous run, to float rounding."""
    model, plain = small_model(), small_model()
    layouts = []
    model.conv1[0].register_forward_pre_hook(  # training batches only (the door's look at one image is in eval mode)
        lambda conv, args: layouts.append(args[0].is_contiguous(memory_format=torch.channels_last)) if conv.training
        else None)
    history = Trainer(model, easy_task(), lr=1e-3, augment=False).fit(3, eval_every=0)
    assert layouts and all(layouts)  # every training batch went in channels-last
    for name, p in model.named_parameters():
        assert p.is_contiguous() and p.view(-1).numel() == p.numel(), name
        assert p.grad is None or p.grad.is_contiguous(), name
    reference = Trainer(plain, easy_task(), lr=1e-3, augment=False)
    reference.channels_last = False
    assert history.loss == pytest.approx(reference.fit(3, eval_every=0).loss, rel=1e-4)


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
    """The old task is read through the ORIGINAL head on the current backbone: full marks before fine-tuning (the
    new head is random), and far less once a high rate on a task that fights it has wrecked the backbone. The
    harsh run must really train (not diverge and be rolled back), so its later measures are of a wrecked model."""
    source = easy_task(seed=2)
    model = small_model()
    Trainer(model, source, lr=3e-3).fit(40)
    torch.manual_seed(1)  # the two heads below: the same draws whatever ran before
    original_head = torch.nn.Linear(model.feature_dim, 4)
    original_head.load_state_dict(model.head.state_dict())
    model.head = torch.nn.Linear(model.feature_dim, 4)
    labels = torch.randperm(64, generator=torch.Generator().manual_seed(0)) % 4
    fight = (easy_task(seed=3)[0], labels)  # the same images with shuffled labels: a task that fights the old one
    gentle = Trainer(model, fight, lr=1e-5, source=(source, original_head)).fit(5)
    assert gentle.source_acc[0] > 0.9 and gentle.source_acc[-1] > 0.9
    harsh = Trainer(model, fight, lr=3e-2, source=(source, original_head)).fit(30, eval_every=5)
    assert harsh.status == "done" and harsh.eval_steps == [0, 5, 10, 15, 20, 25, 30]
    assert harsh.source_acc[0] > 0.9 and min(harsh.source_acc[1:]) < 0.6


# ---- the data, checked at the door --------------------------------------------------------------------------


def refused_at_the_door(train, val=None, match=""):
    """The Trainer refuses ``train``/``val`` with a message matching ``match``, and the model is as before."""
    model = small_model()
    before = snapshot(model)
    with pytest.raises(TrainingError, match=match):
        Trainer(model, train, val)
    assert before.differences(model) == []


def test_labels_that_are_not_whole_class_numbers_are_refused_not_rounded_down():
    x, _ = easy_task(n=4)
    refused_at_the_door((x, torch.tensor([0.5, 1.5, 2.0, 3.0])), match="train's labels must be whole class numbers "
                                                                       r"0, 1, 2 \.\.\.; label 0 is 0.5")
    refused_at_the_door((x, torch.tensor([0, 1, -1, 2])), match="at least 0; label 2 is -1")
    refused_at_the_door((x, torch.tensor([0.0, 1.0, float("nan"), 2.0])), match="label 2 is nan")
    assert Trainer(small_model(), (x, torch.tensor([0.0, 1.0, 2.0, 3.0]))).y.tolist() == [0, 1, 2, 3]


def test_a_label_the_model_cannot_output_is_refused_naming_it_not_a_raw_index_error():
    x, y = easy_task(n=8)
    refused_at_the_door((x, y + 6), match=r"train's label 0 is 6, but the model has 4 outputs: labels must be "
                                          "class numbers from 0 to 3")
    refused_at_the_door(easy_task(), (x, y * 2), match="val's label 2 is 4, but the model has 4 outputs")


def test_images_that_are_not_finite_are_refused_not_blamed_on_the_learning_rate():
    x, y = easy_task(n=8)
    all_nan = torch.full_like(x, float("nan"))
    refused_at_the_door((all_nan, y), match=r"train's images must be finite numbers: 8 of 8 images hold NaN or "
                                            r"infinite values \(the first is image 0\)")
    x[5, 0, 3, 3] = float("inf")
    refused_at_the_door(easy_task(), (x, y), match=r"val's images .* 1 of 8 .* image 5")


def test_images_and_labels_must_pair_up_one_to_one():
    x, y = easy_task(n=8)
    refused_at_the_door((x, y[:7]), match="train has 8 images but 7 labels")
    refused_at_the_door((x, torch.nn.functional.one_hot(y, 4)), match=r"one class number per image; got shape "
                                                                        r"\[8, 4\]. They look one-hot")
    refused_at_the_door((x[:, :, :4, :4].flatten(1), y), match="the model cannot read these images")


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
