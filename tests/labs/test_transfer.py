import pytest

from widgets.kit import checkpoint, data
from widgets.labs import transfer


@pytest.fixture(scope="module")
def task():
    return data.target_task(n_per_class=10, seed=0)


def test_unknown_recipe_lists_the_choices(task):
    with pytest.raises(ValueError, match="probe, discriminative"):
        transfer.run_recipe("magic", *task)


def test_freeze_all_cannot_learn_and_says_why(task):
    result = transfer.run_recipe("freeze_all", *task, steps=20)
    assert "nothing to train" in result.message
    assert abs(result.target_acc - 0.1) < 0.06  # chance: the new head is random and stays so
    assert result.source_acc == pytest.approx(checkpoint.course_model_info()["source_accuracy"])


@pytest.mark.slow
def test_pretrained_probe_beats_a_scratch_model_on_the_same_budget(task):
    probe = transfer.run_recipe("probe", *task, steps=60)
    scratch = transfer.run_recipe("scratch", *task, steps=60)
    assert scratch.source_acc is None
    assert probe.target_acc - scratch.target_acc > 0.25
    # a probe leaves the backbone exactly as it was: nothing of the old task is lost
    assert probe.source_acc == pytest.approx(checkpoint.course_model_info()["source_accuracy"])
    assert probe.drift["conv1"] == probe.drift["conv3"] == 0.0 and probe.drift["head"] > 0


@pytest.mark.slow
def test_a_high_uniform_rate_forgets_the_old_task_a_small_backbone_rate_does_not(task):
    gentle = transfer.run_recipe("discriminative", *task, steps=30)
    harsh = transfer.run_recipe("high_lr", *task, steps=30)
    before = checkpoint.course_model_info()["source_accuracy"]
    assert before - gentle.source_acc < 0.05
    assert before - harsh.source_acc > 0.3
    assert harsh.drift["conv2"] > 5 * gentle.drift["conv2"]


def test_runs_repeat_exactly_for_a_seed(task):
    a = transfer.run_recipe("discriminative", *task, steps=5, seed=4, measure_source=False)
    b = transfer.run_recipe("discriminative", *task, steps=5, seed=4, measure_source=False)
    assert a.target_acc == b.target_acc


def test_rates_are_tuned_on_validation_data(monkeypatch):
    seen = []
    original = transfer.run_recipe

    def spy(recipe, train, test, **kwargs):
        seen.append(test.name)
        return original(recipe, train, test, **kwargs)

    monkeypatch.setattr(transfer, "run_recipe", spy)
    scores = transfer.tune("scratch", grid=(1e-3, 1e-2), seeds=(0,), steps=3)
    assert set(scores) == {1e-3, 1e-2} and all(0 <= v <= 1 for v in scores.values())
    assert seen == ["Digits-M validation"] * 2


def test_scratch_memorises_counts_95_of_100_training_images_as_95(monkeypatch):
    # 95 of 100 right comes back from the float32 accuracy as 0.9499999880...; the claim counts images
    from types import SimpleNamespace

    import torch

    ninety_five = (torch.arange(100) < 95).float().mean().item()
    assert ninety_five < 0.95  # the trap this test is about
    monkeypatch.setattr(transfer, "run", lambda *a, **k: SimpleNamespace(train_acc=ninety_five, target_acc=0.12))
    assert transfer.scratch_memorises(seeds=[0]).holds
    ninety_four = (torch.arange(100) < 94).float().mean().item()
    monkeypatch.setattr(transfer, "run", lambda *a, **k: SimpleNamespace(train_acc=ninety_four, target_acc=0.12))
    assert not transfer.scratch_memorises(seeds=[0]).holds
