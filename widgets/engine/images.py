"""Images as the course model reads them: the pixel statistics it expects, and a small labelled set in memory.

Every image is a ``uint8`` tensor of shape ``(3, H, W)``; :func:`normalize` turns it into the floats the model
reads. :mod:`widgets.kit.data` draws the course's images and hands them out as :class:`ImageSet`.
"""

import torch

from . import checks

# The pixel statistics the model sees: uint8 [0, 255] -> roughly [-2, 2].
MEAN, STD = 0.5, 0.25


def normalize(images):
    """``uint8`` images (any leading shape, channels first) -> float tensors the course model expects."""
    images = torch.as_tensor(images)
    if images.dtype != torch.uint8:
        raise TypeError(f"normalize expects uint8 images (0-255), got {images.dtype}")
    return (images.float() / 255.0 - MEAN) / STD


def to_uint8(images):
    """The inverse of :func:`normalize` (for showing model inputs as pictures)."""
    return ((torch.as_tensor(images) * STD + MEAN) * 255.0).round().clamp(0, 255).to(torch.uint8)


class ImageSet(torch.utils.data.Dataset):
    """A small labelled image set held in memory.

    ``images``: uint8 ``(N, 3, H, W)``; ``labels``: long ``(N,)``; ``classes``: the label names; ``name``: what it is.
    ``ds[i]`` is ``(normalised float image, label)``, like any torchvision dataset with a ``ToTensor`` transform.
    """

    def __init__(self, images, labels, classes, name=""):
        images = torch.as_tensor(images)
        labels = torch.as_tensor(labels, dtype=torch.long)
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be uint8 of shape (N, 3, H, W), got {images.dtype} {tuple(images.shape)}")
        if len(labels) != len(images):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images = images
        self.labels = labels
        self.classes = list(classes)
        self.name = name

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return normalize(self.images[index]), int(self.labels[index])

    def __repr__(self):
        return f"ImageSet({self.name!r}: {len(self)} images, {len(self.classes)} classes)"

    @property
    def num_classes(self):
        return len(self.classes)

    def tensors(self):
        """All of it as ``(x, y)``: normalised float images and long labels, ready for a model."""
        return normalize(self.images), self.labels

    def subset(self, indices, name=None):
        indices = torch.as_tensor(indices, dtype=torch.long)
        return ImageSet(self.images[indices], self.labels[indices], self.classes, name or self.name)

    def per_class(self, n, seed=0):
        """The first ``n`` images of each class after a seeded shuffle (fewer where a class has fewer)."""
        n = checks.whole(n, "n", minimum=0)
        generator = torch.Generator().manual_seed(seed)
        picked = []
        for c in range(len(self.classes)):
            members = torch.nonzero(self.labels == c).flatten()
            picked.append(members[torch.randperm(len(members), generator=generator)[:n]])
        return self.subset(torch.cat(picked))
