"""The recipe builder writes scripts that run: each test executes the generated code on a tiny image folder.

Most tests run a script in this process (``exec``, in the image folder), to look inside it afterwards: its
optimizers, its ``fit``. The test at the end runs one the way the lesson does, with ``run_script``.
"""

import json
import math
import re
import subprocess
import sys
from importlib import resources

import numpy as np
import pytest
import torch
from PIL import Image

from widgets.codegen.recipe import RECIPE_ARCHITECTURES, Recipe, recipe_code
from widgets.codegen.script_run import run_script

TEMPLATE = resources.files("widgets.codegen") / "recipe_template.py"


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


@pytest.fixture
def run_here(monkeypatch):
    """Run a script in this process, started in ``folder`` as ``python my_finetune.py`` would be; its variables."""

    def run(code, folder):
        script = folder / "my_finetune.py"
        script.write_text(code)
        monkeypatch.chdir(folder)  # where its data/ is; the loaders read it there again when a test calls fit
        namespace = {"__name__": "__main__", "__file__": str(script)}
        exec(compile(code, str(script), "exec"), namespace)  # its functions see what a test puts here
        return namespace

    return run


@pytest.fixture
def run_recipe(run_here):
    def run(recipe, folder):
        torch.manual_seed(0)
        return run_here(recipe_code(recipe, weights=None), folder)

    return run


def _params(ns, *paths):
    net = ns["model"]
    return {id(p) for path in paths for p in eval(f"net.{path}", {"net": net}).parameters()}


def _in(optimizer):
    return {id(p) for group in optimizer.param_groups for p in group["params"]}


@pytest.mark.parametrize("model, unfreeze_last", [("resnet18", 1), ("mobilenet_v2", 2), ("resnet18", 0)])
def test_generated_script_trains_the_head_alone_then_the_head_and_the_last_blocks(image_folder, run_recipe, model,
                                                                                   unfreeze_last):
    recipe = Recipe(model=model, num_classes=2, unfreeze_last=unfreeze_last, head_epochs=1, epochs=1,
                    schedule="cosine")
    ns = run_recipe(recipe, image_folder)
    net = ns["model"]
    arch = RECIPE_ARCHITECTURES[model]
    trained_blocks = arch.blocks[len(arch.blocks) - unfreeze_last :]

    # stage one: the new head alone, at the head rate
    assert _in(ns["head_optimizer"]) == _params(ns, arch.head)
    assert [g["lr"] for g in ns["head_optimizer"].param_groups] == [recipe.head_lr] or unfreeze_last == 0
    # stage two: the head and the unfrozen blocks, the blocks at the lower backbone rate
    expected = _params(ns, arch.head, *trained_blocks)
    trainable = {id(p) for p in net.parameters() if p.requires_grad}
    assert trainable == expected
    if trained_blocks:
        assert _in(ns["optimizer"]) == expected
        assert [g["initial_lr"] for g in ns["optimizer"].param_groups] == [recipe.head_lr, recipe.backbone_lr]
    else:
        assert "optimizer" not in ns and "EPOCHS" not in ns  # one stage only
    assert eval(f"net.{arch.head}", {"net": net}).out_features == 2
    assert 0.0 <= ns["best_accuracy"] <= 1.0
    # it saves its final model and what it measured next to itself
    report = json.loads((image_folder / "my_finetune.json").read_text())
    assert report == {"best_accuracy": ns["best_accuracy"],
                      "epochs_run": {"stage one": 1, "stage two": 1} if trained_blocks else {"stage one": 1}}
    saved = torch.load(image_folder / "my_finetune.pt", weights_only=True)
    assert saved.keys() == net.state_dict().keys()
    assert all(torch.equal(saved[k], v) for k, v in net.state_dict().items())


def test_early_stopping_stops_after_patience_epochs_and_keeps_the_best_weights(image_folder, run_recipe):
    ns = run_recipe(Recipe(model="course", num_classes=2, unfreeze_last=1, head_epochs=1, epochs=1, patience=2,
                           augment=False), image_folder)
    scores, states = iter([0.1, 0.5, 0.3, 0.2, 0.9]), []

    def evaluate(model, loader):  # a validation curve that peaks at epoch 2
        states.append({k: v.clone() for k, v in model.state_dict().items()})
        return 1.0, next(scores)

    ns["evaluate"], ns["best_accuracy"] = evaluate, -1.0
    epochs_run = ns["fit"](ns["optimizer"], 10)
    assert epochs_run == 4  # epoch 2 was the best; epochs 3 and 4 did not beat it: PATIENCE = 2 reached
    assert ns["best_accuracy"] == 0.5
    assert all(torch.equal(v, states[1][k]) for k, v in ns["model"].state_dict().items())
    assert not all(torch.equal(v, states[3][k]) for k, v in ns["model"].state_dict().items())


def test_a_stage_that_never_beats_the_one_before_keeps_its_weights(image_folder, run_recipe):
    ns = run_recipe(Recipe(model="course", num_classes=2, unfreeze_last=1, head_epochs=1, epochs=1, patience=1,
                           augment=False), image_folder)
    before = {k: v.clone() for k, v in ns["model"].state_dict().items()}
    ns["evaluate"], ns["best_accuracy"] = (lambda model, loader: (1.0, 0.2)), 0.9
    assert ns["fit"](ns["optimizer"], 5) == 1
    assert all(torch.equal(v, before[k]) for k, v in ns["model"].state_dict().items())


def test_images_are_prepared_as_the_weights_expect(image_folder, run_here):
    from torchvision import models

    for name in ("resnet18", "mobilenet_v2"):
        code = recipe_code(Recipe(model=name), weights=None)
        ns = run_here(code.split("train_set = ")[0], image_folder)  # up to the data pipeline: nothing trains
        expected = models.get_model_weights(name).DEFAULT.transforms()
        assert repr(ns["val_transform"]) == repr(expected)  # resize, centre crop 224, ImageNet mean and std
        assert "Resize((224, 224))" not in code
        assert "RandomHorizontalFlip" in code  # photos: a mirrored photo shows the same thing
    course = recipe_code(Recipe(model="course", augment=True))
    ns = run_here(course.split("train_set = ")[0], image_folder)
    assert ns["normalize"].mean == [0.5, 0.5, 0.5] and ns["normalize"].std == [0.25, 0.25, 0.25]
    assert "Flip" not in course  # digits: a mirrored 7 is not a 7
    assert "RandomCrop(32, padding=2" in course  # the shifts the course trainer uses


def test_the_script_says_early_stopping_only_where_it_stops_early():
    code = recipe_code(Recipe(model="course", patience=4))
    assert "PATIENCE = 4" in code and "if waited == PATIENCE:" in code and "break" in code


def test_every_architecture_and_schedule_writes_valid_python():
    for name, arch in RECIPE_ARCHITECTURES.items():
        for schedule in ("constant", "step", "exponential", "cosine"):
            for unfreeze_last in (0, len(arch.blocks)):
                code = recipe_code(Recipe(model=name, unfreeze_last=unfreeze_last, schedule=schedule))
                compile(code, name, "exec")
                assert f"model.{arch.head} = nn.Linear" in code
                assert not re.search(r"__[A-Z]", code), "a choice left unfilled"
                assert not re.search(r"^# </?[a-z_]+>$", code, re.MULTILINE), "a section mark left in"


def test_weights_default_asks_torchvision_for_imagenet_weights():
    code = recipe_code(Recipe(model="resnet18"))
    assert "WEIGHTS = models.ResNet18_Weights.DEFAULT" in code and "models.resnet18(weights=WEIGHTS)" in code
    assert "models.resnet18(weights=None)" in recipe_code(Recipe(model="resnet18"), weights=None)


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
        ({"head_epochs": 0}, "head_epochs must be a whole number of at least 1"),
        ({"patience": 0}, "patience must be a whole number of at least 1"),
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


def test_the_template_is_python_that_ruff_passes():
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(TEMPLATE)],
                          capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    with pytest.raises(ImportError, match="never import or run it"):
        import widgets.codegen.recipe_template  # noqa: F401


def test_the_template_marks_every_choice_and_every_optional_part():
    template = TEMPLATE.read_text()
    sections = set(re.findall(r"^# <([a-z_]+)>$", template, re.MULTILINE))
    assert sections == {"template", "course_model", "imagenet_model", "imagenet_weights", "random_weights", "augment",
                        "no_augment", "stage_two", "head_only", "scheduler", "no_scheduler", "torch_model",
                        "timm_model", "own_size", "new_size", "img_size", "any_size", "adam", "modern"}
    for choice in ("NUM_CLASSES", "HEAD_LR", "BACKBONE_LR", "HEAD_EPOCHS", "EPOCHS", "PATIENCE", "HEAD", "FINE_TUNED"):
        assert f"__{choice}__" in template
    code = recipe_code(Recipe(model="course", num_classes=4, head_lr=3e-3, backbone_lr=2e-4, unfreeze_last=2))
    assert "nn.Linear(model.head.in_features, 4)" in code and "lr=0.003)" in code and '"lr": 0.0002}' in code
    assert "fine_tuned = [model.conv2, model.conv3]" in code and "import widgets  #" in code
    assert "recipe_code()" not in code  # nothing of the template's own notes


def test_course_model_script_trains_on_an_exported_image_folder(tmp_path, run_recipe):
    from widgets.kit.data import target_task
    from widgets.kit.photos import read_image_folder, write_image_folder

    train, test = target_task(n_per_class=2)
    write_image_folder(train, tmp_path / "data" / "train")
    write_image_folder(test.per_class(1), tmp_path / "data" / "val")
    assert torch.equal(read_image_folder(tmp_path / "data" / "train").images,
                       train.images[train.labels.argsort(stable=True)])
    ns = run_recipe(Recipe(model="course", unfreeze_last=1, head_epochs=1, epochs=1), tmp_path)
    assert ns["model"].head.out_features == 10
    trainable = {n for n, p in ns["model"].named_parameters() if p.requires_grad}
    assert trainable == {n for n, _ in ns["model"].named_parameters() if n.startswith(("conv3.", "head."))}


def test_run_script_trains_the_course_model_in_a_process_of_its_own_and_saves_its_best_model(tmp_path):
    from torchvision import datasets, transforms

    import widgets
    from widgets.kit.data import target_task
    from widgets.kit.photos import write_image_folder

    train, val = target_task(n_per_class=3)
    write_image_folder(train, tmp_path / "data" / "train")
    write_image_folder(val.per_class(2), tmp_path / "data" / "val")
    recipe = Recipe(model="course", unfreeze_last=1, head_lr=1e-2, head_epochs=2, epochs=1, patience=5, augment=False)
    lines = []
    run = run_script(recipe_code(recipe), tmp_path, progress=lines.append)
    assert run.ok and lines == run.output.splitlines()  # every line, as the script printed it
    assert [line.split(":")[0] for line in lines if line.startswith("epoch")] == ["epoch 1", "epoch 2", "epoch 1"]
    assert run.epochs_run == {"stage one": 2, "stage two": 1}
    assert lines[-1] == f"final model: best validation accuracy {run.best_accuracy:.1%}"

    # the saved model is the best one seen: its validation accuracy is the best the script reported
    model = run.load_model(widgets.load_pretrained("course", num_classes=10)).eval()
    prepare = transforms.Compose([transforms.Resize((32, 32)), transforms.ToTensor(),
                                  transforms.Normalize([0.5] * 3, [0.25] * 3)])
    images, labels = zip(*datasets.ImageFolder(tmp_path / "data" / "val", transform=prepare))
    with torch.no_grad():
        predicted = model(torch.stack(images)).argmax(1)
    assert (predicted == torch.tensor(labels)).float().mean().item() == pytest.approx(run.best_accuracy)
