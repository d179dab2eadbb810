"""The recipe builder's timm and course-ViT scripts run: on a few images of the course's data, with timm's tiny test
models (``test_vit``, ``test_resnet``: timm's own, for its tests) built with ``pretrained=False`` at 32 px.

Most tests run a script in this process (``exec``) to look inside it afterwards; one runs a timm script the way a
learner does, ``python my_finetune.py``, in a process of its own.
"""

import re
import subprocess
import sys

import pytest
import timm
import torch

from widgets.codegen.recipe import MODERN, Recipe, architecture, recipe_code
from widgets.codegen.script_run import run_script


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """A folder with data/train (2 images per digit) and data/val (1 per digit) of the course's target task."""
    from widgets.kit.data import target_task
    from widgets.kit.photos import write_image_folder

    folder = tmp_path_factory.mktemp("digits")
    train, val = target_task(n_per_class=2)
    write_image_folder(train, folder / "data" / "train")
    write_image_folder(val.per_class(1), folder / "data" / "val")
    return folder


@pytest.fixture
def run_recipe(monkeypatch):
    """Run ``recipe``'s script (random weights) in this process, started in ``folder``; its variables."""

    def run(recipe, folder):
        torch.manual_seed(0)
        code = recipe_code(recipe, weights=None)
        script = folder / "my_finetune.py"
        script.write_text(code)
        monkeypatch.chdir(folder)
        namespace = {"__name__": "__main__", "__file__": str(script)}
        exec(compile(code, str(script), "exec"), namespace)
        return namespace

    return run


def _ids(params):
    return {id(p) for p in params}


def _in(optimizer):
    return {id(p) for group in optimizer.param_groups for p in group["params"]}


def _tiny(model="timm:test_vit", **choices):
    return Recipe(model=model, num_classes=10, image_size=32, head_epochs=1, epochs=1, **choices)


@pytest.mark.slow  # trains a ViT for two epochs
def test_a_timm_vit_script_with_the_modern_recipe_trains_the_head_then_the_last_blocks(digits, run_recipe):
    ns = run_recipe(_tiny(unfreeze_last=1, optimizer="modern"), digits)
    net = ns["model"]
    assert isinstance(net, timm.models.VisionTransformer) and net.get_classifier().out_features == 10
    assert ns["data_config"]["input_size"] == (3, 32, 32) and ns["data_config"]["mean"] == net.pretrained_cfg["mean"]
    # stage one: timm's AdamW on the new head alone, no weight decay on its bias
    assert _in(ns["head_optimizer"]) == _ids(net.get_classifier().parameters())
    assert {group["weight_decay"] for group in ns["head_optimizer"].param_groups} == {0.0, MODERN["weight_decay"]}
    # stage two: timm's last block group (the last block and the final norm) and the head, with layer-wise rates
    last = [n for n, _ in net.named_parameters() if n.startswith(("blocks.5.", "norm.", "head."))]
    assert len(net.blocks) == 6 and {n for n, p in net.named_parameters() if p.requires_grad} == set(last)
    assert _in(ns["optimizer"]) == _ids(p for p in net.parameters() if p.requires_grad)
    scales = {round(g["lr_scale"], 6) for g in ns["optimizer"].param_groups}
    assert max(scales) == 1.0 and min(scales) < 1.0  # the head at the full rate, the layers below it decayed
    no_decay = {id(p) for g in ns["optimizer"].param_groups if g["weight_decay"] == 0 for p in g["params"]}
    assert no_decay == _ids(p for p in net.parameters() if p.requires_grad and p.ndim == 1)
    assert ns["loss_fn"].label_smoothing == MODERN["label_smoothing"]
    assert ns["epochs_run"] == {"stage one": 1, "stage two": 1} and 0 <= ns["best_accuracy"] <= 1


@pytest.mark.slow  # trains a CNN for two epochs
def test_a_timm_cnn_script_with_adam_trains_the_last_stage_at_the_backbone_rate(digits, run_recipe):
    recipe = _tiny("timm:test_resnet", unfreeze_last=1, head_lr=1e-2, backbone_lr=1e-4, augment=False)
    ns = run_recipe(recipe, digits)
    net = ns["model"]
    assert "img_size" not in recipe_code(recipe)  # a CNN reads any size: only the data config changes
    assert ns["data_config"]["input_size"] == (3, 32, 32)
    head, last = _ids(net.get_classifier().parameters()), _ids(net.layer4.parameters())
    trainable = _ids(p for p in net.parameters() if p.requires_grad)
    assert trainable == head | last
    groups = [(_ids(g["params"]), g["initial_lr"]) for g in ns["optimizer"].param_groups]  # before the schedule
    assert groups == [(head, 1e-2), (trainable - head, 1e-4)]


@pytest.mark.slow  # trains the course ViT for two epochs
def test_the_course_vit_script_trains_its_last_block_and_final_norm_with_the_head(digits, run_recipe):
    ns = run_recipe(Recipe(model="course_vit", unfreeze_last=1, head_epochs=1, epochs=1, augment=False), digits)
    trainable = {n.split(".")[0] for n, p in ns["model"].named_parameters() if p.requires_grad}
    assert trainable == {"block4", "norm", "head"}
    assert ns["model"].head.out_features == 10 and ns["epochs_run"] == {"stage one": 1, "stage two": 1}
    assert "model = widgets.load_course_vit()" in recipe_code(Recipe(model="course_vit"))


def test_the_timm_script_runs_as_a_learner_runs_it_and_saves_its_best_model(digits):
    from torchvision import datasets

    recipe = _tiny(unfreeze_last=2, optimizer="modern", head_lr=3e-3, augment=False)
    run = run_script(recipe_code(recipe, weights=None), digits)
    assert run.ok, run.error()
    assert run.epochs_run == {"stage one": 1, "stage two": 1}
    model = run.load_model(timm.create_model("test_vit", pretrained=False, num_classes=10, img_size=32)).eval()
    config = timm.data.resolve_data_config({"input_size": (3, 32, 32)}, model=model)
    images, labels = zip(*datasets.ImageFolder(digits / "data" / "val", transform=timm.data.create_transform(**config)))
    with torch.no_grad():
        predicted = model(torch.stack(images)).argmax(1)
    assert (predicted == torch.tensor(labels)).float().mean().item() == pytest.approx(run.best_accuracy)


def test_pretrained_weights_are_asked_for_unless_the_recipe_says_random():
    recipe = Recipe(model="timm:vit_small_patch16_224", optimizer="modern")
    assert 'timm.create_model("vit_small_patch16_224", pretrained=True, num_classes=10)' in recipe_code(recipe)
    assert "pretrained=False" in recipe_code(recipe, weights=None)
    assert "timm.data.resolve_model_data_config(model)" in recipe_code(recipe)  # the size its weights expect


def test_the_timm_block_count_is_timms_grouping_of_the_model():
    assert len(architecture("timm:vit_small_patch16_224").blocks) == 12
    assert architecture("timm:vit_small_patch16_224").blocks[-1] == "blocks.11 + norm"
    assert architecture("timm:resnet50").blocks == ("layer1", "layer2", "layer3", "layer4")
    assert architecture("timm:convnext_atto").blocks == tuple(f"stages.{i}" for i in range(4))
    assert Recipe(model="timm:resnet50", unfreeze_last=5).problems() == [
        "timm:resnet50 has 4 blocks: unfreeze between 0 and 4 of them."]


@pytest.mark.parametrize("changes, message", [
    ({"model": "timm:vit_smal_patch16_224"}, "timm has no model 'vit_smal_patch16_224'. Did you mean "
                                             "timm:vit_small_patch16_224"),
    ({"model": "vit_small_patch16_224"}, "or a timm model as timm:<name>"),
    ({"model": "resnet18", "optimizer": "modern"}, "The modern recipe is written with timm's optimizer"),
    ({"model": "course_vit", "image_size": 64}, "image_size is for timm models"),
    ({"model": "timm:resnet50", "image_size": 0}, "image_size must be a whole number"),
    ({"model": "timm:resnet50", "optimizer": "lion"}, "Unknown optimizer 'lion'"),
])
def test_bad_timm_choices_are_explained_not_written(changes, message):
    recipe = Recipe(**changes)
    assert any(message in problem for problem in recipe.problems()), recipe.problems()
    with pytest.raises(ValueError, match=re.escape(message)):
        recipe_code(recipe)


def test_the_modern_recipe_is_the_one_lesson_08_measures():
    from widgets.labs import recipe_now

    assert MODERN == {"weight_decay": recipe_now.WEIGHT_DECAY, "layer_decay": recipe_now.LAYER_DECAY,
                      "warmup": recipe_now.WARMUP, "label_smoothing": recipe_now.LABEL_SMOOTHING}
    code = recipe_code(Recipe(model="timm:vit_small_patch16_224", optimizer="modern"))
    optimizer = 'create_optimizer_v2(model, opt="adamw", lr=0.001, weight_decay=WEIGHT_DECAY, layer_decay=LAYER_DECAY)'
    for line in (optimizer,
                 "CosineLRScheduler(optimizer, t_initial=", "nn.CrossEntropyLoss(label_smoothing=0.1)"):
        assert line in code
    assert "torch.optim.Adam" not in code and "BACKBONE" not in code


WRITTEN = [Recipe(model="course"), Recipe(model="course_vit", unfreeze_last=0), Recipe(model="resnet18"),
           Recipe(model="timm:vit_small_patch16_224", optimizer="modern"),
           Recipe(model="timm:vit_small_patch16_224", image_size=32, unfreeze_last=0, optimizer="modern"),
           Recipe(model="timm:convnext_atto", image_size=64, schedule="step", augment=False)]


def test_every_kind_of_script_is_python_that_ruff_passes_imports_sorted_none_unused(tmp_path):
    for i, recipe in enumerate(WRITTEN):
        (tmp_path / f"script_{i}.py").write_text(recipe_code(recipe))
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "E,F,W,I,B",
                           "--line-length", "120", "--config", "lint.isort.known-first-party=['widgets']",
                           str(tmp_path)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
