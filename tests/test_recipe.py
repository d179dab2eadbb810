"""The recipe builder writes scripts that run: each test executes the generated code on a tiny image folder."""

import math
import os

import numpy as np
import pytest
import torch
from PIL import Image

from widgets.core.recipe import RECIPE_ARCHITECTURES, Recipe, recipe_code, run_script


@pytest.fixture
def image_folder(tmp_path):
    """tmp_path/data/{train,val}/{cat,dog}/*.png with two small random images each."""
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for label in ("cat", "dog"):
            folder = tmp_path / "data" / split / label
            folder.mkdir(parents=True)
            for i in range(2):
                pixels = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")
    return tmp_path


def run_recipe(recipe, folder):
    torch.manual_seed(0)
    return run_script(recipe_code(recipe, weights=None), folder)


@pytest.mark.parametrize("model, unfreeze_last", [("resnet18", 1), ("mobilenet_v2", 2), ("resnet18", 0)])
def test_generated_script_trains_exactly_the_head_and_the_last_blocks(image_folder, model, unfreeze_last):
    recipe = Recipe(model=model, num_classes=2, unfreeze_last=unfreeze_last, epochs=1, schedule="cosine")
    ns = run_recipe(recipe, image_folder)
    net, optimizer = ns["model"], ns["optimizer"]

    arch = RECIPE_ARCHITECTURES[model]
    trained_blocks = arch.blocks[len(arch.blocks) - unfreeze_last :]
    expected = {id(p) for p in eval(f"net.{arch.head}", {"net": net}).parameters()}
    for block in trained_blocks:
        expected |= {id(p) for p in eval(f"net.{block}", {"net": net}).parameters()}
    trainable = {id(p) for p in net.parameters() if p.requires_grad}
    in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert trainable == expected == in_optimizer
    assert eval(f"net.{arch.head}", {"net": net}).out_features == 2
    # the head learns at the head rate, the unfrozen blocks at the lower backbone rate (before the schedule moved it)
    assert [g["initial_lr"] for g in optimizer.param_groups] == [recipe.head_lr, recipe.backbone_lr][: 1 + bool(trained_blocks)]
    assert 0.0 <= ns["best_accuracy"] <= 1.0


def test_frozen_batchnorm_stays_in_eval_mode_while_training(image_folder):
    ns = run_recipe(Recipe(model="resnet18", num_classes=2, unfreeze_last=1, epochs=1), image_folder)
    net = ns["model"]
    ns["train_mode"](net)
    assert not net.bn1.training  # frozen: keeps its ImageNet statistics
    assert net.layer4[0].bn1.training  # fine-tuned block: adapts


def test_every_architecture_and_schedule_writes_valid_python():
    for name, arch in RECIPE_ARCHITECTURES.items():
        for schedule in ("constant", "step", "exponential", "cosine"):
            code = recipe_code(Recipe(model=name, unfreeze_last=len(arch.blocks), schedule=schedule))
            compile(code, name, "exec")
            assert f"model.{arch.head} = nn.Linear" in code


def test_weights_default_asks_torchvision_for_imagenet_weights():
    assert 'models.resnet18(weights="DEFAULT")' in recipe_code(Recipe(model="resnet18"))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"model": "resnet9000"}, "Unknown model"),
        ({"head_lr": 0.0}, "head_lr must be"),
        ({"backbone_lr": math.nan}, "backbone_lr must be"),
        ({"head_lr": 1e9}, "head_lr must be"),
        ({"unfreeze_last": 5}, "resnet18 has 4 blocks"),
        ({"num_classes": 1}, "at least 2 classes"),
        ({"epochs": 0}, "epochs must be a whole number of at least 1"),
        ({"schedule": "sometimes"}, "unknown schedule"),
    ],
)
def test_bad_choices_are_explained_not_written(changes, message):
    recipe = Recipe(**changes)
    assert any(message in problem for problem in recipe.problems())
    with pytest.raises(ValueError, match=message):
        recipe_code(recipe)


def test_advice_flags_a_backbone_rate_above_the_head_rate():
    assert Recipe(head_lr=1e-3, backbone_lr=1e-4).advice() == []
    assert "higher rate than the new head" in Recipe(head_lr=1e-4, backbone_lr=1e-3).advice()[0]
    assert Recipe(unfreeze_last=0, head_lr=1e-4, backbone_lr=1e-3).advice() == []


def test_run_script_restores_the_working_directory_even_on_error(tmp_path):
    before = os.getcwd()
    assert run_script("import os\nhere = os.getcwd()\n", tmp_path)["here"] == str(tmp_path)
    with pytest.raises(ZeroDivisionError):
        run_script("1 / 0", tmp_path)
    assert os.getcwd() == before


def test_course_model_script_trains_on_an_exported_image_folder(tmp_path):
    from widgets.core.data import target_task
    from widgets.core.photos import read_image_folder, write_image_folder

    train, test = target_task(n_per_class=2)
    write_image_folder(train, tmp_path / "data" / "train")
    write_image_folder(test.per_class(1), tmp_path / "data" / "val")
    assert torch.equal(read_image_folder(tmp_path / "data" / "train").images, train.images[train.labels.argsort(stable=True)])
    ns = run_recipe(Recipe(model="course", unfreeze_last=1, epochs=1, augment=False), tmp_path)
    assert ns["model"].head.out_features == 10
    trainable = {n for n, p in ns["model"].named_parameters() if p.requires_grad}
    assert trainable == {n for n, _ in ns["model"].named_parameters() if n.startswith(("conv3.", "head."))}
