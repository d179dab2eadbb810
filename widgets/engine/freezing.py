"""Freezing and unfreezing, in plain PyTorch: the only code in the course that sets ``requires_grad``.

Freezing a parameter means ``param.requires_grad = False``: autograd computes no gradient for it, so no optimizer
step can change it. Parts of a model are named the way PyTorch names them (``"layer4"``, ``"features.0"``,
``"fc"``, ``"fc.weight"``), at any depth.

Three things make "frozen" really frozen, and they live here too:

- BatchNorm: a frozen BatchNorm layer in train mode still updates its running statistics. :func:`train_mode`
  (what the Trainer calls) and :func:`freeze_batchnorm` (a hook, for your own loops) hold frozen layers in eval
  mode, at any depth (MobileNetV2's ``features.0.1`` as well as a whole ``layer1``).
- Shared weights: one tensor used by two modules (a tied encoder and decoder) is frozen by either module's name.
- Looking without touching: :func:`snapshot` keeps the whole training state (weights, buffers, ``requires_grad``
  flags, train/eval modes, ``.grad``, and where each tensor lives: its device, dtype and memory layout) and
  :meth:`TrainingState.restore` puts it back exactly (:mod:`widgets.engine.state`).
"""

import difflib

from torch import nn

from .checks import SettingError
from .state import TrainingState, snapshot  # the training state lives in its own module; imported from here too

__all__ = [
    "freeze",
    "unfreeze",
    "freeze_exactly",
    "select",
    "shared_names",
    "trainable_parameters",
    "frozen_prefix",
    "train_mode",
    "freeze_batchnorm",
    "TrainingState",
    "snapshot",
]


# --- naming parts of a model ------------------------------------------------------------------------------


def _part(model, name):
    """The module or parameter called ``name``, or None."""
    try:
        return model.get_submodule(name)
    except AttributeError:
        pass
    try:
        return model.get_parameter(name)
    except AttributeError:
        return None


def unknown_name_message(model, name):
    top = [n for n, _ in model.named_children()] + [n for n, _ in model.named_parameters(recurse=False)]
    everything = [n for n, _ in model.named_modules() if n] + [n for n, _ in model.named_parameters()]
    close = difflib.get_close_matches(str(name), everything, n=3, cutoff=0.6)
    message = f"{type(model).__name__} has no part named {name!r}. Its top-level blocks are: {', '.join(top)}."
    if close:
        message += f" Did you mean {' or '.join(repr(c) for c in close)}?"
    return message + " Sub-blocks use dotted names, e.g. 'layer4.1' or 'features.0'."


def _names(names, what="names"):
    """``names`` as a list of part names, each a non-blank string: an empty name would be the whole model."""
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, (list, tuple, set, frozenset)):
        raise SettingError(f"{what} must be part names such as 'layer4' or 'fc' (a list of them); got {names!r}.")
    for name in names:
        if not isinstance(name, str):
            raise SettingError(f"{what} must be strings such as 'layer4' or 'fc'; got {name!r}.")
        if not name.strip():
            # "conv1,".split(",") gives "", and model.get_submodule("") is the whole model: refuse, never guess
            raise SettingError(f"{what} must not be empty: {name!r} names no part (it would mean the whole model). "
                               "Give names such as 'layer4' or 'fc', or no names at all for every part.")
    return list(names)


def select(model, names, what="names"):
    """The parameters that ``names`` pick out (each once): a module's, all of them below it, or one parameter.

    A tensor shared by two modules belongs to both, so it is picked by either name. No names: every parameter.
    An empty or blank name is refused (it is not "everything"); ``what`` names the setting in that message.
    """
    names = _names(names, what)
    if not names:
        return list(model.parameters())
    selected, seen = [], set()
    for name in names:
        part = _part(model, name)
        if part is None:
            raise SettingError(unknown_name_message(model, name))
        for p in part.parameters() if isinstance(part, nn.Module) else [part]:
            if id(p) not in seen:
                seen.add(id(p))
                selected.append(p)
    return selected


def shared_names(model):
    """``{name: [other names of the same tensor]}`` for every parameter used under more than one name."""
    names = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        names.setdefault(id(p), []).append(name)
    return {n: [m for m in group if m != n] for group in names.values() if len(group) > 1 for n in group}


# --- freezing -----------------------------------------------------------------------------------------------


def freeze(model, *names):
    """Freeze the named parts (all of ``model`` when no names are given): ``requires_grad = False``.

    Returns the model, so ``freeze(model, "layer1", "layer2")`` can be chained.
    """
    for param in select(model, names):
        param.requires_grad_(False)
    return model


def unfreeze(model, *names):
    """Unfreeze the named parts (all of ``model`` when no names are given): ``requires_grad = True``.

    Remember: an optimizer built before this call does not know these parameters. Build it afterwards.
    """
    for param in select(model, names):
        param.requires_grad_(True)
    return model


def freeze_exactly(model, frozen):
    """Freeze the parts named in ``frozen`` and make every other parameter trainable (a preset such as
    "head only" is the list of blocks it freezes). Returns the model."""
    names = [] if frozen is None else _names(frozen, "frozen")  # one name may be given as a plain string
    chosen = {id(p) for p in select(model, names, "frozen")} if names else set()
    for param in model.parameters():
        param.requires_grad_(id(param) not in chosen)
    return model


def trainable_parameters(model):
    return [p for p in model.parameters() if p.requires_grad]


def frozen_prefix(model):
    """How many leading top-level blocks have nothing to train (blocks without parameters, such as ``pool``,
    count): their output never changes during training, so it can be computed once."""
    k = 0
    for _, module in model.named_children():
        if any(p.requires_grad for p in module.parameters()):
            break
        k += 1
    return k


# --- BatchNorm and the other layers that behave differently in train mode -----------------------------------


def _hold_frozen(module):
    """Put every module whose parameters are all frozen in eval mode; returns (has parameters, all frozen)."""
    own = list(module.parameters(recurse=False))
    has, frozen = bool(own), all(not p.requires_grad for p in own)
    for child in module.children():
        child_has, child_frozen = _hold_frozen(child)
        has, frozen = has or child_has, frozen and (child_frozen or not child_has)
    if has and frozen:
        module.eval()  # its BatchNorm keeps the pre-trained statistics, its dropout is off, as in Keras
    return has, frozen


def train_mode(model):
    """``model.train()``, then every part whose parameters are all frozen back in eval mode, at any depth.

    ``requires_grad = False`` stops gradients, but a BatchNorm layer in train mode still updates its running
    mean and variance from every batch: the model changes although nothing trains. Returns the model.
    """
    model.train()
    _hold_frozen(model)
    return model


class _KeepFrozenBatchNormInEval:
    """A forward pre-hook: while the layer's parameters are frozen, it runs in eval mode.

    ``model.train()`` switches every layer back to train mode, so the check happens at every forward pass.
    """

    def __init__(self, owner):
        self.owner = owner  # the module whose parameters decide (the layer itself, or its block if it has none)

    def __call__(self, module, args):
        params = list(self.owner.parameters())
        if params and not any(p.requires_grad for p in params):
            module.training = False


def _owner(model, name, layer):
    if list(layer.parameters()):
        return layer
    parent = name.rpartition(".")[0]  # BatchNorm(affine=False): the block it sits in decides
    return model.get_submodule(parent) if parent else model


def freeze_batchnorm(model):
    """Keep the BatchNorm layers of frozen parts in eval mode, even after ``model.train()``: for your own loops.

    Frozen BN layers then neither update their running statistics nor normalise with batch statistics.
    A layer that is unfrozen later trains normally again from the next forward pass. Calling this twice is
    harmless. Returns the names of the BN layers that are frozen (and so held in eval mode) now.
    """
    held = []
    for name, layer in model.named_modules():
        if not isinstance(layer, nn.modules.batchnorm._BatchNorm):
            continue
        hook = next((h for h in layer._forward_pre_hooks.values() if isinstance(h, _KeepFrozenBatchNormInEval)), None)
        if hook is None:
            hook = _KeepFrozenBatchNormInEval(_owner(model, name, layer))
            layer.register_forward_pre_hook(hook)
        params = list(hook.owner.parameters())
        if params and not any(p.requires_grad for p in params):
            layer.eval()
            held.append(name)
    return held
