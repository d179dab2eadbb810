"""LoRA, written once in the engine: at the start it changes nothing, only its weights train, merging is exact."""

import ast
import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from widgets.engine.checks import SettingError
from widgets.engine.lora import LoRALinear, add_lora, lora_layers, merge_lora, unmerge_lora
from widgets.engine.params import count_parameters
from widgets.kit.vit import CourseViT


def _vit(seed=0):
    torch.manual_seed(seed)
    return CourseViT(num_classes=5).eval()


def _images(seed=1, n=6):
    return torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


def test_at_the_start_the_wrapped_model_computes_exactly_what_the_original_did():
    model = _vit()
    original = copy.deepcopy(model)
    torch.manual_seed(3)
    add_lora(model, ("qkv", "proj"), rank=4)
    x = _images()
    assert torch.equal(model(x), original(x))  # B starts at zero
    assert all(layer.lora_A.abs().sum() > 0 for _, layer in lora_layers(model))  # A does not


def test_targets_match_dotted_name_endings_and_only_lora_weights_and_the_named_parts_train():
    model = _vit()
    names = add_lora(model, "qkv", rank=2, train=("head",))
    assert names == [f"block{i}.attn.qkv" for i in range(1, 5)]
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    expected = {f"{n}.lora_{ab}" for n in names for ab in "AB"} | {"head.weight", "head.bias"}
    assert trainable == expected
    # rank 2 on a 64 -> 192 layer: 2 * (64 + 192) numbers per layer, plus the 5-class head
    assert count_parameters(model).trainable == 4 * 2 * (64 + 192) + 64 * 5 + 5


def test_after_a_training_step_only_the_lora_weights_have_changed():
    model = _vit()
    torch.manual_seed(0)
    add_lora(model, ("qkv",), rank=4)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    model.train()
    loss = F.cross_entropy(model(_images(n=8)), torch.arange(8) % 5)
    loss.backward()
    optimizer.step()
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all(".lora_" in n for n in changed)
    assert {n for n in changed if n.endswith("lora_B")} == {f"block{i}.attn.qkv.lora_B" for i in range(1, 5)}


def test_merged_and_unmerged_models_agree_and_unmerge_gives_the_base_weights_back():
    model = _vit()
    torch.manual_seed(0)
    add_lora(model, ("qkv", "proj"), rank=8)
    with torch.no_grad():  # a trained-looking update: B away from zero
        for _, layer in lora_layers(model):
            layer.lora_B.normal_(0, 0.05)
    base = {n: layer.base.weight.clone() for n, layer in lora_layers(model)}
    x = _images()
    unmerged = model(x)
    assert not torch.allclose(unmerged, _vit()(x), atol=1e-3)  # the update does something
    assert merge_lora(model) == 8 and merge_lora(model) == 0  # twice: the second finds nothing to do
    assert torch.allclose(model(x), unmerged, atol=1e-5)
    assert unmerge_lora(model) == 8
    assert torch.allclose(model(x), unmerged, atol=1e-5)
    for name, layer in lora_layers(model):
        assert torch.allclose(layer.base.weight, base[name], atol=1e-6)


def test_scale_is_alpha_over_rank():
    torch.manual_seed(0)
    layer = LoRALinear(nn.Linear(3, 2), rank=4, alpha=8)
    with torch.no_grad():
        layer.lora_B.fill_(1.0)
    x = torch.randn(5, 3)
    assert layer.scale == 2.0
    assert torch.allclose(layer(x) - layer.base(x), 2.0 * x @ layer.lora_A.T @ layer.lora_B.T)


def test_bad_targets_and_layers_are_refused_with_a_message():
    with pytest.raises(SettingError, match="no nn.Linear layer matches"):
        add_lora(_vit(), ("query",))
    with pytest.raises(SettingError, match="wraps an nn.Linear"):
        LoRALinear(nn.Conv2d(3, 3, 1))
    with pytest.raises(SettingError, match="rank"):
        LoRALinear(nn.Linear(3, 3), rank=0)


def test_the_peft_code_the_lesson_shows_is_python():
    from widgets.labs.now import PEFT_CODE

    tree = ast.parse(PEFT_CODE)
    calls = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert {"LoraConfig", "get_peft_model"} <= calls
