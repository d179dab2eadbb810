"""Pre-trained models by name: the course's own model, and torchvision's ImageNet models when their weights can be had.

Every model returned here carries ``model.weights_info``, one plain sentence saying which weights it holds,
so a lesson never leaves a learner guessing whether a number came from ImageNet weights or random ones.

ImageNet weights are found, in order: in the torch cache (``torch.hub.get_dir()/checkpoints``, where
torchvision itself keeps them); by a download with a short timeout (from ``download.pytorch.org``, or from a
mirror given by ``mirror=`` or the ``FTLAB_WEIGHTS_MIRROR`` environment variable, e.g. a classroom server);
otherwise the model keeps random weights and says so. Counting parameters never needs weights:
:func:`build_architecture` builds any architecture offline.
"""

import hashlib
import os
from collections import OrderedDict
import re
import tempfile
import time
import typing
import urllib.error
import urllib.parse
import urllib.request

import torch
from torch import nn

from .params import python_path

__all__ = [
    "ARCHITECTURES",
    "build_architecture",
    "load_pretrained",
    "head_name",
    "replace_head",
    "head_code",
    "weights_path",
    "ModelStats",
    "measure",
    "truncate",
]

#: the models the course knows by name: its own small CNN, then torchvision's, smallest first
ARCHITECTURES = (
    "course",
    "mobilenet_v2",
    "efficientnet_b0",
    "resnet18",
    "resnet50",
    "resnet152",
    "convnext_tiny",
    "vit_b_16",
)

MIRROR_ENV = "FTLAB_WEIGHTS_MIRROR"
_HASH_IN_NAME = re.compile(r"-([a-f0-9]+)\.")  # torchvision's files end in -<first hex digits of sha256>.pth
_unreachable_hosts = set()  # a host that failed once is not tried again in this process: offline stays fast


def _check_name(name):
    if name not in ARCHITECTURES:
        raise ValueError(f"Unknown model {name!r}. Choose one of: {', '.join(ARCHITECTURES)}.")


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
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a whole number of at least 1, got {num_classes!r}")
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
        from .model import CourseCNN

        model = CourseCNN() if num_classes is None else CourseCNN(num_classes=num_classes)
        arguments = "" if num_classes is None else f"num_classes={num_classes}"
        model.build_code = f"from widgets import CourseCNN\nmodel = CourseCNN({arguments})"
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
    if name == "course":
        raise ValueError("The course model ships with the package; it has no ImageNet weights file.")
    url = _torchvision_weights(name).url
    return os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(urllib.parse.urlparse(url).path))


def _download(url, path, timeout, max_seconds, check_hash):
    """Download ``url`` to ``path`` (atomically). Returns None, or a short reason it failed."""
    host = urllib.parse.urlparse(url).netloc
    if host in _unreachable_hosts:
        return f"{host} could not be reached earlier in this session"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".partial")
    digest = hashlib.sha256()
    start = time.monotonic()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                if time.monotonic() - start > max_seconds:
                    return f"the download took longer than {max_seconds:g} s"
        expected = _HASH_IN_NAME.search(os.path.basename(path))
        if check_hash and expected and not digest.hexdigest().startswith(expected.group(1)):
            return "the downloaded file failed its checksum"
        os.replace(partial, path)
        return None
    except urllib.error.HTTPError as error:  # the server answered: it may have the file another time
        return f"the download failed (HTTP {error.code} {error.reason})"
    except OSError as error:  # no network, refused, timed out: do not wait for this host again
        _unreachable_hosts.add(host)
        return f"the download failed ({getattr(error, 'reason', None) or error})"
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def load_pretrained(name, num_classes=None, *, download=True, timeout=5.0, max_download_s=300, mirror=None,
                    check_hash=True):
    """The named model with pre-trained weights where they can be had; ``model.weights_info`` says which.

    - ``"course"``: the course's own CNN, pre-trained on its procedural source task (ships with the package).
    - a torchvision name (see :data:`ARCHITECTURES`): ImageNet weights from the torch cache, else downloaded
      (``timeout`` seconds to connect or wait for data, ``max_download_s`` in all), else random weights.

    With ``num_classes`` the classification head is replaced by a fresh ``nn.Linear`` with that many outputs.
    """
    _check_name(name)
    if name == "course":
        return _load_course(num_classes)

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
            failure = _download(url, path, timeout, max_download_s, check_hash)
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
    from .checkpoint import course_model_info, load_course_model

    model = load_course_model(num_classes=num_classes)
    model.weights_info = course_model_info()["description"]
    if num_classes is not None:
        model.weights_info += f"; new {num_classes}-class head with random weights"
    model.arch_name = "course"
    model.has_pretrained_weights = True
    call = "load_course_model()" if num_classes is None else f"load_course_model(num_classes={num_classes})"
    model.build_code = f"from widgets.core.checkpoint import load_course_model\nmodel = {call}"
    return model


class ModelStats(typing.NamedTuple):
    """What :func:`measure` found: all of it measured on this machine, none of it looked up."""

    name: str
    parameters: int
    size_bytes: int  # the state dict saved with torch.save, as a file on disk
    latency_ms: float  # one forward pass of batch_size images, best of the repeats
    batch_size: int
    image_size: int
    train_step_ms: float = None  # forward + backward of batch_size images in train mode (when measured)

    @property
    def ms_per_image(self):
        return self.latency_ms / self.batch_size

    @property
    def train_ms_per_image(self):
        return None if self.train_step_ms is None else self.train_step_ms / self.batch_size


def _best_of(repeats, run):
    run()  # warm-up: first passes allocate memory and pick kernels
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def measure(model, image_size=None, batch_size=1, repeats=2, train_step=False):
    """Parameters, size on disk and CPU latency of ``model`` (an ``nn.Module`` or a name from ARCHITECTURES).

    Latency: one warm-up pass, then the best of ``repeats`` timed passes in eval mode without gradients (the
    best, not the mean: on a shared machine every slowdown comes from elsewhere). ``image_size`` defaults to
    32 for the course model and 224 for ImageNet models. With ``train_step=True`` it also times a training
    step's forward and backward pass (train mode; no optimizer step). The model is left as it was found:
    same mode, same BatchNorm statistics, no gradients.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a whole number of at least 1, got {repeats!r}")
    if isinstance(model, str):
        model = build_architecture(model)
    from .model import CourseCNN

    name = getattr(model, "arch_name", type(model).__name__)
    if image_size is None:
        image_size = 32 if isinstance(model, CourseCNN) or name.startswith("course") else 224
    with tempfile.TemporaryDirectory(prefix="ftlab-size-") as folder:
        path = os.path.join(folder, "weights.pt")
        torch.save(model.state_dict(), path)
        size = os.path.getsize(path)
    device = next(model.parameters()).device
    x = torch.randn(batch_size, 3, image_size, image_size, generator=torch.Generator().manual_seed(0)).to(device)
    was_training = model.training
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    grads = {p: p.grad for p in model.parameters()}
    train_ms = None
    try:
        model.eval()
        with torch.inference_mode():
            latency = _best_of(repeats, lambda: model(x))
        if train_step:
            model.train()
            train_ms = _best_of(repeats, lambda: model(x).float().square().mean().backward())
    finally:
        model.train(was_training)
        with torch.no_grad():
            for n, b in model.named_buffers():
                b.copy_(buffers[n])
        for p, grad in grads.items():
            p.grad = grad
    parameters = sum(p.numel() for p in model.parameters())
    return ModelStats(name, parameters, size, latency, batch_size, image_size, train_ms)


def truncate(model, after, num_classes=10):
    """A smaller model cut from a :class:`~widgets.core.model.CourseCNN`: its blocks up to ``after``, its
    pooling, and a fresh ``nn.Linear`` head with ``num_classes`` outputs.

    The kept blocks are the same modules (same weights, not copies), so ``truncate(load_pretrained("course"),
    "conv2")`` is a pre-trained model with two conv blocks instead of three.
    """
    from .model import BACKBONE_BLOCKS

    if after not in BACKBONE_BLOCKS:
        raise ValueError(f"after must be one of {', '.join(BACKBONE_BLOCKS)}, got {after!r}")
    kept = BACKBONE_BLOCKS[: BACKBONE_BLOCKS.index(after) + 1]
    parts = [(name, model.get_submodule(name)) for name in kept] + [("pool", model.pool)]
    body = nn.Sequential(OrderedDict(parts))
    with torch.no_grad():
        features = body(torch.zeros(2, 3, 32, 32)).shape[1]
    small = nn.Sequential(OrderedDict(parts + [("head", nn.Linear(features, num_classes))]))
    small.arch_name = f"course, cut after {after}"
    info = getattr(model, "weights_info", "course model").split(";")[0]
    small.weights_info = f"{info}; only {', '.join(kept)} kept; new {num_classes}-class head with random weights"
    return small


class WeightsStatus(typing.NamedTuple):
    """Which pre-trained weights one model can have on this machine, right now."""

    name: str
    available: bool
    detail: str  # a plain sentence: where the weights come from, or why there are none


def _reachable(url, timeout):
    """True when ``url`` answers a HEAD request within ``timeout`` seconds (the file is not downloaded)."""
    host = urllib.parse.urlparse(url).netloc
    if host in _unreachable_hosts:
        return False
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return True
    except urllib.error.HTTPError:  # the host answered, but not with the file
        return False
    except OSError:
        _unreachable_hosts.add(host)
        return False


def weights_status(names=ARCHITECTURES, *, check_download=True, timeout=3.0, mirror=None):
    """For each model name: are pre-trained weights here (course model, torch cache) or downloadable now?

    Nothing is built or downloaded: a cached file is looked for, and the download address is only asked
    whether it answers. Offline, an unreachable host is asked once, so this returns at once.
    """
    statuses = []
    for name in names:
        _check_name(name)
        if name == "course":
            from .checkpoint import course_model_info

            statuses.append(WeightsStatus(name, True, course_model_info()["description"]))
            continue
        path = weights_path(name)
        if os.path.exists(path):
            statuses.append(WeightsStatus(name, True, f"ImageNet weights in the torch cache ({os.path.basename(path)})"))
            continue
        base = mirror or os.environ.get(MIRROR_ENV)
        url = base.rstrip("/") + "/" + os.path.basename(path) if base else _torchvision_weights(name).url
        if check_download and _reachable(url, timeout):
            statuses.append(WeightsStatus(name, True, f"ImageNet weights downloadable from {urllib.parse.urlparse(url).netloc}"))
        else:
            statuses.append(WeightsStatus(name, False, "no ImageNet weights here (offline): random weights only"))
    return statuses
