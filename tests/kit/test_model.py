import torch

from widgets import CourseCNN


def test_course_cnn_has_named_blocks_and_shapes():
    model = CourseCNN(num_classes=7)
    assert [name for name, _ in model.named_children()] == ["conv1", "conv2", "conv3", "pool", "head"]
    x = torch.randn(4, 3, 32, 32)
    assert model(x).shape == (4, 7)
    assert model.features(x).shape == (4, model.feature_dim)


def test_conv1_init_scale_shrinks_only_the_first_filters():
    torch.manual_seed(0)
    plain = CourseCNN()
    torch.manual_seed(0)
    small = CourseCNN(conv1_init_scale=0.1)
    assert torch.allclose(small.conv1[0].weight, plain.conv1[0].weight * 0.1)
    assert torch.equal(small.conv2[0].weight, plain.conv2[0].weight)
