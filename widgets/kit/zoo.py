"""Pre-trained models by name: the course's own model, and torchvision's ImageNet models when their weights can be had.

Every model returned here carries ``model.weights_info``, one plain sentence saying which weights it holds,
so a lesson never leaves a learner guessing whether a number came from ImageNet weights or random ones.

ImageNet weights are found, in order: in the torch cache (``torch.hub.get_dir()/checkpoints``, where
torchvision itself keeps them); by a download with a short timeout (from ``download.pytorch.org``, or from a
mirror given by ``mirror=`` or the ``FTLAB_WEIGHTS_MIRROR`` environment variable, e.g. a classroom server);
otherwise the model keeps random weights and says so. Counting parameters never needs weights:
:func:`build_architecture` builds any architecture offline.
"""

import os
import typing
import urllib.parse

import torch
from torch import nn

from ..engine import checks
from ..engine.params import python_path
from . import downloads
from .checkpoint import course_model_info, load_course_model
from .model import CourseCNN
from .vit import CourseViT, course_vit_info, load_course_vit

__all__ = [
    "ARCHITECTURES",
    "build_architecture",
    "load_pretrained",
    "head_name",
    "replace_head",
    "head_code",
    "weights_path",
    "weights_status",
]

#: the models the course knows by name: its own small CNN and small ViT, then torchvision's, smallest first
ARCHITECTURES = (
    "course",
    "course_vit",
    "mobilenet_v2",
    "efficientnet_b0",
    "resnet18",
    "resnet50",
    "resnet152",
    "convnext_tiny",
    "vit_b_16",
)

MIRROR_ENV = "FTLAB_WEIGHTS_MIRROR"
#: the file torchvision saves each architecture's DEFAULT ImageNet weights as, in the torch cache (a test checks
#: them against the installed torchvision). Knowing them here answers "are the weights here?" without importing
#: torchvision.models, which costs a kernel about 170 MB.
WEIGHT_FILES = {
    "mobilenet_v2": "mobilenet_v2-7ebf99e0.pth",
    "efficientnet_b0": "efficientnet_b0_rwightman-7f5810bc.pth",
    "resnet18": "resnet18-f37072fd.pth",
    "resnet50": "resnet50-11ad3fa6.pth",
    "resnet152": "resnet152-f82ba261.pth",
    "convnext_tiny": "convnext_tiny-983f1562.pth",
    "vit_b_16": "vit_b_16-c867db91.pth",
}


def _check_name(name):
    checks.choice(name, "model", ARCHITECTURES)


def head_name(model):
    """The dotted name of the model's classification head: its last ``nn.Linear`` (``"fc"``, ``"classifier.1"``)."""
    linear = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    if not linear:
        raise ValueError(f"{type(model).__name__} has no nn.Linear layer to use as a classification head.")
    return linear[-1]


def replace_head(model, num_classes):
    """Swap the head for a fresh, trainable ``nn.Linear`` with ``num_classes`` outputs; returns the head's name.

    The new layer is initialised by the caller's torch random state, as any new ``nn.Linear`` is.
    """
    num_classes = checks.whole(num_classes, "num_classes")
    name = head_name(model)
    parent_name, _, attr = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    old = getattr(parent, attr) if not attr.isdigit() else parent[int(attr)]
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    if attr.isdigit():
        parent[int(attr)] = new
    else:
        setattr(parent, attr, new)
    return name


def head_code(model, num_classes, var="model"):
    """The PyTorch line that :func:`replace_head` runs, e.g. ``model.fc = nn.Linear(model.fc.in_features, 10)``."""
    head = python_path(head_name(model), var)
    return f"{head} = nn.Linear({head}.in_features, {num_classes})"


def _torchvision_weights(name):
    import torchvision

    return torchvision.models.get_model_weights(name).DEFAULT


def build_architecture(name, num_classes=None):
    """The named architecture with random weights (``weights=None``): offline, for counting and timing.

    Parameter counts do not depend on the weights, so counting on this model is exact.
    """
    _check_name(name)
    if name == "course":
        model = CourseCNN() if num_classes is None else CourseCNN(num_classes=num_classes)
        arguments = "" if num_classes is None else f"num_classes={num_classes}"
        model.build_code = f"from widgets import CourseCNN\nmodel = CourseCNN({arguments})"
    elif name == "course_vit":
        model = CourseViT() if num_classes is None else CourseViT(num_classes=num_classes)
        arguments = "" if num_classes is None else f"num_classes={num_classes}"
        model.build_code = f"from widgets import CourseViT\nmodel = CourseViT({arguments})"
    else:
        import torchvision

        model = torchvision.models.get_model(name, weights=None)
        model.build_code = f"import torchvision\nmodel = torchvision.models.{name}(weights=None)"
        if num_classes is not None:
            replace_head(model, num_classes)
            model.build_code += "\nfrom torch import nn\n" + head_code(model, num_classes)
    model.arch_name = name
    model.weights_info = f"random weights: {name} built with weights=None (counts and speed do not depend on weights)"
    return model


def weights_path(name):
    """Where torchvision keeps (or would keep) the ImageNet weights file for ``name``."""
    _check_name(name)
    if name in ("course", "course_vit"):
        raise ValueError("The course models ship with the package; they have no ImageNet weights file.")
    return os.path.join(torch.hub.get_dir(), "checkpoints", WEIGHT_FILES[name])


def load_pretrained(name, num_classes=None, *, download=True, timeout=5.0, mirror=None, check_hash=True):
    """The named model with pre-trained weights where they can be had; ``model.weights_info`` says which.

    - ``"course"``: the course's own CNN, pre-trained on its procedural source task (ships with the package).
    - a torchvision name (see :data:`ARCHITECTURES`): ImageNet weights from the torch cache, else downloaded
      (``timeout`` seconds to connect or wait for data; the file's checksum is checked), else random weights.

    With ``num_classes`` the classification head is replaced by a fresh ``nn.Linear`` with that many outputs.
    """
    _check_name(name)
    if name == "course":
        return _load_course(num_classes)
    if name == "course_vit":
        return _load_course_vit(num_classes)

    import torchvision

    weights = _torchvision_weights(name)
    model = torchvision.models.get_model(name, weights=None)
    path = weights_path(name)
    tag = f"ImageNet weights ({weights.name})"
    problem = None
    if not os.path.exists(path):
        if not download:
            problem = "ImageNet weights are not in the torch cache and downloading is off"
        else:
            base = mirror or os.environ.get(MIRROR_ENV)
            url = base.rstrip("/") + "/" + os.path.basename(path) if base else weights.url
            failure = downloads.download(url, path, timeout, check_hash)
            if failure:
                problem = f"ImageNet weights are not available offline: {failure}"
    if problem is None:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(state)
        except Exception as error:  # a damaged or foreign file: say so, keep going with random weights
            model = torchvision.models.get_model(name, weights=None)
            problem = f"the cached ImageNet weights file {os.path.basename(path)} could not be used " \
                      f"({type(error).__name__}); delete it to download it again"
    if problem is None:
        model.weights_info = f"{tag} from {os.path.basename(path)}"
        model.build_code = f'import torchvision\nmodel = torchvision.models.{name}(weights="{weights.name}")'
    else:
        model.weights_info = f"random weights: {problem}"
        model.build_code = f"import torchvision\nmodel = torchvision.models.{name}(weights=None)"
    model.arch_name = name
    model.has_pretrained_weights = problem is None
    if num_classes is not None:
        head = replace_head(model, num_classes)
        model.weights_info += f"; new {num_classes}-class head ({head}) with random weights"
        model.build_code += "\nfrom torch import nn\n" + head_code(model, num_classes)
    return model


def _load_course(num_classes):
    model = load_course_model(num_classes=num_classes)
    model.weights_info = course_model_info()["description"]
    if num_classes is not None:
        model.weights_info += f"; new {num_classes}-class head with random weights"
    model.arch_name = "course"
    model.has_pretrained_weights = True
    call = "load_course_model()" if num_classes is None else f"load_course_model(num_classes={num_classes})"
    model.build_code = f"import widgets\nmodel = widgets.{call}"
    return model


def _load_course_vit(num_classes):
    model = load_course_vit(num_classes=num_classes)
    model.weights_info = course_vit_info()["description"]
    if num_classes is not None:
        model.weights_info += f"; new {num_classes}-class head with random weights"
    model.arch_name = "course_vit"
    model.has_pretrained_weights = True
    call = "load_course_vit()" if num_classes is None else f"load_course_vit(num_classes={num_classes})"
    model.build_code = f"import widgets\nmodel = widgets.{call}"
    return model


class WeightsStatus(typing.NamedTuple):
    """Which pre-trained weights one model can have on this machine, right now."""

    name: str
    available: bool
    detail: str  # a plain sentence: where the weights come from, or why there are none


def weights_status(names=ARCHITECTURES, *, check_download=True, timeout=3.0, mirror=None):
    """For each model name: are pre-trained weights here (course model, torch cache) or downloadable now?

    Nothing is built or downloaded: a cached file is looked for, and the download address is only asked
    whether it answers. Offline, an unreachable host is asked once, so this returns at once.
    """
    statuses = []
    for name in names:
        _check_name(name)
        if name in ("course", "course_vit"):
            info = course_model_info() if name == "course" else course_vit_info()
            statuses.append(WeightsStatus(name, True, info["description"]))
            continue
        path = weights_path(name)
        if os.path.exists(path):
            statuses.append(WeightsStatus(name, True,
                                          f"ImageNet weights in the torch cache ({os.path.basename(path)})"))
            continue
        if check_download:
            base = mirror or os.environ.get(MIRROR_ENV)
            url = base.rstrip("/") + "/" + os.path.basename(path) if base else _torchvision_weights(name).url
            if downloads.reachable(url, timeout):
                host = urllib.parse.urlparse(url).netloc
                statuses.append(WeightsStatus(name, True, f"ImageNet weights downloadable from {host}"))
                continue
        statuses.append(WeightsStatus(name, False, "no ImageNet weights here (offline): random weights only"))
    return statuses
