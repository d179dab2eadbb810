"""Lesson 05's model chooser, its measurements: the same counts as the lesson's, and every timing kept."""

import pytest
import torch

from widgets.engine.checks import SettingError
from widgets.kit.measure import counts, file_size, multiply_adds
from widgets.labs import models


def test_the_choices_are_the_course_models_then_the_zoo_without_a_download():
    assert models.CHOICES[:2] == ("course model (3 conv blocks)", "course model cut after conv2")
    assert set(models.CHOICES[2:]) == {"mobilenet_v2", "efficientnet_b0", "resnet18", "resnet50", "resnet152",
                                       "convnext_tiny", "vit_b_16"}
    assert "random weights" in models.build_choice("resnet18", device="meta").weights_info


@pytest.mark.parametrize("name, millions", [("mobilenet_v2", 3.5), ("resnet152", 60.2), ("vit_b_16", 86.6)])
def test_parameters_are_counted_on_a_weightless_copy_as_torchvision_lists_them(name, millions):
    assert round(models.choice_parameters(name) / 1e6, 1) == millions


def test_the_course_models_counts_are_the_lessons():
    full, cut = (models.build_choice(name) for name in models.COURSE_MODELS)
    assert models.choice_parameters("course model (3 conv blocks)") == sum(p.numel() for p in full.parameters())
    assert models.choice_parameters("course model cut after conv2") == sum(p.numel() for p in cut.parameters())
    x = torch.zeros(1, 3, 32, 32)
    assert models.choice_multiply_adds("course model cut after conv2") == multiply_adds(cut.eval(), x)
    assert models.choice_multiply_adds("resnet18") == counts("resnet18")[1]


def test_an_image_size_a_model_cannot_read_is_refused_in_words():
    with pytest.raises(SettingError, match="vit_b_16 reads 224 x 224 images only; got 128"):
        models.choice_multiply_adds("vit_b_16", 128)
    assert models.choice_image_size("vit_b_16") == 224 and models.choice_image_size("resnet18", 96) == 96
    assert models.choice_multiply_adds("resnet18", 112) < models.choice_multiply_adds("resnet18")


def test_costs_are_measured_here_on_one_thread_with_every_repeat_kept():
    stats = models.choice_costs("course model cut after conv2", batch_size=4, repeats=3)
    assert stats.threads == 1 and stats.batch_size == 4 and stats.image_size == 32
    assert len(stats.latency_runs_ms) == 3 and stats.latency_ms == min(stats.latency_runs_ms)
    assert stats.size_bytes == file_size(models.build_choice("course model cut after conv2"))
    assert torch.get_num_threads() >= 1  # measure put the thread setting back
