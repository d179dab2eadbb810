"""The course's own small CNN: small enough to fine-tune in seconds on a laptop CPU."""

from collections import OrderedDict

import torch
from torch import nn

from ..engine import checks

#: names of the feature-extracting blocks, early to late
BACKBONE_BLOCKS = ("conv1", "conv2", "conv3")


def _conv_block(in_channels, out_channels, kernel_size):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


class CourseCNN(nn.Sequential):
    """Three conv blocks and a linear head, named so that freezing by block reads naturally.

    ``conv1`` (5x5, so its filters are big enough to look at) -> ``conv2`` -> ``conv3`` -> ``pool`` -> ``head``.
    It is an ``nn.Sequential``, so ``model[:-1]`` is the feature extractor and a frozen prefix such as
    ``model[:3]`` can be run once and its output cached.
    """

    def __init__(self, num_classes=10, width=32, conv1_init_scale=1.0):
        super().__init__(
            OrderedDict(
                conv1=_conv_block(3, width, 5),
                conv2=_conv_block(width, 2 * width, 3),
                conv3=_conv_block(2 * width, 4 * width, 3),
                pool=nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten()),
                head=nn.Linear(16 * width, num_classes),
            )
        )
        self.width = width
        if conv1_init_scale != 1.0:
            # A small first-layer init lets the learned filters, not the random start, dominate what we plot.
            with torch.no_grad():
                self.conv1[0].weight.mul_(conv1_init_scale)

    @property
    def feature_dim(self):
        return self.head.in_features

    @property
    def num_classes(self):
        return self.head.out_features

    def __getitem__(self, idx):
        # nn.Sequential slices by calling the subclass's constructor; a slice of blocks is a plain Sequential.
        if isinstance(idx, slice):
            return nn.Sequential(OrderedDict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    def features(self, x):
        """The backbone's output for a batch: shape ``(N, feature_dim)``."""
        return self[:-1](x)


def truncate(model, after, num_classes=10):
    """A smaller model cut from a :class:`CourseCNN`: its blocks up to ``after``, its pooling, and a fresh
    ``nn.Linear`` head with ``num_classes`` outputs (initialised from the caller's random state).

    The kept blocks are the same modules (same weights, not copies), so ``truncate(load_pretrained("course"),
    "conv2")`` is a pre-trained model with two conv blocks instead of three.
    """
    checks.choice(after, "block to cut after", BACKBONE_BLOCKS)
    kept = BACKBONE_BLOCKS[: BACKBONE_BLOCKS.index(after) + 1]
    parts = [(name, model.get_submodule(name)) for name in kept] + [("pool", model.pool)]
    channels = model.get_submodule(after)[0].out_channels  # the block's convolution
    features = channels * 4  # the pool averages each channel over a 2x2 grid
    small = nn.Sequential(OrderedDict(
        parts + [("head", nn.Linear(features, checks.whole(num_classes, "num_classes")))]))
    small.arch_name = f"course, cut after {after}"
    info = getattr(model, "weights_info", "course model").split(";")[0]
    small.weights_info = f"{info}; only {', '.join(kept)} kept; new {num_classes}-class head with random weights"
    return small
