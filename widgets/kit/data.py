"""The course's own data: a procedural pre-training task and a real few-shot target task, all offline.

- The SOURCE task (what the course model was pre-trained on): the 26 letters A-Z rendered with Pillow's
  built-in font in random colours, sizes, positions, rotations and shears, on smooth backgrounds (flat colour,
  gradients, low-frequency noise, stripes), sometimes passed through a lower resolution. Pre-training on images
  drawn by a formula, not photographed, is "formula-driven pre-training" (as in FractalDB).
- The TARGET task (what the lessons fine-tune on): "Digits-M", the real handwritten digits that ship with
  scikit-learn (``load_digits``), enlarged and drawn in a random ink colour onto CLUTTER, in the style of
  MNIST-M. The clutter is a different family from the source backgrounds: piles of overlapping random shapes
  and lines ("dead leaves"), so what transfers is the features, not a memory of the backgrounds.

Every image is a ``uint8`` tensor of shape ``(3, 32, 32)``; everything is deterministic for a given seed.
"""

import functools
import importlib.util
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ..engine import checks
from ..engine.images import MEAN, STD, ImageSet, normalize, to_uint8  # noqa: F401 - the course's data API
from . import kept

IMAGE_SIZE = 32
SUPERSAMPLE = 2  # draw at 2x, then shrink: smooth edges
LETTERS = tuple(chr(ord("A") + i) for i in range(26))
DIGITS = tuple(str(d) for d in range(10))

SOURCE_TEST_SIZE = 1000
SOURCE_TEST_SEED = 10_000  # far from any training seed: the held-out source images are never trained on
TARGET_RENDER_SEED = 777  # Digits-M: each real digit is drawn onto its clutter once, always the same way
TARGET_SPLIT_SEED = 0  # which digits are the fixed test set, which are the pool few-shot sets come from


# ----------------------------------------------------------------------------------------------- colours
def _luminance(rgb):
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def _contrasting_colours(rng, min_contrast=70):
    """A background colour and an ink colour that differ clearly in brightness (either can be the darker)."""
    while True:
        background, ink = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        if abs(_luminance(background) - _luminance(ink)) > min_contrast:
            return background, ink


# ------------------------------------------------------------------------------------ source backgrounds
def _smooth_background(rng, colour, size):
    """The SOURCE family: flat, gradient, low-frequency noise or stripes around one colour."""
    kind = rng.integers(0, 4)
    if kind == 0:
        pixels = np.broadcast_to(colour, (size, size, 3)).astype(np.float32)
    elif kind == 1:
        other = np.clip(colour + rng.normal(0, 40, 3), 0, 255)
        angle = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:size, 0:size] / size
        t = np.cos(angle) * xx + np.sin(angle) * yy
        t = (t - t.min()) / (t.max() - t.min() + 1e-6)
        pixels = colour[None, None] * (1 - t[..., None]) + other[None, None] * t[..., None]
    elif kind == 2:
        coarse = rng.normal(0, 30, (4, 4, 3)).astype(np.float32)
        noise = np.stack(
            [np.asarray(Image.fromarray(coarse[..., c], mode="F").resize((size, size), Image.BICUBIC))
             for c in range(3)],
            -1,
        )
        pixels = colour[None, None] + noise
    else:
        angle, frequency = rng.uniform(0, np.pi), rng.uniform(2, 6)
        yy, xx = np.mgrid[0:size, 0:size] / size
        wave = np.sin(2 * np.pi * frequency * (np.cos(angle) * xx + np.sin(angle) * yy))
        pixels = colour[None, None] + 25 * wave[..., None]
    return np.clip(pixels, 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------------------ target backgrounds
def _clutter_background(rng, colour, size):
    """The TARGET family: a pile of overlapping random shapes and lines ("dead leaves") around one colour.

    Sharp-edged, piecewise-flat patches: nothing like the smooth source backgrounds.
    """
    big = size * SUPERSAMPLE
    canvas = Image.new("RGB", (big, big), tuple(int(v) for v in colour))
    draw = ImageDraw.Draw(canvas)
    for _ in range(rng.integers(10, 22)):
        fill = tuple(int(v) for v in np.clip(colour + rng.normal(0, 40, 3), 0, 255))
        cx, cy = rng.uniform(-0.1, 1.1, 2) * big
        r = rng.uniform(0.08, 0.35) * big
        kind = rng.integers(0, 4)
        if kind == 0:
            ry = r * rng.uniform(0.4, 1.0)
            draw.ellipse([cx - r, cy - ry, cx + r, cy + ry], fill=fill)
        elif kind == 1:
            ry = r * rng.uniform(0.3, 1.0)
            draw.rectangle([cx - r, cy - ry, cx + r, cy + ry], fill=fill)
        elif kind == 2:
            angles = np.sort(rng.uniform(0, 2 * np.pi, 3))
            draw.polygon([(cx + r * np.cos(a), cy + r * np.sin(a)) for a in angles], fill=fill)
        else:
            angle = rng.uniform(0, np.pi)
            dx, dy = 2 * r * np.cos(angle), 2 * r * np.sin(angle)
            draw.line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=fill, width=int(rng.integers(1, 4)))
    return np.asarray(canvas.resize((size, size), Image.BOX))


def _add_noise(rng, pixels):
    pixels = pixels.astype(np.float32) + rng.normal(0, rng.uniform(0, 12), pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8)


# ------------------------------------------------------------------------------------------ source task
@functools.lru_cache(maxsize=16)
def _font(size):
    return ImageFont.load_default(size=size)  # Pillow >= 10.1 embeds a scalable font: no font files needed


def render_letter(rng, label):
    """One SOURCE image (uint8, 32x32x3): the letter ``LETTERS[label]`` on a smooth background."""
    big = IMAGE_SIZE * SUPERSAMPLE
    background, ink = _contrasting_colours(rng)
    mask = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(mask)
    font = _font(int(rng.uniform(0.7, 1.0) * big))
    stroke = int(rng.integers(0, 3)) * SUPERSAMPLE // 2  # a thicker outline = a bolder letter
    left, top, right, bottom = draw.textbbox((0, 0), LETTERS[label], font=font, stroke_width=stroke)
    x = (big - (right - left)) / 2 - left + rng.uniform(-0.1, 0.1) * big
    y = (big - (bottom - top)) / 2 - top + rng.uniform(-0.1, 0.1) * big
    draw.text((x, y), LETTERS[label], fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    mask = mask.rotate(rng.uniform(-20, 20), resample=Image.BILINEAR, center=(big / 2, big / 2))
    shear, scale = rng.uniform(-0.2, 0.2), rng.uniform(0.9, 1.1)
    offset = (1 - 1 / scale) * big / 2
    mask = mask.transform(
        (big, big), Image.AFFINE, (1 / scale, shear, offset - shear * big / 2, 0, 1 / scale, offset), Image.BILINEAR
    )
    alpha = np.asarray(mask, np.float32)[..., None] / 255.0
    back = _smooth_background(rng, background, big).astype(np.float32)
    image = Image.fromarray((back * (1 - alpha) + ink.astype(np.float32) * alpha).astype(np.uint8))
    image = image.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BOX)
    if rng.random() < 0.5:  # resolution randomisation: blurry like the enlarged 8x8 target digits
        low = int(rng.integers(8, 17))
        image = image.resize((low, low), Image.BOX).resize((IMAGE_SIZE, IMAGE_SIZE), Image.BILINEAR)
    if rng.random() < 0.2:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    return _add_noise(rng, np.asarray(image))


def _letter_labels(n, rng):
    """The classes of ``n`` letter images, balanced, in the order ``rng`` shuffles them (before any is drawn)."""
    labels = np.arange(n) % len(LETTERS)
    rng.shuffle(labels)
    return labels


def source_dataset(n=40_000, seed=0):
    """The pre-training task: ``n`` letter images, classes balanced, order shuffled by ``seed``."""
    n = checks.whole(n, "n", minimum=0)
    rng = np.random.default_rng(seed)
    labels = _letter_labels(n, rng)
    images = np.stack([render_letter(rng, int(c)) for c in labels]) if n else np.zeros((0, 32, 32, 3), np.uint8)
    return ImageSet(torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), labels, LETTERS, "letters (source)")


@functools.lru_cache(maxsize=1)
def _source_test_tensors():
    # drawn once per machine (about a second), then read back, as Digits-M is; a change to this file draws them again
    images = kept.array("letters-held-out", __file__,
                        lambda: source_dataset(SOURCE_TEST_SIZE, seed=SOURCE_TEST_SEED).images.numpy())
    labels = _letter_labels(SOURCE_TEST_SIZE, np.random.default_rng(SOURCE_TEST_SEED))
    return torch.from_numpy(images), torch.from_numpy(labels)


def source_test_set():
    """The held-out source images (fixed seed): measures how much of the OLD task a fine-tuned model forgets."""
    images, labels = _source_test_tensors()
    return ImageSet(images, labels, LETTERS, "letters (source, held out)")


# ------------------------------------------------------------------------------------------ target task
@functools.lru_cache(maxsize=1)
def load_digit_strokes():
    """scikit-learn's 1,797 real handwritten digits: ``(images float (N, 8, 8) in [0, 1], labels long)``, read as
    ``load_digits`` reads them from the file inside scikit-learn, found without importing it (+75 MB with SciPy)."""
    package = importlib.util.find_spec("sklearn").submodule_search_locations[0]  # runs none of its code
    rows = np.loadtxt(os.path.join(package, "datasets", "data", "digits.csv.gz"), delimiter=",", dtype=np.float32)
    images, labels = rows[:, :-1].reshape(-1, 8, 8) / 16.0, rows[:, -1].astype(np.int64)
    return torch.from_numpy(images.copy()), torch.from_numpy(labels)


def render_digit(rng, digit8x8):
    """One TARGET image (uint8, 32x32x3): an 8x8 digit enlarged, placed at random, inked onto clutter."""
    size = int(rng.integers(int(0.55 * IMAGE_SIZE), int(0.9 * IMAGE_SIZE) + 1))
    ink_mask = F.interpolate(digit8x8[None, None], size=(size, size), mode="bilinear", align_corners=False)
    mask = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    x, y = rng.integers(0, IMAGE_SIZE - size + 1, 2)
    mask[y : y + size, x : x + size] = ink_mask[0, 0].clamp(0, 1).numpy()
    background, ink = _contrasting_colours(rng, min_contrast=80)
    back = _clutter_background(rng, background, IMAGE_SIZE).astype(np.float32)
    pixels = back * (1 - mask[..., None]) + ink.astype(np.float32) * mask[..., None]
    return _add_noise(rng, pixels)


def plain_digits():
    """The same real digits WITHOUT clutter (white on black): easy even from scratch, a useful contrast."""
    strokes, labels = load_digit_strokes()
    big = F.interpolate(strokes[:, None], size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False)
    images = (big.clamp(0, 1) * 255).round().to(torch.uint8).repeat(1, 3, 1, 1)
    return ImageSet(images, labels, DIGITS, "digits (plain)")


@functools.lru_cache(maxsize=1)
def _digits_m_tensors():
    strokes, labels = load_digit_strokes()
    rng = np.random.default_rng(TARGET_RENDER_SEED)
    # drawn once per machine (about 7 s), then read back; a change to this file draws them again
    images = kept.array("digits-m", __file__, lambda: np.stack([render_digit(rng, d) for d in strokes]))
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous(), labels


def digits_m():
    """All 1,797 Digits-M images (each real digit drawn once onto its clutter)."""
    images, labels = _digits_m_tensors()
    return ImageSet(images, labels, DIGITS, "Digits-M")


@functools.lru_cache(maxsize=16)
def _pool_and_test_indices(classes):
    """A fixed stratified split: half of each class is the test set, the other half the labelled pool."""
    _, labels = load_digit_strokes()
    generator = torch.Generator().manual_seed(TARGET_SPLIT_SEED)
    pool, test = [], []
    for c in classes:
        members = torch.nonzero(labels == c).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        half = len(members) // 2
        test.append(members[:half])
        pool.append(members[half:])
    return torch.cat(pool), torch.cat(test)


def _digits_task_sets(classes):
    classes = tuple(int(c) for c in classes)
    if not classes or len(set(classes)) != len(classes) or not set(classes) <= set(range(10)):
        raise ValueError(f"classes must be distinct digits 0-9, got {classes}")
    images, labels = _digits_m_tensors()
    remap = torch.full((10,), -1, dtype=torch.long)
    remap[list(classes)] = torch.arange(len(classes))
    names = [DIGITS[c] for c in classes]
    pool, test = _pool_and_test_indices(classes)
    pool_set = ImageSet(images[pool], remap[labels[pool]], names, "Digits-M pool")
    test_set = ImageSet(images[test], remap[labels[test]], names, "Digits-M test")
    return pool_set, test_set


def max_per_class(classes=tuple(range(10))):
    """The most labelled images per class :func:`target_task` can give (the smallest class's pool)."""
    pool, _ = _digits_task_sets(classes)
    return int(torch.bincount(pool.labels).min())


def target_task(n_per_class=10, seed=0, classes=tuple(range(10))):
    """The few-shot Digits-M task: ``(train, test)``.

    ``train`` holds ``n_per_class`` labelled images per class, picked from the pool by ``seed``; ``test`` is the
    same fixed held-out half of the digits for every seed and every ``n_per_class``. ``classes`` picks digits
    (e.g. ``(5, 6, 7, 8, 9)``), relabelled 0..k-1.
    """
    pool, test = _digits_task_sets(classes)
    limit = int(torch.bincount(pool.labels).min())  # the labelled pool's smallest class
    n_per_class = checks.whole(n_per_class, "n_per_class", 1, limit)
    train = pool.per_class(n_per_class, seed=1000 + seed)
    train.name = f"Digits-M train ({n_per_class} per class)"
    return train, test


def test_indices():
    """Which of the 1,797 digits are Digits-M's test set (all ten digits), in the test set's order."""
    return _pool_and_test_indices(tuple(range(10)))[1]


def target_validation_task(n_per_class=10, seed=0, val_per_class=30, classes=tuple(range(10))):
    """``(train, validation)``, both from the labelled pool, never touching the test set: for tuning."""
    n_per_class = checks.whole(n_per_class, "n_per_class")
    val_per_class = checks.whole(val_per_class, "val_per_class")
    pool, _ = _digits_task_sets(classes)
    generator = torch.Generator().manual_seed(2000 + seed)
    train_idx, val_idx = [], []
    for c in range(len(pool.classes)):
        members = torch.nonzero(pool.labels == c).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        if len(members) < n_per_class + val_per_class:
            raise checks.SettingError(f"the pool has {len(members)} images of class {c}: too few for "
                                      f"n_per_class={n_per_class} plus val_per_class={val_per_class}.")
        train_idx.append(members[:n_per_class])
        val_idx.append(members[n_per_class : n_per_class + val_per_class])
    return pool.subset(torch.cat(train_idx), "Digits-M train"), pool.subset(torch.cat(val_idx), "Digits-M validation")
