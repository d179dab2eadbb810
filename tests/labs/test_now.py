"""Lesson 08's runs: each point of the spectrum trains exactly what it says, LP-FT's first stage is the probe, and
the recipe comparison differs in nothing but the recipe."""

import pytest
import torch

from widgets.engine.lora import LoRALinear
from widgets.kit.vit import CourseViT
from widgets.labs import now, recipe_now


def _trainable(method):
    torch.manual_seed(0)
    model = now.prepare(CourseViT(num_classes=10), method)
    return model, {n for n, p in model.named_parameters() if p.requires_grad}


def test_each_point_of_the_spectrum_trains_exactly_its_parts():
    _, head = _trainable("head only")
    assert head == {"head.weight", "head.bias"}
    _, bitfit = _trainable("norms + biases")
    norms = ("bias", "norm.weight", "norm1.weight", "norm2.weight")
    assert head < bitfit and all(n.endswith(norms) for n in bitfit - head)
    assert "block3.attn.qkv.bias" in bitfit and "block3.attn.qkv.weight" not in bitfit
    _, last = _trainable("last block")
    assert last == {n for n, _ in CourseViT().named_parameters() if n.startswith(("block4.", "norm.", "head."))}
    everything_model, everything = _trainable("everything")
    assert everything == {n for n, _ in everything_model.named_parameters()}


@pytest.mark.parametrize("rank", [1, 4, 8])
def test_lora_adapts_both_attention_projections_of_every_block_at_its_rank(rank):
    model, trainable = _trainable(f"LoRA r={rank}")
    wrapped = [(n, m) for n, m in model.named_modules() if isinstance(m, LoRALinear)]
    assert [n for n, _ in wrapped] == [f"block{i}.attn.{p}" for i in range(1, 5) for p in ("qkv", "proj")]
    assert all(m.rank == rank for _, m in wrapped)
    assert trainable == {f"{n}.lora_{ab}" for n, _ in wrapped for ab in "AB"} | {"head.weight", "head.bias"}
    # per block: rank * (64 + 192) for qkv and rank * (64 + 64) for proj; plus the 650-number head
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 4 * rank * (256 + 128) + 650


def test_the_same_seed_gives_the_same_start_and_another_seed_another_head():
    a, b, c = now.build("LoRA r=4", seed=1), now.build("LoRA r=4", seed=1), now.build("LoRA r=4", seed=2)
    assert torch.equal(a.head.weight, b.head.weight) and torch.equal(a.block1.attn.qkv.lora_A, b.block1.attn.qkv.lora_A)
    assert not torch.equal(a.head.weight, c.head.weight)
    assert torch.equal(a.block1.attn.qkv.base.weight, c.block1.attn.qkv.base.weight)  # the pre-trained weights


def test_an_unknown_method_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="head only"):
        now.build("LoRA r=2")
    with pytest.raises(ValueError, match="plain Adam"):
        recipe_now.train_recipe("SGD", None)


@pytest.mark.slow
def test_the_probe_stage_of_lp_ft_changes_the_head_and_nothing_else():
    """So at the start of LP-FT's second stage the only difference from fine-tuning everything is the head."""
    train, _, _ = now.task(0)
    start = now.build("head only", 0)
    probe, _ = now.train_method("head only", train, 0, 5)
    changed = {n for (n, a), b in zip(probe.state_dict().items(), start.state_dict().values()) if not torch.equal(a, b)}
    assert changed == {"head.weight", "head.bias"}
    assert torch.equal(start.head.weight, now.build("everything", 0).head.weight)  # the same random head to start


@pytest.mark.slow
def test_plain_adam_through_the_recipe_loop_is_the_trainers_everything_run():
    """Control for the recipe comparison: its plain-Adam arm trains what the spectrum's "everything" trains."""
    train, test, _ = now.task(0)
    theirs, _ = now.train_method("everything", train, 0, 4, lr=1e-3)
    ours = recipe_now.train_recipe("plain Adam", train, 0, 4, lr=1e-3)
    x = test.tensors()[0][:200]
    with torch.no_grad():
        # outputs, not every weight: the key projection's bias gets a gradient of (almost) exactly 0, softmax being
        # blind to a shift, and Adam's step, which divides by the gradient's size, turns its rounding into 1e-3 moves
        assert torch.allclose(ours.eval()(x), theirs.eval()(x), atol=1e-4)
    assert recipe_now.run("plain Adam", 0) == (now.run("everything", 0).in_acc, now.run("everything", 0).shifted_acc)
