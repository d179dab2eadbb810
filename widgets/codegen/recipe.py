"""Write the PyTorch code of a fine-tuning recipe: the capstone's "recipe builder".

The generated script is the course's strategy in one file, in two stages. Stage one trains a new head on the
frozen pre-trained model. Stage two unfreezes the last blocks and trains them with the head, the pre-trained
blocks at a lower rate, on a schedule. Frozen BatchNorm layers stay in eval mode. Both stages stop early when
the validation accuracy has not improved for ``patience`` epochs, and keep the best weights seen. The images are
prepared the way the weights expect: ``weights.transforms()`` for torchvision's ImageNet models, the course
model's own size and statistics for the course model. At the end the script saves the final model's weights
and a small report (best validation accuracy, epochs run) next to itself.

The script itself lives in ``recipe_template.py``, a Python file a linter reads, with the learner's choices as
``__NAME__`` marks and its optional parts (stage two, the schedule, augmentation, course model or torchvision
model) between ``# <section>`` marks; ``recipe_code`` fills it in. ``script_run.run_script`` runs a script in a
process of its own. Tests execute the scripts.
"""

import re
from dataclasses import dataclass
from importlib import resources

from ..engine import checks, schedules
from ..engine.images import MEAN, STD


@dataclass(frozen=True)
class Architecture:
    """What the recipe needs to know about a model: its head, its blocks (early to late), and how its images are
    prepared and augmented. The key in ``RECIPE_ARCHITECTURES`` names torchvision's builder (``models.resnet18``)."""

    head: str  # attribute path of the classification layer, e.g. "fc" or "classifier[1]"
    blocks: tuple  # attribute paths of the backbone's blocks, early to late
    weights: str = ""  # torchvision's weights enum ("ResNet18_Weights"): its transforms() prepare the images
    photos: bool = True  # trained on photos: a mirrored photo shows the same thing, so flips are fair augmentation


def _indexed(prefix, count):
    return tuple(f"{prefix}[{i}]" for i in range(count))


_RESNET_BLOCKS = ("layer1", "layer2", "layer3", "layer4")

#: the course model's input: 32 x 32 pixels, normalised with the statistics it was pre-trained with
COURSE_IMAGE_SIZE = 32
COURSE_MEAN, COURSE_STD = (MEAN,) * 3, (STD,) * 3  # the one set of course image statistics (engine.images)

RECIPE_ARCHITECTURES = {
    "course": Architecture("head", ("conv1", "conv2", "conv3"), photos=False),
    "mobilenet_v2": Architecture("classifier[1]", _indexed("features", 19), "MobileNet_V2_Weights"),
    "resnet18": Architecture("fc", _RESNET_BLOCKS, "ResNet18_Weights"),
    "resnet50": Architecture("fc", _RESNET_BLOCKS, "ResNet50_Weights"),
    "resnet152": Architecture("fc", _RESNET_BLOCKS, "ResNet152_Weights"),
    "efficientnet_b0": Architecture("classifier[1]", _indexed("features", 9), "EfficientNet_B0_Weights"),
    "convnext_tiny": Architecture("classifier[2]", _indexed("features", 8), "ConvNeXt_Tiny_Weights"),
    "vit_b_16": Architecture("heads.head", _indexed("encoder.layers", 12), "ViT_B_16_Weights"),
}


@dataclass(frozen=True)
class Recipe:
    """The learner's choices.

    Stage one trains the new head alone for ``head_epochs``. Stage two trains the last ``unfreeze_last`` blocks
    and the head for ``epochs``, on ``schedule``; with ``unfreeze_last=0`` there is no stage two (and the schedule
    applies to stage one). Each stage stops after ``patience`` epochs without a better validation accuracy.
    """

    model: str = "resnet18"
    num_classes: int = 10
    unfreeze_last: int = 1
    head_lr: float = 1e-3
    backbone_lr: float = 1e-4
    schedule: str = "cosine"
    head_epochs: int = 3
    epochs: int = 10
    patience: int = 3
    augment: bool = True

    def problems(self):
        """Why this recipe cannot be written, as sentences (empty when it is fine)."""
        found = []
        if self.model not in RECIPE_ARCHITECTURES:
            found.append(f"Unknown model {self.model!r}. Choose one of: {', '.join(RECIPE_ARCHITECTURES)}.")
        else:
            blocks = len(RECIPE_ARCHITECTURES[self.model].blocks)
            if not 0 <= self.unfreeze_last <= blocks:
                found.append(f"{self.model} has {blocks} blocks: unfreeze between 0 and {blocks} of them.")
        if not isinstance(self.num_classes, int) or self.num_classes < 2:
            found.append("A classifier needs at least 2 classes.")
        for name in ("head_lr", "backbone_lr"):
            try:
                checks.rate(getattr(self, name), name)
            except checks.SettingError as error:
                found.append(str(error))
        for name in ("head_epochs", "epochs", "patience"):
            try:
                checks.whole(getattr(self, name), name)
            except checks.SettingError as error:
                found.append(str(error))
        try:
            last_stage = self.epochs if self.unfreeze_last else self.head_epochs
            schedules.schedule_curve(self.schedule, checks.whole(last_stage, "epochs"))  # stepped once per epoch
        except checks.SettingError as error:
            if str(error) not in found:
                found.append(str(error))
        return found

    def advice(self):
        """Sentences about choices that run but go against the course's strategy."""
        tips = []
        if not self.problems() and self.unfreeze_last and self.backbone_lr > self.head_lr:
            tips.append(
                "The pre-trained layers get a higher rate than the new head: large steps can wreck "
                "what they learned. The course's recipes give them a lower rate than the head."
            )
        if not self.problems() and self.unfreeze_last and self.backbone_lr >= 1e-2:
            tips.append("A backbone rate of 1e-2 made the course model forget its letters (lesson 04): "
                        "large steps can erase pre-trained features.")
        return tips


#: the script, with the learner's choices as ``__NAME__`` marks and its optional parts as ``# <section>`` blocks
_TEMPLATE = resources.files(__package__) / "recipe_template.py"
_CHOICE = re.compile(r"__([A-Z][A-Z0-9_]*[A-Z0-9])__")
_SECTION = re.compile(r"# <(/?)([a-z_]+)>")


def _cut(template, keep):
    """``template`` without its section marks and without the sections whose name ``keep`` maps to False."""
    kept, open_sections = [], []
    for line in template.splitlines(keepends=True):
        mark = _SECTION.fullmatch(line.strip())
        if mark is None:
            if all(keep[name] for name in open_sections):
                kept.append(line)
        elif not mark[1]:
            open_sections.append(mark[2])
        elif not open_sections or open_sections.pop() != mark[2]:
            raise ValueError(f"{_TEMPLATE.name}: {line.strip()} closes no open section")
    if open_sections:
        raise ValueError(f"{_TEMPLATE.name}: section <{open_sections[-1]}> is never closed")
    return "".join(kept)


def recipe_code(recipe, *, weights="DEFAULT"):
    """The whole training script for ``recipe`` as a string: ``recipe_template.py`` filled in.

    ``weights`` names the torchvision weights (``"DEFAULT"``: the best ImageNet weights); ``None`` builds the
    model with random weights (tests use that: no download). Either way the images are prepared with the
    weights' own ``transforms()``, which needs no download.
    """
    problems = recipe.problems()
    if problems:
        raise ValueError(" ".join(problems))
    arch = RECIPE_ARCHITECTURES[recipe.model]
    trained = arch.blocks[len(arch.blocks) - recipe.unfreeze_last :]
    scheduler = schedules.torch_line(recipe.schedule, "EPOCHS" if trained else "HEAD_EPOCHS")
    if scheduler and not trained:  # one stage: the schedule drives the head's optimizer
        scheduler = re.sub(r"\boptimizer\b", "head_optimizer", scheduler)
    imagenet = bool(arch.weights)
    sections = {
        "template": False,
        "course_model": not imagenet,
        "imagenet_model": imagenet,
        "imagenet_weights": imagenet and weights is not None,
        "random_weights": imagenet and weights is None,
        "augment": recipe.augment,
        "no_augment": not recipe.augment,
        "stage_two": bool(trained),
        "head_only": not trained,
        "scheduler": scheduler is not None,
        "no_scheduler": scheduler is None,
    }
    choices = {
        "HEAD_EPOCHS": recipe.head_epochs,
        "EPOCHS": recipe.epochs,
        "PATIENCE": recipe.patience,
        "NUM_CLASSES": recipe.num_classes,
        "HEAD_LR": f"{recipe.head_lr:g}",
        "BACKBONE_LR": f"{recipe.backbone_lr:g}",
        "SIZE": COURSE_IMAGE_SIZE,
        "MEAN": list(COURSE_MEAN),
        "STD": list(COURSE_STD),
        "MODEL": recipe.model,
        "WEIGHTS_ENUM": arch.weights,
        "WEIGHTS": weights or "DEFAULT",
        "HEAD": arch.head,
        "UNFROZEN": len(trained),
        "FINE_TUNED": ", ".join(f"model.{block}" for block in trained),
        "SCHEDULER": scheduler,
    }
    script = _cut(_TEMPLATE.read_text(encoding="utf-8"), sections)
    return _CHOICE.sub(lambda mark: str(choices[mark[1]]), script)
