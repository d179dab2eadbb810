"""The course ViT: its blocks are the units the course freezes, its shipped checkpoint is small, safe and reads the
letters, and the shifted test set holds exactly the Digits-M test digits."""

import pytest
import torch
from torch import nn

from widgets import pretrain
from widgets.engine.checks import SettingError
from widgets.engine.freezing import freeze, frozen_prefix
from widgets.engine.params import blocks
from widgets.engine.training import Trainer, evaluate
from widgets.kit import checkpoint, data, shifted, zoo
from widgets.kit.checkpoint import CheckpointError
from widgets.kit.vit import SHIPPED_VIT, CourseViT, course_vit_info, load_course_vit

BLOCKS = ["patch_embed", "block1", "block2", "block3", "block4", "norm", "pool", "head"]


def test_the_top_level_blocks_are_the_units_the_course_freezes():
    torch.manual_seed(0)
    model = CourseViT(num_classes=7)
    assert [name for name, _ in model.named_children()] == BLOCKS
    assert [name for name, _ in blocks(model)] == BLOCKS
    assert model.blocks == ("block1", "block2", "block3", "block4")
    x = torch.randn(3, 3, 32, 32)
    assert model(x).shape == (3, 7) and model.features(x).shape == (3, model.feature_dim)
    tokens = model[:1](x)
    assert tokens.shape == (3, 1 + 16, model.dim)  # the class token and a 4 x 4 grid of patches
    assert torch.allclose(model[3:](model[:3](x)), model(x), atol=1e-6)  # a slice is a prefix that composes
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())  # LayerNorm only


def test_the_trainer_takes_a_rate_per_block_and_caches_a_frozen_prefix():
    torch.manual_seed(0)
    model = CourseViT(num_classes=3)
    freeze(model, "patch_embed", "block1", "block2")
    assert frozen_prefix(model) == 3
    x, y = torch.randn(24, 3, 32, 32), torch.arange(24) % 3
    rates = {"block3": 1e-4, "block4": 3e-4, "norm": 1e-3, "head": 1e-3}
    trainer = Trainer(model, (x, y), lr=rates, augment=False, batch_size=8)
    assert trainer.cache_depth() == 3
    assert {g["block"]: g["lr"] for g in trainer.optimizer.param_groups} == rates
    history = trainer.fit(3, eval_every=0)
    assert len(history.steps) == 3 and history.cached_blocks == 3


def test_the_shipped_vit_is_small_safe_and_reads_the_letters():
    assert SHIPPED_VIT.stat().st_size < 2_000_000
    payload = torch.load(SHIPPED_VIT, weights_only=True)  # tensors and plain values only
    assert payload["format"] == checkpoint.FORMAT and payload["meta"]["architecture"] == "course_vit"
    info = course_vit_info()
    assert info["source_accuracy"] >= 0.95 and info["seed"] == 0
    assert info["source_classes"] == list(data.LETTERS)
    assert info["description"].startswith("course ViT pre-trained on 26 letters")


@pytest.mark.slow
def test_the_recorded_held_out_accuracy_is_what_the_letters_give_today():
    letters = data.source_test_set()
    assert evaluate(load_course_vit(), letters) == pytest.approx(course_vit_info()["source_accuracy"], abs=0.005)


def test_a_new_head_follows_the_callers_seed_and_the_rest_is_the_checkpoint():
    torch.manual_seed(5)
    a = load_course_vit(num_classes=10)
    torch.manual_seed(5)
    b = load_course_vit(num_classes=10)
    original = load_course_vit()
    assert a.num_classes == 10 and original.num_classes == 26
    assert torch.equal(a.head.weight, b.head.weight)
    assert torch.equal(a.block4.attn.qkv.weight, original.block4.attn.qkv.weight)
    with pytest.raises(SettingError, match="num_classes"):
        load_course_vit(num_classes=0)


def test_the_cnn_and_the_vit_checkpoints_are_never_mistaken_for_each_other(tmp_path):
    with pytest.raises(CheckpointError, match="holds a course CNN, not the course ViT"):
        load_course_vit(path=checkpoint.SHIPPED_CHECKPOINT)
    with pytest.raises(CheckpointError, match="does not fit the course model"):
        checkpoint.load_course_model(path=SHIPPED_VIT)
    with pytest.raises(CheckpointError, match="no checkpoint at .* --model vit"):
        load_course_vit(path=tmp_path / "missing.pt")


def test_the_zoo_names_the_course_vit_beside_the_course_cnn():
    assert zoo.ARCHITECTURES[:2] == ("course", "course_vit")
    model = zoo.load_pretrained("course_vit", num_classes=4)
    assert model.num_classes == 4 and model.arch_name == "course_vit" and model.has_pretrained_weights
    assert model.weights_info.startswith("course ViT pre-trained on 26 letters")
    assert "new 4-class head" in model.weights_info
    built = zoo.build_architecture("course_vit", num_classes=3)
    assert isinstance(built, CourseViT) and built.num_classes == 3 and "random weights" in built.weights_info
    assert zoo.head_name(built) == "head"


def test_pretrain_writes_a_loadable_vit_and_leaves_the_cnn_path_alone(tmp_path, capsys):
    out = tmp_path / "vit.pt"
    pretrain.main(["--model", "vit", "--seed", "3", "--images", "128", "--epochs", "1", "--out", str(out)])
    model = load_course_vit(path=out)
    assert isinstance(model, CourseViT) and course_vit_info(out)["images"] == 128
    cnn, meta = pretrain.pretrain(seed=3, images=64, epochs=1, log=lambda _: None)
    assert type(cnn).__name__ == "CourseCNN" and "architecture" not in meta and meta["conv1_init_scale"] == 0.1


def test_the_shifted_set_is_the_test_digits_in_another_style():
    _, test = data.target_task(n_per_class=5)
    moved = shifted.shifted_test_set("smooth")
    index = data.test_indices()
    assert torch.equal(data.digits_m().images[index], test.images)  # the copied split is Digits-M's own
    assert torch.equal(moved.labels, test.labels) and moved.images.shape == test.images.shape
    assert (moved.images.float() - test.images.float()).abs().mean() > 30  # a different picture of each
    assert torch.equal(shifted.shifted_test_set("smooth").images, moved.images)  # the same every time
