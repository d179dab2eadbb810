"""widgets.engine.similarity: linear CKA and the block features it compares (lesson 02's feature similarity)."""

import pytest
import torch

from widgets.engine.similarity import block_features, centred_gram, cka_of_grams, feature_similarity, linear_cka
from widgets.kit.model import CourseCNN


def test_cka_is_one_for_the_same_features_rotated_or_scaled():
    torch.manual_seed(0)
    x = torch.randn(50, 8)
    rotation, _ = torch.linalg.qr(torch.randn(8, 8))
    assert linear_cka(x, x) == pytest.approx(1.0)
    assert linear_cka(x, 3 * x @ rotation) == pytest.approx(1.0)


def test_cka_is_low_for_unrelated_features_and_accepts_different_widths():
    torch.manual_seed(0)
    x, y = torch.randn(200, 8), torch.randn(200, 16)
    assert linear_cka(x, y) < 0.3


def test_cka_refuses_different_images_and_constant_features():
    with pytest.raises(ValueError, match="same images"):
        linear_cka(torch.randn(5, 3), torch.randn(6, 3))
    with pytest.raises(ValueError, match="constant"):
        linear_cka(torch.ones(5, 3), torch.randn(5, 3))


def test_cka_of_precomputed_grams_is_linear_cka():
    # lesson 02 computes the pre-trained model's Gram matrices once and compares every fine-tune with them
    torch.manual_seed(0)
    x, y = torch.randn(40, 4, 3, 3), torch.randn(40, 7)
    assert cka_of_grams(centred_gram(x), centred_gram(y)) == linear_cka(x, y)
    assert centred_gram(x).shape == (40, 40) and centred_gram(x).dtype == torch.float64
    with pytest.raises(ValueError, match="same images"):
        cka_of_grams(centred_gram(x), centred_gram(y[:10]))


def test_block_features_reads_each_block_and_leaves_the_modes_as_they_were():
    torch.manual_seed(0)
    model = CourseCNN(num_classes=10).train()
    images = torch.randn(6, 3, 32, 32)
    running_mean = model.conv1[1].running_mean.clone()
    features = block_features(model, images, ["conv1", "conv3"])
    assert set(features) == {"conv1", "conv3"}
    assert features["conv1"].shape == (6, 32, 16, 16) and features["conv3"].shape == (6, 128, 4, 4)
    assert model.training and torch.equal(running_mean, model.conv1[1].running_mean)  # read in eval mode
    with pytest.raises(ValueError, match="no block named"):
        block_features(model, images, ["conv9"])


def test_a_model_compared_with_itself_keeps_every_block():
    torch.manual_seed(0)
    model = CourseCNN(num_classes=10)
    found = feature_similarity(model, model, torch.randn(20, 3, 32, 32), ["conv1", "conv2", "conv3"])
    assert all(v == pytest.approx(1.0) for v in found.values())
