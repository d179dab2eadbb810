"""Write the PyTorch code of a fine-tuning recipe: the capstone's "recipe builder".

The generated script is the course's strategy in one file: load a pre-trained model, freeze it, replace the
head, unfreeze the last blocks, give the pre-trained layers a lower learning rate than the new head, schedule
the rate, keep frozen BatchNorm layers in eval mode, and keep the best epoch. Tests execute it.
"""

import os
from dataclasses import dataclass

from . import checks, schedules


@dataclass(frozen=True)
class Architecture:
    """What the recipe needs to know about a model: how to build it, its head, its blocks (early to late)."""

    build: str  # code that creates the pre-trained model; {weights} is filled in
    head: str  # attribute path of the classification layer, e.g. "fc" or "classifier[1]"
    blocks: tuple  # attribute paths of the backbone's blocks, early to late
    image_size: int
    mean: tuple = (0.485, 0.456, 0.406)  # ImageNet statistics
    std: tuple = (0.229, 0.224, 0.225)


def _indexed(prefix, count):
    return tuple(f"{prefix}[{i}]" for i in range(count))


_RESNET_BLOCKS = ("layer1", "layer2", "layer3", "layer4")

RECIPE_ARCHITECTURES = {
    "course": Architecture(
        build='widgets.load_pretrained("course")',
        head="head",
        blocks=("conv1", "conv2", "conv3"),
        image_size=32,
        mean=(0.5, 0.5, 0.5),
        std=(0.25, 0.25, 0.25),
    ),
    "mobilenet_v2": Architecture("models.mobilenet_v2(weights={weights})", "classifier[1]", _indexed("features", 19), 224),
    "resnet18": Architecture("models.resnet18(weights={weights})", "fc", _RESNET_BLOCKS, 224),
    "resnet50": Architecture("models.resnet50(weights={weights})", "fc", _RESNET_BLOCKS, 224),
    "resnet152": Architecture("models.resnet152(weights={weights})", "fc", _RESNET_BLOCKS, 224),
    "efficientnet_b0": Architecture("models.efficientnet_b0(weights={weights})", "classifier[1]", _indexed("features", 9), 224),
    "convnext_tiny": Architecture("models.convnext_tiny(weights={weights})", "classifier[2]", _indexed("features", 8), 224),
    "vit_b_16": Architecture("models.vit_b_16(weights={weights})", "heads.head", _indexed("encoder.layers", 12), 224),
}



@dataclass(frozen=True)
class Recipe:
    """The learner's choices. ``unfreeze_last=0`` trains the new head only."""

    model: str = "resnet18"
    num_classes: int = 10
    unfreeze_last: int = 1
    head_lr: float = 1e-3
    backbone_lr: float = 1e-4
    schedule: str = "cosine"
    epochs: int = 10
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
        try:
            epochs = checks.whole(self.epochs, "epochs")
            schedules.schedule_curve(self.schedule, epochs)  # stepped once per epoch in the script
        except checks.SettingError as error:
            found.append(str(error))
        return found

    def advice(self):
        """Sentences about choices that run but go against the course's strategy."""
        tips = []
        if not self.problems() and self.unfreeze_last and self.backbone_lr > self.head_lr:
            tips.append(
                "The pre-trained layers get a higher rate than the new head: large steps can wreck "
                "what they learned. Usually the backbone rate is 3-10x lower."
            )
        if not self.problems() and self.unfreeze_last and self.backbone_lr >= 1e-2:
            tips.append("A backbone rate of 1e-2 or more tends to erase the pre-trained features (forgetting).")
        return tips


def recipe_code(recipe, *, weights="DEFAULT"):
    """The whole training script for ``recipe`` as a string.

    ``weights`` goes into the torchvision constructor: ``"DEFAULT"`` for the best ImageNet weights, ``None``
    for random weights (tests use that: no download).
    """
    problems = recipe.problems()
    if problems:
        raise ValueError(" ".join(problems))
    arch = RECIPE_ARCHITECTURES[recipe.model]
    trained = arch.blocks[len(arch.blocks) - recipe.unfreeze_last :]
    build = arch.build.format(weights="None" if weights is None else f'"{weights}"')
    is_course = recipe.model == "course"

    lines = [
        "import torch",
        "from torch import nn",
        "from torchvision import datasets, models, transforms",
    ]
    if is_course:
        lines.append("import widgets  # the course's own pre-trained model")
    lines += [
        "",
        'DATA_DIR = "data"  # DATA_DIR/train/<class>/*.png and DATA_DIR/val/<class>/*.png',
        f"EPOCHS = {recipe.epochs}",
        "",
        "# 1. The data: resize to what the model was pre-trained on, normalise with its statistics.",
        f"normalize = transforms.Normalize({list(arch.mean)}, {list(arch.std)})",
    ]
    if recipe.augment:
        lines += [
            "train_transform = transforms.Compose([",
            f"    transforms.RandomResizedCrop({arch.image_size}, scale=(0.7, 1.0)),",
            "    transforms.RandomHorizontalFlip(),",
            "    transforms.ToTensor(),",
            "    normalize,",
            "])",
        ]
    else:
        lines.append(
            f"train_transform = transforms.Compose([transforms.Resize(({arch.image_size}, {arch.image_size})), "
            "transforms.ToTensor(), normalize])"
        )
    lines += [
        f"val_transform = transforms.Compose([transforms.Resize(({arch.image_size}, {arch.image_size})), "
        "transforms.ToTensor(), normalize])",
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
        f"model.{arch.head} = nn.Linear(model.{arch.head}.in_features, {recipe.num_classes})",
    ]
    groups = [f'    {{"params": model.{arch.head}.parameters(), "lr": {recipe.head_lr:g}}},']
    if trained:
        names = ", ".join(f"model.{block}" for block in trained)
        lines += [
            "",
            f"# 4. Fine-tune the last {len(trained)} block(s) too, with a lower learning rate than the head.",
            f"fine_tuned = [{names}]",
            "for block in fine_tuned:",
            "    for param in block.parameters():",
            "        param.requires_grad = True",
        ]
        groups.append(
            f'    {{"params": [p for block in fine_tuned for p in block.parameters()], "lr": {recipe.backbone_lr:g}}},'
        )
    lines += [
        "",
        "# 5. The optimizer gets only trainable parameters, one learning rate per group.",
        "optimizer = torch.optim.Adam([",
        *groups,
        "])",
    ]
    schedule = schedules.torch_line(recipe.schedule, "EPOCHS")
    if schedule:
        lines.append(f"scheduler = {schedule}")
    lines += [
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
        "def accuracy(model, loader):",
        "    model.eval()",
        "    correct = sum((model(x).argmax(1) == y).sum().item() for x, y in loader)",
        "    return correct / len(loader.dataset)",
        "",
        "",
        "# 6. Train, and keep the epoch with the best validation accuracy (early stopping).",
        "best_accuracy, best_state = -1.0, None",
        "for epoch in range(EPOCHS):",
        "    train_mode(model)",
        "    for images, labels in train_loader:",
        "        optimizer.zero_grad()",
        "        loss = loss_fn(model(images), labels)",
        "        loss.backward()",
        "        optimizer.step()",
    ]
    if schedule:
        lines.append("    scheduler.step()")
    lines += [
        "    val_accuracy = accuracy(model, val_loader)",
        '    print(f"epoch {epoch + 1}: loss {loss.item():.3f}, validation accuracy {val_accuracy:.1%}")',
        "    if val_accuracy > best_accuracy:",
        "        best_accuracy = val_accuracy",
        "        best_state = {k: v.clone() for k, v in model.state_dict().items()}",
        "model.load_state_dict(best_state)",
    ]
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
