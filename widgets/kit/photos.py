"""Real photos when they can be had, the bundled Digits-M task when they cannot.

The photo set is the "ants and bees" set of PyTorch's transfer-learning tutorial (about 400 photos, 45 MB):
small enough for a classroom network, and a classic first fine-tuning task. It is downloaded with
torchvision's own download helper; with no network (or a broken download) the course says so and falls back
to the Digits-M task that ships with the package. Nothing fails: ``load_photos()`` always returns a task.

    task = load_photos()
    task.source     # "photos" or "digits-m"
    task.message    # says plainly which data is in use, and why
"""

import socket
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from ..engine.checks import whole
from . import data, kept
from .downloads import in_words

PHOTOS_URL = "https://download.pytorch.org/tutorial/hymenoptera_data.zip"
FOLDER = "hymenoptera_data"  # what the archive unpacks to: train/ and val/, one folder per class
DOWNLOAD_TIMEOUT = 10  # seconds without an answer before we give up and use the bundled data
EXTENSIONS = (".jpg", ".jpeg", ".png")
#: the most pixels a photo may have: PIL's own decompression-bomb limit (about 89 million, a 9,459 x 9,459 image)
MAX_PIXELS = 1024 * 1024 * 1024 // 4 // 3
#: the side, in pixels, the photos are shrunk to: at least 8, at most 512 (the course model reads 32)
MIN_SIDE, MAX_SIDE = 8, 512


@dataclass
class PhotoTask:
    train: data.ImageSet
    test: data.ImageSet
    source: str  # "photos" or "digits-m"
    message: str


def default_root():
    """Where downloaded photos live: ``$FTLAB_DATA`` or ``~/.fine-tuning-lab/cache``."""
    return kept.folder()


def _square(image, size):
    """Centre-crop to a square, then shrink to ``size`` x ``size`` (RGB uint8, channels first)."""
    image = image.convert("RGB")
    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.BILINEAR)
    return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1)


def _read_photo(path, size):
    """``(pixels, None)`` for a photo that can be read, ``(None, why)`` for one that is left out.

    The size in the file's header is checked before a pixel is decoded: a 30,000 x 30,000 PNG is a few kB on disk
    but gigabytes once decoded (PIL calls it a decompression bomb), so it is refused, not read.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below, with a sentence
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    return None, _too_large(path, width, height)
                return _square(image, size), None
    except Image.DecompressionBombError:  # PIL's own refusal, before our check, for the largest ones
        return None, f"{path.name} is too large to open safely (more than {2 * MAX_PIXELS:,} pixels)"
    except (UnidentifiedImageError, OSError, ValueError):
        return None, f"{path.name} is damaged or not an image"


def _too_large(path, width, height):
    return (f"{path.name} is {width:,} x {height:,} pixels, more than the {MAX_PIXELS:,} a photo may have here "
            f"(decoding it would take about {width * height * 4 / 1e9:.1f} GB of memory)")


def read_image_folder(folder, size=32, name=None):
    """An ``ImageSet`` from ``folder/<class>/<image>`` (classes sorted by name, like torchvision's ImageFolder).

    A photo that cannot be read (damaged, or too large to decode safely) is left out, not fatal: ``skipped``
    counts them and ``left_out`` says why, one sentence each.
    """
    size = whole(size, "size", MIN_SIDE, MAX_SIDE)
    folder = Path(folder)
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    images, labels, left_out = [], [], []
    for label, cls in enumerate(classes):
        for path in sorted((folder / cls).iterdir()):
            if path.suffix.lower() not in EXTENSIONS:
                continue
            pixels, why = _read_photo(path, size)
            if pixels is None:
                left_out.append(f"{cls}/{why}")
                continue
            images.append(pixels)
            labels.append(label)
    if not images:
        reason = f"; left out: {left_out[0]}" if left_out else ""
        raise ValueError(f"no readable images under {folder} (expected {folder}/<class>/<image>.jpg){reason}")
    result = data.ImageSet(torch.stack(images), torch.tensor(labels), classes, name or folder.name)
    result.skipped, result.left_out = len(left_out), left_out
    return result


def write_image_folder(images, folder):
    """Save an ``ImageSet`` as ``folder/<class>/<n>.png``: the layout torchvision's ``ImageFolder`` reads.

    The inverse of :func:`read_image_folder`; lessons use it to run a plain PyTorch script on course data.
    """
    folder = Path(folder)
    for cls in images.classes:
        (folder / cls).mkdir(parents=True, exist_ok=True)
    for index, (pixels, label) in enumerate(zip(images.images, images.labels)):
        path = folder / images.classes[int(label)] / f"{index:05d}.png"
        Image.fromarray(pixels.permute(1, 2, 0).numpy()).save(path)
    return folder


def download_photos(root=None, url=None, timeout=DOWNLOAD_TIMEOUT):
    """Download and unpack the photo archive into ``root`` (torchvision's helper); return the unpacked folder."""
    from torchvision.datasets.utils import download_and_extract_archive

    root = Path(root or default_root())
    folder = root / FOLDER
    if (folder / "train").is_dir() and (folder / "val").is_dir():
        return folder  # already here: no network needed
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # torchvision's urlopen has no timeout of its own
    try:
        download_and_extract_archive(url or PHOTOS_URL, download_root=str(root), remove_finished=True)
    finally:
        socket.setdefaulttimeout(previous)
    if not (folder / "train").is_dir():
        raise ValueError(f"the archive did not contain {FOLDER}/train")
    return folder


def load_photos(root=None, download=True, size=32, url=None, timeout=DOWNLOAD_TIMEOUT, n_per_class=10):
    """The real-photo task if it is on disk or can be downloaded, else the bundled Digits-M task.

    ``size``: the photos' side in pixels (32 for the course model). ``n_per_class``: labelled images per
    class in the Digits-M fallback.
    """
    size = whole(size, "size", MIN_SIDE, MAX_SIDE)
    root = Path(root or default_root())
    folder = root / FOLDER
    try:
        if not (folder / "train").is_dir():
            if not download:
                return _fallback(f"they are not in {root} and downloading is off (download=False)", n_per_class)
            folder = download_photos(root, url=url, timeout=timeout)
        train = read_image_folder(folder / "train", size, "ants and bees (train)")
        test = read_image_folder(folder / "val", size, "ants and bees (test)")
        left_out = train.left_out + test.left_out
        return PhotoTask(
            train, test, "photos",
            f"Using real photos: {len(train)} training and {len(test)} test images of "
            f"{' and '.join(train.classes)} (the ants-and-bees set), shrunk to {size}x{size}."
            + (f" {len(left_out)} photo(s) were left out: {left_out[0]}{' ...' if len(left_out) > 1 else ''}."
               if left_out else ""),
        )
    except (zipfile.BadZipFile, RuntimeError) as error:  # a download that is not the archive it should be
        return _fallback(f"the download was not a readable archive ({type(error).__name__})", n_per_class)
    except ValueError as error:  # an archive without the expected folders, or folders without images
        return _fallback(f"the photos could not be read: {str(error).splitlines()[0]}", n_per_class)
    except OSError as error:  # no network, refused, timed out, or a folder that cannot be written
        return _fallback(f"the download failed: {in_words(error, timeout)}", n_per_class)


def _fallback(reason, n_per_class):
    """The bundled Digits-M task, with a sentence saying why the photos are not used."""
    train, test = data.target_task(n_per_class=n_per_class)
    return PhotoTask(
        train, test, "digits-m",
        f"Real photos are not available here ({reason}), so this uses the bundled Digits-M task "
        f"({n_per_class} labelled images per class). Everything works the same way.",
    )
