"""A SHIFTED test set for Digits-M: the same held-out digits, drawn in a style fine-tuning never sees.

Digits-M puts each real digit on CLUTTER (piles of sharp-edged shapes). Here the very same test digits (the same
strokes, sizes and places, so only the style changes) are drawn on SMOOTH backgrounds instead: a gradient
between two colours with a soft wave on it, inked in a contrasting colour. Fine-tuning on Digits-M never shows
such a picture; pre-training on the letters did show smooth backgrounds (not digits). That is the setting of
Kumar et al. (ICLR 2022): an out-of-distribution test the pre-trained features know about, where what
fine-tuning does to those features shows.

    shifted = shifted_test_set()      # an ImageSet: 896 images, labels equal to target_task()[1].labels
"""

import functools

import numpy as np
import torch
import torch.nn.functional as F

from . import data, kept

SHIFT_SEED = 4242  # the placement and colours of the shifted drawings


def test_indices():
    """Which of the 1,797 digits are Digits-M's test set, in the test set's order (the split of
    :func:`widgets.kit.data.target_task` with all ten digits: half of each class, fixed by ``TARGET_SPLIT_SEED``)."""
    _, labels = data.load_digit_strokes()
    generator = torch.Generator().manual_seed(data.TARGET_SPLIT_SEED)
    test = []
    for digit in range(10):
        members = torch.nonzero(labels == digit).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        test.append(members[: len(members) // 2])
    return torch.cat(test)


def _colours(rng, min_contrast=80):
    """Two background colours and an ink whose brightness differs clearly from both."""
    def brightness(rgb):
        return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]

    while True:
        first, second, ink = (rng.integers(0, 256, 3).astype(np.float32) for _ in range(3))
        if min(abs(brightness(first) - brightness(ink)), abs(brightness(second) - brightness(ink))) > min_contrast:
            return first, second, ink


def render_smooth_digit(rng, digit8x8, size=data.IMAGE_SIZE):
    """One shifted image (uint8, 32x32x3): an 8x8 digit enlarged and placed as Digits-M places it, on a smooth
    gradient with a soft wave instead of clutter."""
    side = int(rng.integers(int(0.55 * size), int(0.9 * size) + 1))
    stroke = F.interpolate(digit8x8[None, None], size=(side, side), mode="bilinear", align_corners=False)
    mask = np.zeros((size, size), np.float32)
    x, y = rng.integers(0, size - side + 1, 2)
    mask[y : y + side, x : x + side] = stroke[0, 0].clamp(0, 1).numpy()
    first, second, ink = _colours(rng)
    yy, xx = np.mgrid[0:size, 0:size] / size
    angle = rng.uniform(0, 2 * np.pi)
    t = (np.cos(angle) * xx + np.sin(angle) * yy)
    t = (t - t.min()) / (t.max() - t.min())
    wave = np.sin(2 * np.pi * rng.uniform(1, 3) * (np.sin(angle) * xx - np.cos(angle) * yy))
    back = first * (1 - t[..., None]) + second * t[..., None] + 15 * wave[..., None]
    pixels = back * (1 - mask[..., None]) + ink * mask[..., None]
    return np.clip(pixels + rng.normal(0, 4, pixels.shape), 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=1)
def _shifted_tensors():
    strokes, labels = data.load_digit_strokes()
    index = test_indices()
    rng = np.random.default_rng(SHIFT_SEED)
    images = kept.array("digits-shifted", __file__,
                        lambda: np.stack([render_smooth_digit(rng, strokes[i]) for i in index.tolist()]))
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), labels[index]


def shifted_test_set():
    """Digits-M's test digits drawn on smooth backgrounds: the out-of-distribution test set of lesson 08."""
    images, labels = _shifted_tensors()
    return data.ImageSet(images, labels, data.DIGITS, "Digits-M test, shifted (smooth backgrounds)")
