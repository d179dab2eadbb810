"""The modern recipe's pieces: no decay on norms, biases and tokens, layer-wise rates, warm-up then cosine, and a loop
that sees exactly the Trainer's batches."""

import math

import pytest
import torch

from widgets.engine.freezing import freeze
from widgets.engine.modern import fit, param_groups, warmup_cosine
from widgets.engine.training import Trainer
from widgets.kit.vit import CourseViT


def _vit(num_classes=3):
    torch.manual_seed(0)
    return CourseViT(num_classes=num_classes)


def test_decay_falls_on_matrices_only_and_every_trainable_parameter_is_in_one_group():
    model = _vit()
    groups = param_groups(model, lr=1e-3, weight_decay=0.05)
    names = {id(p): n for n, p in model.named_parameters()}
    decayed = {names[id(p)] for g in groups if g["weight_decay"] == 0.05 for p in g["params"]}
    undecayed = {names[id(p)] for g in groups if g["weight_decay"] == 0.0 for p in g["params"]}
    assert {"block1.attn.qkv.weight", "head.weight", "patch_embed.proj.conv1.weight"} <= decayed
    assert {"patch_embed.cls_token", "patch_embed.pos_embed", "norm.weight", "block2.norm1.bias",
            "head.bias"} <= undecayed
    assert not any(n.endswith("bias") or ".norm" in n or n.startswith("norm") for n in decayed)
    assert decayed | undecayed == set(names.values()) and not decayed & undecayed


def test_layer_decay_gives_each_block_below_the_head_a_smaller_rate():
    model = _vit()
    rates = {g["block"]: g["lr"] for g in param_groups(model, lr=1e-2, layer_decay=0.5)}
    assert rates["head"] == rates["norm"] == 1e-2
    assert [rates[b] for b in ("block4", "block3", "block2", "block1", "patch_embed")] == pytest.approx(
        [1e-2 * 0.5 ** k for k in range(1, 6)])
    freeze(model, "patch_embed", "block1")
    assert {g["block"] for g in param_groups(model, lr=1e-2, layer_decay=0.5)} == {
        "block2", "block3", "block4", "norm", "head"}  # frozen blocks get no group; the others keep their rate


def test_warmup_then_cosine():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = warmup_cosine(optimizer, steps=20, warmup=4)
    rates = []
    for _ in range(20):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates[:5] == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0])
    assert rates[5:] == sorted(rates[5:], reverse=True) and rates[-1] < 0.01
    assert rates[12] == pytest.approx(0.5 * (1 + math.cos(math.pi * 8 / 16)))


def test_fit_trains_on_the_trainers_batches_to_the_same_weights():
    """The same optimizer through both loops, the same seed: the same weights at the end (float rounding aside)."""
    x = torch.randn(40, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    y = torch.arange(40) % 3
    ours, theirs = _vit(), _vit()
    fit(ours, (x, y), torch.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9), 6, batch_size=8, seed=4)
    Trainer(theirs, (x, y), lr=0.05, optimizer="sgd", batch_size=8, seed=4, augment=False).fit(6, eval_every=0)
    for (name, a), b in zip(ours.named_parameters(), theirs.parameters()):
        assert torch.allclose(a, b, atol=1e-5), name


def test_label_smoothing_changes_the_loss_and_a_bad_model_is_refused():
    x, y = torch.randn(16, 3, 32, 32, generator=torch.Generator().manual_seed(2)), torch.arange(16) % 3
    plain, smooth = _vit(), _vit()
    a = fit(plain, (x, y), torch.optim.SGD(plain.parameters(), lr=0.0), 1, batch_size=16)
    b = fit(smooth, (x, y), torch.optim.SGD(smooth.parameters(), lr=0.0), 1, batch_size=16, label_smoothing=0.1)
    assert a[0] != b[0]
    with pytest.raises(TypeError, match="nn.Module"):
        fit("model", (x, y), None, 1)
