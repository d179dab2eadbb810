"""Generated names and changes against the freezing API (``freeze``, ``unfreeze``, ``freeze_exactly``) and the
training state (``snapshot``, ``restore``, ``differences``): a name picks exactly its part or is refused naming the
setting with nothing changed; whatever is done to a model, ``restore`` puts it back bit for bit and ``differences``
saw it."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from widgets import CourseCNN
from widgets.engine.checks import SettingError
from widgets.engine.freezing import freeze, freeze_exactly, snapshot, unfreeze

#: the same examples on every run (seeded), none kept on disk
FAST = settings(max_examples=60, deadline=None, derandomize=True, database=None)


def course_model():
    torch.manual_seed(0)
    return CourseCNN(num_classes=4, width=4)


MODEL = course_model()
PARTS = [n for n, _ in MODEL.named_modules() if n] + [n for n, _ in MODEL.named_parameters()]

#: a part's real name, or a slip: blank, a trailing dot or comma, another case, unicode, a name that is not text
names = st.one_of(
    st.sampled_from(PARTS),
    st.sampled_from(["", " ", "\t", "conv1,", "conv1.", ".conv1", "Conv1", "conv4", "head.weight.x", "cönv1", "头"]),
    st.text(max_size=6),
    st.sampled_from([None, 1, 1.5, b"conv1", ["conv1"], ("conv1",)]),
)


def flags(model):
    return {n: p.requires_grad for n, p in model.named_parameters()}


def picked(model, chosen):
    """The parameter names that ``chosen`` (part names) pick: each part's own and those below it."""
    return {n for n, _ in model.named_parameters() if any(n == c or n.startswith(c + ".") for c in chosen)}


@FAST
@given(st.lists(names, max_size=4), st.sampled_from([freeze, unfreeze]), st.dictionaries(st.sampled_from(
    [n for n, _ in MODEL.named_parameters()]), st.booleans()))
def test_freeze_and_unfreeze_touch_exactly_the_named_parts_or_refuse_naming_them(chosen, action, start):
    model = course_model()
    for name, flag in start.items():
        model.get_parameter(name).requires_grad_(flag)
    before, state = flags(model), snapshot(model)
    valid = all(isinstance(c, str) and c in PARTS for c in chosen)
    if not valid:
        with pytest.raises(SettingError) as refused:
            action(model, *chosen)
        assert any(said in str(refused.value) for said in ("names must", "has no part named")), str(refused.value)
        assert state.differences(model) == []
        return
    action(model, *chosen)
    touched = picked(model, chosen) if chosen else set(before)
    wanted = action is unfreeze
    assert flags(model) == {n: wanted if n in touched else before[n] for n in before}


@FAST
@given(st.one_of(st.lists(names, max_size=4), names, st.none()))
def test_freeze_exactly_freezes_the_named_parts_and_trains_every_other_or_refuses(frozen):
    model = course_model()
    freeze(model, "conv2")
    state = snapshot(model)
    listed = [frozen] if isinstance(frozen, str) else frozen
    valid = frozen is None or isinstance(listed, (list, tuple)) and all(isinstance(c, str) and c in PARTS
                                                                        for c in listed)
    if not valid:
        with pytest.raises(SettingError, match="frozen must|has no part named"):
            freeze_exactly(model, frozen)
        assert state.differences(model) == []
        return
    freeze_exactly(model, frozen)
    chosen = picked(model, listed or [])
    assert flags(model) == {n: n not in chosen for n, _ in model.named_parameters()}


#: things a tool might do to a borrowed model, each one a change ``differences`` must see and ``restore`` undo
CHANGES = {
    "weights": lambda m, x: m.conv2[0].weight.data.add_(x),
    "statistics": lambda m, x: m.conv1[1].running_mean.add_(x),
    "a flag": lambda m, x: m.head.weight.requires_grad_(False),
    "a mode": lambda m, x: m.conv3.train(not m.conv3.training),
    "a gradient": lambda m, x: setattr(m.head.bias, "grad", torch.full_like(m.head.bias, x)),
    "no gradient": lambda m, x: setattr(m.head.weight, "grad", None),
    "the layout": lambda m, x: m.to(memory_format=torch.channels_last),
    "the dtype": lambda m, x: m.double(),
    "the device": lambda m, x: m.to("meta"),
    "a new head": lambda m, x: setattr(m, "head", nn.Linear(m.feature_dim, 3)),
    "an extra layer": lambda m, x: m.add_module("extra", nn.ReLU()),
}


@FAST
@given(st.lists(st.sampled_from(list(CHANGES)), min_size=1, max_size=5, unique=True),
       st.floats(min_value=0.5, max_value=100) | st.floats(max_value=-0.5, min_value=-100))
def test_whatever_is_changed_differences_says_so_and_restore_puts_it_back_bit_for_bit(changes, amount):
    model = course_model()
    freeze(model, "conv1")
    model.eval()
    model(torch.ones(2, 3, 32, 32)).sum().backward()  # gradients, as a learner's model has them
    originals = {n: t.detach().clone() for n, t in model.state_dict().items()}
    objects = dict(model.state_dict(keep_vars=True))
    head, grads = model.head, {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    state = snapshot(model)
    for change in changes:
        CHANGES[change](model, amount)
    assert state.differences(model) != []
    state.restore(model)
    assert state.differences(model) == []
    assert model.head is head and "extra" not in dict(model.named_children())
    for name, tensor in model.state_dict(keep_vars=True).items():
        assert tensor is objects[name] and tensor.device.type == "cpu" and tensor.dtype == originals[name].dtype
        assert tensor.stride() == originals[name].stride() and torch.equal(tensor.detach(), originals[name]), name
    assert {n: p.grad for n, p in model.named_parameters() if p.grad is not None}.keys() == grads.keys()
    assert all(torch.equal(model.get_parameter(n).grad, g) for n, g in grads.items())
    assert not model.training and not model.conv1[0].weight.requires_grad and model.head.weight.requires_grad
