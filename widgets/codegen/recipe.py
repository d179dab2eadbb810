"""Write the PyTorch code of a fine-tuning recipe: the capstone's "recipe builder".

The generated script is the course's strategy in one file, in two stages. Stage one trains a new head on the
frozen pre-trained model. Stage two unfreezes the last blocks and trains them with the head, the pre-trained
blocks at a lower rate, on a schedule. Frozen BatchNorm layers stay in eval mode. Both stages stop early when
the validation accuracy has not improved for ``patience`` epochs, and keep the best weights seen. The images are
prepared the way the weights expect: ``weights.transforms()`` for torchvision's ImageNet models, the course
model's own size and statistics for the course model. Tests execute the scripts.
"""

import os
import re
from dataclasses import dataclass

from ..engine import checks, schedules


@dataclass(frozen=True)
class Architecture:
    """What the recipe needs to know about a model: how to build it, its head, its blocks (early to late), and
    how its images are prepared and augmented."""

    build: str  # code that creates the pre-trained model; {weights} is filled in
    head: str  # attribute path of the classification layer, e.g. "fc" or "classifier[1]"
    blocks: tuple  # attribute paths of the backbone's blocks, early to late
    weights: str = ""  # torchvision's weights enum ("ResNet18_Weights"): its transforms() prepare the images
    photos: bool = True  # trained on photos: a mirrored photo shows the same thing, so flips are fair augmentation


def _indexed(prefix, count):
    return tuple(f"{prefix}[{i}]" for i in range(count))


_RESNET_BLOCKS = ("layer1", "layer2", "layer3", "layer4")

#: the course model's input: 32 x 32 pixels, normalised with the statistics it was pre-trained with
COURSE_IMAGE_SIZE = 32
COURSE_MEAN, COURSE_STD = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)

RECIPE_ARCHITECTURES = {
    "course": Architecture('widgets.load_pretrained("course")', "head", ("conv1", "conv2", "conv3"), photos=False),
    "mobilenet_v2": Architecture("models.mobilenet_v2(weights={weights})", "classifier[1]", _indexed("features", 19),
                                 "MobileNet_V2_Weights"),
    "resnet18": Architecture("models.resnet18(weights={weights})", "fc", _RESNET_BLOCKS, "ResNet18_Weights"),
    "resnet50": Architecture("models.resnet50(weights={weights})", "fc", _RESNET_BLOCKS, "ResNet50_Weights"),
    "resnet152": Architecture("models.resnet152(weights={weights})", "fc", _RESNET_BLOCKS, "ResNet152_Weights"),
    "efficientnet_b0": Architecture("models.efficientnet_b0(weights={weights})", "classifier[1]",
                                    _indexed("features", 9), "EfficientNet_B0_Weights"),
    "convnext_tiny": Architecture("models.convnext_tiny(weights={weights})", "classifier[2]",
                                  _indexed("features", 8), "ConvNeXt_Tiny_Weights"),
    "vit_b_16": Architecture("models.vit_b_16(weights={weights})", "heads.head", _indexed("encoder.layers", 12),
                             "ViT_B_16_Weights"),
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


def _data_lines(arch, recipe, weights_given):
    """Section 1 of the script: the image pipeline the weights expect, and augmentation that fits the data."""
    if arch.weights:
        lines = [
            "# 1. The data, prepared as the ImageNet weights expect: WEIGHTS.transforms() resizes, centre-crops",
            "#    to 224 x 224 and normalises with ImageNet's mean and std, exactly as in pre-training.",
            "preprocess = WEIGHTS.transforms()",
            "normalize = transforms.Normalize(preprocess.mean, preprocess.std)",
        ]
        if recipe.augment:
            lines += [
                "train_transform = transforms.Compose([",
                "    transforms.RandomResizedCrop(preprocess.crop_size[0], scale=(0.7, 1.0)),"
                "  # a random part of the photo",
                "    transforms.RandomHorizontalFlip(),"
                "  # a mirrored photo of a bee is still a bee (not so for text or digits)",
                "    transforms.ToTensor(),",
                "    normalize,",
                "])",
            ]
        else:
            lines.append("train_transform = preprocess")
        lines.append("val_transform = preprocess  # never augment the images you decide with")
        return lines
    size = COURSE_IMAGE_SIZE
    resize = f"transforms.Resize(({size}, {size}))"
    lines = [
        f"# 1. The data, prepared as the course model expects: {size} x {size} pixels, normalised with the",
        "#    statistics it was pre-trained with.",
        f"normalize = transforms.Normalize({list(COURSE_MEAN)}, {list(COURSE_STD)})",
    ]
    if recipe.augment:
        lines += [
            "train_transform = transforms.Compose([",
            f"    {resize},",
            f"    transforms.RandomCrop({size}, padding=2, padding_mode=\"edge\"),  # shift by up to 2 pixels",
            "    # No flips: a mirrored 2, 3 or 7 is not a digit any more.",
            "    transforms.ToTensor(),",
            "    normalize,",
            "])",
        ]
    else:
        lines.append(f"train_transform = transforms.Compose([{resize}, transforms.ToTensor(), normalize])")
    lines.append(f"val_transform = transforms.Compose([{resize}, transforms.ToTensor(), normalize])")
    return lines


def recipe_code(recipe, *, weights="DEFAULT"):
    """The whole training script for ``recipe`` as a string.

    ``weights`` names the torchvision weights (``"DEFAULT"``: the best ImageNet weights); ``None`` builds the
    model with random weights (tests use that: no download). Either way the images are prepared with the
    weights' own ``transforms()``, which needs no download.
    """
    problems = recipe.problems()
    if problems:
        raise ValueError(" ".join(problems))
    arch = RECIPE_ARCHITECTURES[recipe.model]
    trained = arch.blocks[len(arch.blocks) - recipe.unfreeze_last :]
    head = f"model.{arch.head}"

    lines = [
        "import copy",
        "",
        "import torch",
        "from torch import nn",
        "from torchvision import datasets, models, transforms",
    ]
    if not arch.weights:
        lines.append("import widgets  # the course's own pre-trained model")
    lines += [
        "",
        'DATA_DIR = "data"  # DATA_DIR/train/<class>/*.png and DATA_DIR/val/<class>/*.png',
        f"HEAD_EPOCHS = {recipe.head_epochs}  # stage one: the new head alone",
    ]
    if trained:
        lines.append(f"EPOCHS = {recipe.epochs}  # stage two: the last block(s) and the head")
    lines.append(f"PATIENCE = {recipe.patience}"
                 "  # stop a stage after this many epochs without a better validation accuracy")
    if arch.weights:
        lines.append(f"WEIGHTS = models.{arch.weights}.{weights or 'DEFAULT'}"
                     "  # ImageNet weights, and how their images were prepared")
    lines += [""] + _data_lines(arch, recipe, weights is not None)
    model_weights = "WEIGHTS" if weights is not None else "None"
    build = arch.build.format(weights=model_weights)
    if arch.weights and weights is None:
        build += "  # random weights (the preprocessing still follows WEIGHTS)"
    lines += [
        'train_set = datasets.ImageFolder(f"{DATA_DIR}/train", transform=train_transform)',
        'val_set = datasets.ImageFolder(f"{DATA_DIR}/val", transform=val_transform)',
        "train_loader = torch.utils.data.DataLoader(train_set, batch_size=32, shuffle=True)",
        "val_loader = torch.utils.data.DataLoader(val_set, batch_size=64)",
        "",
        "# 2. A pre-trained model, frozen: its weights already hold useful features.",
        f"model = {build}",
        "for param in model.parameters():",
        "    param.requires_grad = False",
        "",
        f"# 3. A new head for our {recipe.num_classes} classes. New layers are trainable by default.",
        f"{head} = nn.Linear({head}.in_features, {recipe.num_classes})",
        "loss_fn = nn.CrossEntropyLoss()",
        "",
        "",
        "def train_mode(model):",
        "    # Frozen BatchNorm layers keep their pre-trained statistics: leave them in eval mode.",
        "    model.train()",
        "    for module in model.modules():",
        "        if isinstance(module, nn.modules.batchnorm._BatchNorm):",
        "            if not any(p.requires_grad for p in module.parameters()):",
        "                module.eval()",
        "",
        "",
        "@torch.no_grad()",
        "def evaluate(model, loader):",
        '    """(loss, accuracy) on the images of `loader`, in eval mode."""',
        "    model.eval()",
        "    loss = correct = 0.0",
        "    for x, y in loader:",
        "        out = model(x)",
        '        loss += loss_fn(out, y).item() * len(y)',
        "        correct += (out.argmax(1) == y).sum().item()",
        "    return loss / len(loader.dataset), correct / len(loader.dataset)",
        "",
        "",
        "best_accuracy = -1.0  # the best validation accuracy so far, over both stages",
        "",
        "",
        "def fit(optimizer, epochs, scheduler=None):",
        '    """Train for up to `epochs` epochs. Early stopping: stop when the validation accuracy has not beaten',
        "    the best so far for PATIENCE epochs. Then load the best weights seen (this stage's, or the stage",
        '    before if this one never beat it). Returns the number of epochs run."""',
        "    global best_accuracy",
        "    best_state, waited = copy.deepcopy(model.state_dict()), 0",
        "    for epoch in range(epochs):",
        "        train_mode(model)",
        "        for images, labels in train_loader:",
        "            optimizer.zero_grad()",
        "            loss = loss_fn(model(images), labels)",
        "            loss.backward()",
        "            optimizer.step()",
        "        val_loss, val_accuracy = evaluate(model, val_loader)",
        "        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):",
        "            scheduler.step(val_loss)  # lowers the rate when the validation loss stalls",
        "        elif scheduler is not None:",
        "            scheduler.step()",
        '        print(f"epoch {epoch + 1}: training loss {loss.item():.3f}, "',
        '              f"validation loss {val_loss:.3f}, validation accuracy {val_accuracy:.1%}")',
        "        if val_accuracy > best_accuracy:",
        "            best_accuracy, best_state, waited = val_accuracy, copy.deepcopy(model.state_dict()), 0",
        "        else:",
        "            waited += 1",
        "            if waited == PATIENCE:",
        '                print(f"early stopping: no better validation accuracy for {PATIENCE} epochs")',
        "                break",
        "    model.load_state_dict(best_state)",
        "    return epoch + 1",
        "",
        "",
    ]
    schedule = schedules.torch_line(recipe.schedule, "EPOCHS" if trained else "HEAD_EPOCHS")
    head_stage = [
        "# 4. Stage one: train the new head alone on the frozen backbone. The head starts random; training the",
        "#    pre-trained blocks next to it from the first step would let its random errors push them around.",
        f"head_optimizer = torch.optim.Adam({head}.parameters(), lr={recipe.head_lr:g})",
    ]
    if trained:
        lines += head_stage + [
            "fit(head_optimizer, HEAD_EPOCHS)",
            'print(f"stage one (head only): best validation accuracy {best_accuracy:.1%}")',
            "",
            f"# 5. Stage two: unfreeze the last {len(trained)} block(s) and train them with the head, at a lower rate",
            "#    than the head's, so the pre-trained features adapt in small steps.",
            f"fine_tuned = [{', '.join(f'model.{block}' for block in trained)}]",
            "for block in fine_tuned:",
            "    for param in block.parameters():",
            "        param.requires_grad = True",
            "optimizer = torch.optim.Adam([",
            f'    {{"params": {head}.parameters(), "lr": {recipe.head_lr:g}}},',
            f'    {{"params": [p for block in fine_tuned for p in block.parameters()], "lr": {recipe.backbone_lr:g}}},',
            "])",
        ]
        if schedule:
            lines.append(f"scheduler = {schedule}")
        lines.append(f"fit(optimizer, EPOCHS{', scheduler' if schedule else ''})")
    else:
        lines += head_stage
        if schedule:
            lines.append("scheduler = " + re.sub(r"\boptimizer\b", "head_optimizer", schedule))
        lines += [
            f"fit(head_optimizer, HEAD_EPOCHS{', scheduler' if schedule else ''})",
            "# No stage two: with unfreeze_last=0 every pre-trained block stays frozen.",
        ]
    lines.append('print(f"final model: best validation accuracy {best_accuracy:.1%}")')
    return "\n".join(lines) + "\n"


def run_script(code, workdir):
    """Run a generated script as if started in ``workdir`` (where its ``data/`` folder is); return its variables.

    Runs in this process, so the trained ``model`` can be inspected afterwards.
    """
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        namespace = {"__name__": "__main__"}
        exec(compile(code, "my_finetune.py", "exec"), namespace)
    finally:
        os.chdir(previous)
    return namespace
