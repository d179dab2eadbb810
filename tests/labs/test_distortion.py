"""Lesson 03's feature-distortion lab and lesson 04's layer-wise decay lab: what their measurements rest on (cheap:
no training). The measured claims run under ``pytest -m claims``."""

import pytest
import torch

from widgets import shifted_test_set, target_task
from widgets.kit.course import course_model
from widgets.labs import distortion, layer_decay, learning_rate


def test_the_shifted_test_set_is_the_digits_m_test_set_drawn_white_on_black():
    _, test = target_task(n_per_class=10, seed=0)
    shifted = shifted_test_set()
    assert torch.equal(shifted.labels, test.labels) and shifted.classes == test.classes
    assert torch.equal(shifted.images[:, 0], shifted.images[:, 1])  # grey: no colour anywhere
    corners = shifted.images[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert corners.float().mean() < 5  # black background, no clutter
    assert not torch.equal(shifted.images, test.images)


def test_distortion_is_zero_for_the_pre_trained_backbone_and_grows_when_it_moves():
    untouched = distortion.scores(course_model(seed=0))
    assert untouched["distortion"] == 0.0 and 0.0 <= untouched["shifted"] <= 1.0
    moved = course_model(seed=0)
    with torch.no_grad():
        moved.conv3[0].weight.mul_(1.5)
    assert distortion.scores(moved)["distortion"] > 0.05


def test_the_layer_decay_lab_trains_the_engine_rates_and_matches_the_hand_picked_top_blocks():
    rates = layer_decay.rates()
    assert list(rates) == ["conv1", "conv2", "conv3", "head"]
    for block in ("conv3", "head"):
        assert rates[block] == pytest.approx(learning_rate.DISCRIMINATIVE[block])
    assert rates["conv1"] < rates["conv2"] < rates["conv3"] < rates["head"]
    assert layer_decay.rates(decay=1.0) == dict.fromkeys(rates, layer_decay.BASE_RATE)
