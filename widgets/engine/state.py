"""A model's whole training state, kept and put back: :func:`snapshot` and :class:`TrainingState`.

What a tool that borrows a model (the LR finder, a run that diverged and is rolled back) must give back: the weights
and buffers (BatchNorm statistics), the ``requires_grad`` flags, the train/eval modes, ``.grad``, and where every
tensor lives: its device, dtype and memory layout (strides). A channels-last weight holds the same numbers as a
contiguous one, yet ``weight.view(-1)`` raises on it: a layout is part of the model the learner was given.

    state = snapshot(model)
    ...                                  # anything: train, move, convert, replace a layer
    state.differences(model)             # what changed, in words ([] when nothing did)
    state.restore(model)                 # the same objects, values, layouts and devices as before
"""

from dataclasses import dataclass

import torch


def _where(tensor):
    """Where a tensor lives and how: its device, dtype, shape and memory layout (strides)."""
    return tensor.device, tensor.dtype, tuple(tensor.shape), tuple(tensor.stride())


def _put(tensor, saved, where):
    """Make ``tensor`` (the same object) hold ``saved``'s values on ``where``'s device, dtype and memory layout."""
    device, dtype, shape, stride = where
    if _where(tensor) == where:
        tensor.copy_(saved)
    else:  # another device, dtype or layout (e.g. channels-last): new storage, the same tensor object
        tensor.data = torch.empty_strided(shape, stride, dtype=dtype, device=device).copy_(saved)


def _owner(model, name):
    """``(module, attribute)`` that holds the parameter, buffer or submodule called ``name``."""
    parent, _, leaf = name.rpartition(".")
    return model.get_submodule(parent), leaf


def _said(names):
    return f"{', '.join(names[:3])}{' ...' if len(names) > 3 else ''}"


def _same_grad(now, saved):
    if now is None or saved is None:
        return now is None and saved is None
    return _where(now) == _where(saved) and torch.equal(now, saved)


@dataclass
class TrainingState:
    """Everything training can change in a model. Made by :func:`snapshot`.

    ``modules`` and ``objects``: the submodule and tensor objects under each name (a replaced layer is put back);
    ``tensors``: copies of the values; ``places``: where each tensor lived; ``flags``, ``modes``, ``grads``: the
    ``requires_grad`` flags, train/eval modes and gradients."""

    modules: dict
    objects: dict
    tensors: dict
    places: dict
    flags: list
    modes: list
    grads: list

    def restore(self, model):
        """Put ``model`` back exactly as it was: the same module and tensor objects (so optimizers stay valid),
        values, devices, dtypes and memory layouts, flags, modes and gradients."""
        for name, module in self.modules.items():  # parents before children: named_modules walks top-down
            parent, leaf = _owner(model, name)
            if parent._modules.get(leaf) is not module:
                parent._modules[leaf] = module
        for name, _ in list(model.named_modules(remove_duplicate=False)):
            if name and name not in self.modules:  # a layer a tool added
                parent, leaf = _owner(model, name)
                parent._modules.pop(leaf, None)
        with torch.no_grad():
            for name, original in self.objects.items():
                owner, leaf = _owner(model, name)
                table = owner._parameters if leaf in owner._parameters else owner._buffers
                if table.get(leaf) is not original:
                    table[leaf] = original
                _put(original, self.tensors[name], self.places[name])
        for param, flag in self.flags:
            param.requires_grad_(flag)
        for module, mode in self.modes:
            module.training = mode
        for param, grad in self.grads:
            param.grad = None if grad is None else grad.clone()
        return model

    def differences(self, model):
        """What differs between ``model`` now and this state, in words (empty: exactly as it was)."""
        found = []
        modules = dict(model.named_modules(remove_duplicate=False))
        swapped = [n for n, m in self.modules.items() if modules.get(n) is not m]
        added = [n for n in modules if n and n not in self.modules]
        if swapped or added:
            found.append(f"layers ({_said(swapped + added)} replaced, added or removed)")
        current = model.state_dict(keep_vars=True)
        kept = [n for n in self.objects if n in current]
        gone = [n for n in self.objects if n not in current] + [n for n in current if n not in self.objects]
        replaced = gone + [n for n in kept if current[n] is not self.objects[n]]
        if replaced:
            found.append(f"tensor objects of {_said(replaced)} (replaced, added or removed)")
        moved = [n for n in kept if _where(current[n])[:3] != self.places[n][:3]]
        if moved:
            found.append(f"device, dtype or shape of {_said(moved)}")
        relaid = [n for n in kept if n not in moved and _where(current[n])[3] != self.places[n][3]]
        if relaid:
            found.append(f"memory layout of {_said(relaid)}")
        changed = [n for n in kept if n not in moved and not torch.equal(current[n].detach(), self.tensors[n])]
        if changed:
            found.append(f"values of {_said(changed)}")
        if any(p.requires_grad != flag for p, flag in self.flags):
            found.append("requires_grad flags")
        if any(m.training != mode for m, mode in self.modes):
            found.append("train/eval modes")
        if any(not _same_grad(p.grad, g) for p, g in self.grads):
            found.append(".grad")
        return found


def snapshot(model):
    """The whole training state of ``model`` now, to compare with or put back later."""
    params = list(model.parameters())
    state = model.state_dict(keep_vars=True)
    return TrainingState(
        modules={n: m for n, m in model.named_modules(remove_duplicate=False) if n},
        objects=dict(state),
        tensors={k: v.detach().clone() for k, v in state.items()},
        places={k: _where(v) for k, v in state.items()},
        flags=[(p, p.requires_grad) for p in params],
        modes=[(m, m.training) for m in model.modules()],
        grads=[(p, None if p.grad is None else p.grad.detach().clone()) for p in params],
    )
