# <template>
"""The fine-tuning script of the capstone's recipe builder, as a template: ``recipe_code()`` (recipe.py) fills it in.

It is never imported or run as it stands; it is Python so that a linter reads it. Two kinds of marks:

- ``__NAME__`` (capitals between double underscores): one of the learner's choices, written in where it stands;
  the ``<template>`` block after the imports says what each one is.
- a ``# <section>`` line and its ``# </section>`` line: the lines between them are kept or cut out whole, the
  marks themselves always. ``<template>`` sections (like this docstring) never reach a script.

Its imports are sorted for each script, not for the template (section marks between imports): the tests run ruff
on the scripts it writes.
"""
# ruff: noqa: I001, F811
# </template>
import copy
import json
from pathlib import Path

# <timm_model>
import timm
# </timm_model>
import torch
# <modern>
from timm.optim import create_optimizer_v2
from timm.scheduler import CosineLRScheduler
# </modern>
from torch import nn
# <imagenet_model>
from torchvision import datasets, models, transforms
# </imagenet_model>
# <course_model>
from torchvision import datasets, transforms
# </course_model>

# <course_model>
import widgets  # the course's own pre-trained model

# </course_model>
# <template>
raise ImportError("recipe_template.py is the template recipe_code() fills in, not a module: never import or run it")
# The learner's choices, declared here only for the linter; model.__HEAD__, models.__MODEL__,
# models.__WEIGHTS_ENUM__.__WEIGHTS__ and widgets.__LOADER__ need no declaration (the head's attribute path,
# torchvision's builder, its weights enum and which weights, the course model's loader), nor __UNFROZEN__ (how
# many blocks stage two trains), __BLOCKS__ and __UNFROZEN_NAMES__ (timm's blocks: how many, which), which comments
# read.
__HEAD_EPOCHS__ = __EPOCHS__ = __PATIENCE__ = 1  # each stage's epochs; epochs without progress before it stops
__NUM_CLASSES__ = 2  # outputs of the new head
__GROUPS__ = 2  # timm models: how many of the last parameter groups stage two trains (blocks and the head's)
__HEAD_LR__ = __BACKBONE_LR__ = 1e-3  # the new head's rate; the unfrozen pre-trained blocks' rate
__SIZE__, __MEAN__, __STD__ = 32, [0.5] * 3, [0.25] * 3  # the course model's input size and pixel statistics
__FINE_TUNED__ = None  # the blocks stage two trains, as a comma-separated list: model.layer3, model.layer4
__SCHEDULER__ = None  # the line that builds the learning-rate schedule
__TIMM_MODEL__ = __PRETRAINED__ = None  # timm's name of the model; True for its pre-trained weights, False: random
__WEIGHT_DECAY__ = __LAYER_DECAY__ = __WARMUP__ = __LABEL_SMOOTHING__ = 0.1  # the modern recipe's settings
# </template>
DATA_DIR = "data"  # DATA_DIR/train/<class>/*.png and DATA_DIR/val/<class>/*.png
HEAD_EPOCHS = __HEAD_EPOCHS__  # stage one: the new head alone
# <stage_two>
EPOCHS = __EPOCHS__  # stage two: the last block(s) and the head
# </stage_two>
PATIENCE = __PATIENCE__  # stop a stage after this many epochs without a better validation accuracy
# <modern>
WEIGHT_DECAY = __WEIGHT_DECAY__  # AdamW's weight decay, decoupled from the gradient step; none on biases and norms
LAYER_DECAY = __LAYER_DECAY__  # layer-wise rates: each block at this times the rate of the block above it
WARMUP = __WARMUP__  # the rate grows over this fraction of a stage's updates, then falls along half a cosine
# </modern>
# <imagenet_model>
WEIGHTS = models.__WEIGHTS_ENUM__.__WEIGHTS__  # ImageNet weights, and how their images were prepared
# </imagenet_model>

# <imagenet_model>
# 1. The data, prepared as the ImageNet weights expect: WEIGHTS.transforms() resizes, centre-crops
#    to 224 x 224 and normalises with ImageNet's mean and std, exactly as in pre-training.
preprocess = WEIGHTS.transforms()
normalize = transforms.Normalize(preprocess.mean, preprocess.std)
# <augment>
train_transform = transforms.Compose([
    transforms.RandomResizedCrop(preprocess.crop_size[0], scale=(0.7, 1.0)),  # a random part of the photo
    transforms.RandomHorizontalFlip(),  # a mirrored photo of a bee is still a bee (not so for text or digits)
    transforms.ToTensor(),
    normalize,
])
# </augment>
# <no_augment>
train_transform = preprocess
# </no_augment>
val_transform = preprocess  # never augment the images you decide with
# </imagenet_model>
# <course_model>
# 1. The data, prepared as the course model expects: __SIZE__ x __SIZE__ pixels, normalised with the
#    statistics it was pre-trained with.
normalize = transforms.Normalize(__MEAN__, __STD__)
# <augment>
train_transform = transforms.Compose([
    transforms.Resize((__SIZE__, __SIZE__)),
    transforms.RandomCrop(__SIZE__, padding=2, padding_mode="edge"),  # shift by up to 2 pixels
    # No flips: a mirrored 2, 3 or 7 is not a digit any more.
    transforms.ToTensor(),
    normalize,
])
# </augment>
# <no_augment>
train_transform = transforms.Compose([transforms.Resize((__SIZE__, __SIZE__)), transforms.ToTensor(), normalize])
# </no_augment>
val_transform = transforms.Compose([transforms.Resize((__SIZE__, __SIZE__)), transforms.ToTensor(), normalize])
# </course_model>
# <timm_model>
# 1. A pre-trained model from timm, and the data prepared as its weights expect. num_classes=__NUM_CLASSES__ puts a
#    new, random head in place of the 1000 ImageNet classes (model.get_classifier(); reset_classifier(k) does the
#    same on a built model). timm's data config says the input size, the resize and crop, and the mean and std the
#    weights were trained with; create_transform builds the transforms from it.
# <own_size>
model = timm.create_model("__TIMM_MODEL__", pretrained=__PRETRAINED__, num_classes=__NUM_CLASSES__)
data_config = timm.data.resolve_model_data_config(model)
# </own_size>
# <new_size>
# <img_size>
model = timm.create_model("__TIMM_MODEL__", pretrained=__PRETRAINED__, num_classes=__NUM_CLASSES__, img_size=__SIZE__)
# </img_size>
# <any_size>
model = timm.create_model("__TIMM_MODEL__", pretrained=__PRETRAINED__, num_classes=__NUM_CLASSES__)
# </any_size>
data_config = timm.data.resolve_data_config({"input_size": (3, __SIZE__, __SIZE__)}, model=model)  # its mean and std
# </new_size>
# <augment>
train_transform = timm.data.create_transform(**data_config, is_training=True)  # random crops, flips, colour jitter
# </augment>
# <no_augment>
train_transform = timm.data.create_transform(**data_config)
# </no_augment>
val_transform = timm.data.create_transform(**data_config)  # resize, centre crop, normalise: never augmented
# </timm_model>
# <torch_model>
train_set = datasets.ImageFolder(f"{DATA_DIR}/train", transform=train_transform)
val_set = datasets.ImageFolder(f"{DATA_DIR}/val", transform=val_transform)
# </torch_model>
# <timm_model>
train_set = timm.data.ImageDataset(f"{DATA_DIR}/train", transform=train_transform)  # one folder per class
val_set = timm.data.ImageDataset(f"{DATA_DIR}/val", transform=val_transform)
# </timm_model>
train_loader = torch.utils.data.DataLoader(train_set, batch_size=32, shuffle=True)
val_loader = torch.utils.data.DataLoader(val_set, batch_size=64)

# 2. A pre-trained model, frozen: its weights already hold useful features.
# <course_model>
model = widgets.__LOADER__
# </course_model>
# <imagenet_weights>
model = models.__MODEL__(weights=WEIGHTS)
# </imagenet_weights>
# <random_weights>
model = models.__MODEL__(weights=None)  # random weights (the preprocessing still follows WEIGHTS)
# </random_weights>
for param in model.parameters():
    param.requires_grad = False

# <torch_model>
# 3. A new head for our __NUM_CLASSES__ classes. New layers are trainable by default.
model.__HEAD__ = nn.Linear(model.__HEAD__.in_features, __NUM_CLASSES__)
# </torch_model>
# <timm_model>
# 3. The new head, trainable: timm made it for our __NUM_CLASSES__ classes.
for param in model.get_classifier().parameters():
    param.requires_grad = True
# </timm_model>
# <adam>
loss_fn = nn.CrossEntropyLoss()
# </adam>
# <modern>
loss_fn = nn.CrossEntropyLoss(label_smoothing=__LABEL_SMOOTHING__)  # the loss asks for less than full confidence
# </modern>


def train_mode(model):
    # Frozen BatchNorm layers keep their pre-trained statistics: leave them in eval mode.
    model.train()
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            if not any(p.requires_grad for p in module.parameters()):
                module.eval()


@torch.no_grad()
def evaluate(model, loader):
    """(loss, accuracy) on the images of `loader`, in eval mode."""
    model.eval()
    loss = correct = 0.0
    for x, y in loader:
        out = model(x)
        loss += loss_fn(out, y).item() * len(y)
        correct += (out.argmax(1) == y).sum().item()
    return loss / len(loader.dataset), correct / len(loader.dataset)


best_accuracy = -1.0  # the best validation accuracy so far, over both stages


# <modern>
def warmup_cosine(optimizer, epochs):
    """timm's schedule over a stage's updates: the rate grows for the first WARMUP of them, then falls along half a
    cosine to 0. It also applies the layer-wise rates: create_optimizer_v2 gives each group a scale, the schedule
    sets each group's rate to the scale times its own."""
    updates = epochs * len(train_loader)
    warmup = max(1, round(WARMUP * updates))
    return CosineLRScheduler(optimizer, t_initial=max(1, updates - warmup), warmup_t=warmup, warmup_prefix=True,
                             warmup_lr_init=1e-6, t_in_epochs=False)


# </modern>
def fit(optimizer, epochs, scheduler=None):
    """Train for up to `epochs` epochs. Early stopping: stop when the validation accuracy has not beaten
    the best so far for PATIENCE epochs. Then load the best weights seen (this stage's, or the stage
    before if this one never beat it). Returns the number of epochs run."""
    global best_accuracy
    best_state, waited = copy.deepcopy(model.state_dict()), 0
# <modern>
    updates = 0
# </modern>
    for epoch in range(epochs):
        train_mode(model)
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
# <modern>
            updates += 1
            scheduler.step_update(updates)  # the rate of the next update, as timm's train.py steps it
# </modern>
        val_loss, val_accuracy = evaluate(model, val_loader)
# <adam>
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(val_loss)  # lowers the rate when the validation loss stalls
        elif scheduler is not None:
            scheduler.step()
# </adam>
        print(f"epoch {epoch + 1}: training loss {loss.item():.3f}, "
              f"validation loss {val_loss:.3f}, validation accuracy {val_accuracy:.1%}")
        if val_accuracy > best_accuracy:
            best_accuracy, best_state, waited = val_accuracy, copy.deepcopy(model.state_dict()), 0
        else:
            waited += 1
            if waited == PATIENCE:
                print(f"early stopping: no better validation accuracy for {PATIENCE} epochs")
                break
    model.load_state_dict(best_state)
    return epoch + 1


# 4. Stage one: train the new head alone on the frozen backbone. The head starts random: in lesson 03,
#    training every layer next to it from the first step (at 1e-3) moved the pre-trained features further
#    than training the head first did, and scored lower; with a low rate for one unfrozen block, no difference.
# <adam>
head_optimizer = torch.optim.Adam(model.__HEAD__.parameters(), lr=__HEAD_LR__)
# </adam>
# <modern>
#    timm's optimizer factory: AdamW on the trainable parameters (the head), no weight decay on biases and norms.
head_optimizer = create_optimizer_v2(model, opt="adamw", lr=__HEAD_LR__, weight_decay=WEIGHT_DECAY)
# </modern>
# <stage_two>
# <adam>
epochs_run = {"stage one": fit(head_optimizer, HEAD_EPOCHS)}
# </adam>
# <modern>
epochs_run = {"stage one": fit(head_optimizer, HEAD_EPOCHS, warmup_cosine(head_optimizer, HEAD_EPOCHS))}
# </modern>
print(f"stage one (head only): best validation accuracy {best_accuracy:.1%}")

# <torch_model>
# 5. Stage two: unfreeze the last __UNFROZEN__ block(s) and train them with the head, at a lower rate
#    than the head's, so the pre-trained features adapt in small steps.
fine_tuned = [__FINE_TUNED__]
for block in fine_tuned:
    for param in block.parameters():
        param.requires_grad = True
optimizer = torch.optim.Adam([
    {"params": model.__HEAD__.parameters(), "lr": __HEAD_LR__},
    {"params": [p for block in fine_tuned for p in block.parameters()], "lr": __BACKBONE_LR__},
])
# </torch_model>
# <timm_model>
# 5. Stage two: unfreeze the last __UNFROZEN__ of the model's __BLOCKS__ blocks (__UNFROZEN_NAMES__) and what lies
#    above them, and train them with the head. timm splits every model the same way: group_matcher() sorts its
#    parameters into the stem, the blocks (or stages) early to late, and the head's group; group_parameters lists
#    each group's parameter names, stem first, head last.
groups = list(timm.models.group_parameters(model, model.group_matcher(coarse=True)).values())
unfrozen = {name for group in groups[-__GROUPS__:] for name in group}  # the last __UNFROZEN__ blocks, the head group
for name, param in model.named_parameters():
    param.requires_grad = name in unfrozen
# <adam>
#    The pre-trained parameters train at a lower rate than the new head, so they adapt in small steps.
head = {id(p) for p in model.get_classifier().parameters()}
optimizer = torch.optim.Adam([
    {"params": model.get_classifier().parameters(), "lr": __HEAD_LR__},
    {"params": [p for p in model.parameters() if p.requires_grad and id(p) not in head], "lr": __BACKBONE_LR__},
])
# </adam>
# <modern>
#    Layer-wise rates: the head at __HEAD_LR__, each layer below it at LAYER_DECAY times the rate above it (timm's
#    fine-grained groups); AdamW, no weight decay on biases and norms. Frozen parameters get no group.
optimizer = create_optimizer_v2(model, opt="adamw", lr=__HEAD_LR__, weight_decay=WEIGHT_DECAY, layer_decay=LAYER_DECAY)
# </modern>
# </timm_model>
# <adam>
# <scheduler>
scheduler = __SCHEDULER__
epochs_run["stage two"] = fit(optimizer, EPOCHS, scheduler)
# </scheduler>
# <no_scheduler>
epochs_run["stage two"] = fit(optimizer, EPOCHS)
# </no_scheduler>
# </adam>
# <modern>
epochs_run["stage two"] = fit(optimizer, EPOCHS, warmup_cosine(optimizer, EPOCHS))
# </modern>
# </stage_two>
# <head_only>
# <adam>
# <scheduler>
scheduler = __SCHEDULER__
epochs_run = {"stage one": fit(head_optimizer, HEAD_EPOCHS, scheduler)}
# </scheduler>
# <no_scheduler>
epochs_run = {"stage one": fit(head_optimizer, HEAD_EPOCHS)}
# </no_scheduler>
# </adam>
# <modern>
epochs_run = {"stage one": fit(head_optimizer, HEAD_EPOCHS, warmup_cosine(head_optimizer, HEAD_EPOCHS))}
# </modern>
# No stage two: with unfreeze_last=0 every pre-trained block stays frozen.
# </head_only>
print(f"final model: best validation accuracy {best_accuracy:.1%}")

# 6. Save the result next to this script, under its name: the final model's weights (.pt; to use them later,
#    build the same model and call model.load_state_dict(torch.load(path))) and what the run measured (.json).
torch.save(model.state_dict(), Path(__file__).with_suffix(".pt"))
report = {"best_accuracy": best_accuracy, "epochs_run": epochs_run}
Path(__file__).with_suffix(".json").write_text(json.dumps(report, indent=2))
