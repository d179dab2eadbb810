"""Write the PyTorch code of a fine-tuning recipe: the capstone's "recipe builder".

The generated script is the course's strategy in one file, in two stages. Stage one trains a new head on the
frozen pre-trained model. Stage two unfreezes the last blocks and trains them with the head, the pre-trained
blocks at a lower rate, on a schedule. Frozen BatchNorm layers stay in eval mode. Both stages stop early when
the validation accuracy has not improved for ``patience`` epochs, and keep the best weights seen. The images are
prepared the way the weights expect: ``weights.transforms()`` for torchvision's ImageNet models, timm's data
config for a timm model (``"timm:<name>"``), the course models' own size and statistics for the course CNN and
the course ViT. At the end the script saves the final model's weights and a small report (best validation
accuracy, epochs run) next to itself.

A timm model is written with timm's own tools: ``timm.create_model``, its data config and transforms, its head
(``get_classifier()``) and its blocks as ``group_matcher()`` groups them (:mod:`.timm_models`); with
``optimizer="modern"``, the recipe lesson 08 measures: timm's AdamW with layer-wise rates and no decay on biases
and norms (``create_optimizer_v2``), warm-up then cosine (``CosineLRScheduler``), label smoothing.

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
from . import timm_models
from .timm_models import timm_name


@dataclass(frozen=True)
class Architecture:
    """What the recipe needs to know about a model: its head, its blocks (early to late), and how its images are
    prepared and augmented. The key in ``RECIPE_ARCHITECTURES`` names torchvision's builder (``models.resnet18``)."""

    head: str  # attribute path of the classification layer, e.g. "fc" or "classifier[1]"
    blocks: tuple  # attribute paths of the backbone's blocks, early to late
    weights: str = ""  # torchvision's weights enum ("ResNet18_Weights"): its transforms() prepare the images
    photos: bool = True  # trained on photos: a mirrored photo shows the same thing, so flips are fair augmentation
    top: tuple = ()  # what lies between the last block and the head (a final norm): it trains with any block
    loader: str = ""  # the course models: the call of ``widgets`` that loads the pre-trained model
    timm: str = ""  # timm's name of the model (its head and blocks are then timm's, see timm_models.py)


def _indexed(prefix, count):
    return tuple(f"{prefix}[{i}]" for i in range(count))


_RESNET_BLOCKS = ("layer1", "layer2", "layer3", "layer4")

#: the course model's input: 32 x 32 pixels, normalised with the statistics it was pre-trained with
COURSE_IMAGE_SIZE = 32
COURSE_MEAN, COURSE_STD = (MEAN,) * 3, (STD,) * 3  # the one set of course image statistics (engine.images)

RECIPE_ARCHITECTURES = {
    "course": Architecture("head", ("conv1", "conv2", "conv3"), photos=False, loader='load_pretrained("course")'),
    "course_vit": Architecture("head", tuple(f"block{i}" for i in range(1, 5)), photos=False, top=("norm",),
                               loader="load_course_vit()"),
    "mobilenet_v2": Architecture("classifier[1]", _indexed("features", 19), "MobileNet_V2_Weights"),
    "resnet18": Architecture("fc", _RESNET_BLOCKS, "ResNet18_Weights"),
    "resnet50": Architecture("fc", _RESNET_BLOCKS, "ResNet50_Weights"),
    "resnet152": Architecture("fc", _RESNET_BLOCKS, "ResNet152_Weights"),
    "efficientnet_b0": Architecture("classifier[1]", _indexed("features", 9), "EfficientNet_B0_Weights"),
    "convnext_tiny": Architecture("classifier[2]", _indexed("features", 8), "ConvNeXt_Tiny_Weights"),
    "vit_b_16": Architecture("heads.head", _indexed("encoder.layers", 12), "ViT_B_16_Weights", top=("encoder.ln",)),
}
#: a few timm models the builder offers by name (any other timm name can be typed as "timm:<name>")
TIMM_SUGGESTIONS = ("timm:vit_small_patch16_224", "timm:convnext_atto", "timm:resnet50", "timm:efficientnet_b0")

OPTIMIZERS = ("adam", "modern")
#: the modern recipe's settings, as lesson 08 measures them (widgets.labs.recipe_now; a test checks they agree)
MODERN = {"weight_decay": 0.05, "layer_decay": 0.75, "warmup": 0.1, "label_smoothing": 0.1}


def architecture(model):
    """The :class:`Architecture` of ``model``: a key of ``RECIPE_ARCHITECTURES`` or ``"timm:<name>"``. Raises
    ``ValueError`` with a sentence for a model the builder cannot write."""
    name = timm_name(model)
    if name is None:
        if isinstance(model, str) and model in RECIPE_ARCHITECTURES:
            return RECIPE_ARCHITECTURES[model]
        raise ValueError(f"Unknown model {model!r}. Choose one of: {', '.join(RECIPE_ARCHITECTURES)}, or a timm "
                         f"model as timm:<name> (e.g. {TIMM_SUGGESTIONS[0]}).")
    problem = timm_models.unknown(name)
    if problem:
        raise ValueError(problem)
    return Architecture("get_classifier()", timm_models.blocks(name), timm=name)


@dataclass(frozen=True)
class Recipe:
    """The learner's choices.

    Stage one trains the new head alone for ``head_epochs``. Stage two trains the last ``unfreeze_last`` blocks
    and the head for ``epochs``, on ``schedule``; with ``unfreeze_last=0`` there is no stage two (and the schedule
    applies to stage one). Each stage stops after ``patience`` epochs without a better validation accuracy.

    ``model``: a key of ``RECIPE_ARCHITECTURES`` or a timm model, ``"timm:vit_small_patch16_224"``. For a timm
    model, ``image_size`` sets its input size (``None``: the size its weights were trained at). ``optimizer``:
    ``"adam"`` (each stage's rates as chosen, on ``schedule``) or ``"modern"`` (timm models: AdamW, layer-wise
    rates below ``head_lr``, warm-up then cosine in each stage, label smoothing: ``MODERN``; ``backbone_lr`` and
    ``schedule`` are not used).
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
    optimizer: str = "adam"
    image_size: int | None = None

    def problems(self):
        """Why this recipe cannot be written, as sentences (empty when it is fine)."""
        found = []
        try:
            arch = architecture(self.model)
        except ValueError as error:
            found.append(str(error))
            arch = None
        else:
            blocks = len(arch.blocks)
            if not 0 <= self.unfreeze_last <= blocks:
                found.append(f"{self.model} has {blocks} blocks: unfreeze between 0 and {blocks} of them.")
        timm_model = arch is not None and bool(arch.timm)
        if self.optimizer not in OPTIMIZERS:
            found.append(f"Unknown optimizer {self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}.")
        elif self.optimizer == "modern" and arch is not None and not timm_model:
            found.append("The modern recipe is written with timm's optimizer and scheduler: choose a timm model "
                         f"(timm:<name>, e.g. {TIMM_SUGGESTIONS[0]}), or the adam optimizer.")
        if self.image_size is not None:
            try:
                checks.whole(self.image_size, "image_size")
            except checks.SettingError as error:
                found.append(str(error))
            if arch is not None and not timm_model:
                found.append(f"image_size is for timm models: {self.model} reads the size its weights expect.")
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
            if self.optimizer != "modern":  # the modern recipe has its own schedule
                schedules.schedule_curve(self.schedule, checks.whole(last_stage, "epochs"))  # stepped once per epoch
        except checks.SettingError as error:
            if str(error) not in found:
                found.append(str(error))
        return found

    def advice(self):
        """Sentences about choices that run but go against the course's strategy."""
        tips = []
        if self.optimizer == "modern":  # no backbone rate: layer-wise decay sets the blocks' rates below the head's
            return tips
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

    ``weights`` names the torchvision weights (``"DEFAULT"``: the best ImageNet weights; for a timm model,
    ``pretrained=True``); ``None`` builds the model with random weights (tests use that: no download). Either way
    the images are prepared as the weights expect (``transforms()``, timm's data config), which needs no download.
    """
    problems = recipe.problems()
    if problems:
        raise ValueError(" ".join(problems))
    arch = architecture(recipe.model)
    trained = arch.blocks[len(arch.blocks) - recipe.unfreeze_last :]
    modern = recipe.optimizer == "modern"
    scheduler = None if modern else schedules.torch_line(recipe.schedule, "EPOCHS" if trained else "HEAD_EPOCHS")
    if scheduler and not trained:  # one stage: the schedule drives the head's optimizer
        scheduler = re.sub(r"\boptimizer\b", "head_optimizer", scheduler)
    imagenet, timm_model = bool(arch.weights), bool(arch.timm)
    new_size = timm_model and recipe.image_size is not None
    sections = {
        "template": False,
        "course_model": bool(arch.loader),
        "imagenet_model": imagenet,
        "imagenet_weights": imagenet and weights is not None,
        "random_weights": imagenet and weights is None,
        "torch_model": not timm_model,
        "timm_model": timm_model,
        "own_size": timm_model and not new_size,
        "new_size": new_size,
        "img_size": new_size and timm_models.fixed_input_size(arch.timm),
        "any_size": new_size and not timm_models.fixed_input_size(arch.timm),
        "augment": recipe.augment,
        "no_augment": not recipe.augment,
        "stage_two": bool(trained),
        "head_only": not trained,
        "adam": not modern,
        "modern": modern,
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
        "SIZE": recipe.image_size if new_size else COURSE_IMAGE_SIZE,
        "MEAN": list(COURSE_MEAN),
        "STD": list(COURSE_STD),
        "MODEL": recipe.model,
        "LOADER": arch.loader,
        "WEIGHTS_ENUM": arch.weights,
        "WEIGHTS": weights or "DEFAULT",
        "HEAD": arch.head,
        "UNFROZEN": len(trained),
        "FINE_TUNED": ", ".join(f"model.{block}" for block in trained + (arch.top if trained else ())),
        "SCHEDULER": scheduler,
        "TIMM_MODEL": arch.timm,
        "PRETRAINED": weights is not None,
        "BLOCKS": len(arch.blocks),
        "UNFROZEN_NAMES": ", ".join(trained),
        "GROUPS": len(trained) + 1,
        **{key.upper(): value for key, value in MODERN.items()},
    }
    script = _cut(_TEMPLATE.read_text(encoding="utf-8"), sections)
    return _CHOICE.sub(lambda mark: str(choices[mark[1]]), script)
