"""SHIFTED test sets for Digits-M: the same held-out digits (the same strokes, in the same order, with the same
labels as ``target_task``'s test set), drawn in a style no fine-tuning on Digits-M sees. Two styles:

- ``"plain"`` (lesson 03): white on black without clutter, a colour scheme the task never shows;
- ``"smooth"`` (lesson 08): each digit placed as Digits-M places it, on a smooth gradient instead of clutter.

    shifted = shifted_test_set()                  # lesson 03's: 896 images, white on black
    shifted = shifted_test_set("smooth")          # lesson 08's

For ``"smooth"``: Digits-M puts each real digit on CLUTTER (piles of sharp-edged shapes). Here the very same test
digits (the same strokes, sizes and places, so only the style changes) are drawn on SMOOTH backgrounds instead: a
gradient between two colours with a soft wave on it, inked in a contrasting colour. Fine-tuning on Digits-M never shows
such a picture; pre-training on the letters did show smooth backgrounds (not digits). That is the setting of
Kumar et al. (ICLR 2022): an out-of-distribution test the pre-trained features know about, where what
fine-tuning does to those features shows.
"""

import functools

import numpy as np
import torch
import torch.nn.functional as F

from ..engine import checks
from . import data, kept

SHIFT_SEED = 4242  # the placement and colours of the shifted drawings


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
    index = data.test_indices()
    rng = np.random.default_rng(SHIFT_SEED)
    images = kept.array("digits-shifted", __file__,
                        lambda: np.stack([render_smooth_digit(rng, strokes[i]) for i in index.tolist()]))
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), labels[index]


STYLES = ("plain", "smooth")


def shifted_test_set(style="plain"):
    """Digits-M's test digits in another ``style`` (:data:`STYLES`): ``"plain"``, white on black (lesson 03), or
    ``"smooth"``, on smooth backgrounds (lesson 08)."""
    if style == "plain":
        return data.plain_digits().subset(data.test_indices(), "Digits-M test digits, white on black (shifted)")
    if style == "smooth":
        images, labels = _shifted_tensors()
        return data.ImageSet(images, labels, data.DIGITS, "Digits-M test, shifted (smooth backgrounds)")
    raise checks.SettingError(f"style must be one of {', '.join(map(repr, STYLES))}; got {style!r}.")
