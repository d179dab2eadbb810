"""Picture grids: sample images of a data set, a model's first-layer filters, and its feature maps."""

import numpy as np
import plotly.graph_objects as go
import torch

from widgets.kit import data

from .style import MAX_WIDTH

GAP = 2  # pixels between pictures
CAPTION_BAND = 16  # pixels under each row of pictures for their captions
BACKGROUND = 255  # white gaps
MARGIN = 10


def picture_grid(images, columns=10, gap=GAP, scale=1, row_gap=None):
    """Tile ``uint8`` images ``(N, 3, H, W)`` into one ``(rows*H, columns*W, 3)`` array with white gaps
    (``row_gap`` between rows: room for captions)."""
    images = torch.as_tensor(images)
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be (N, 3, H, W), got {tuple(images.shape)}")
    n, _, h, w = images.shape
    row_gap = gap if row_gap is None else row_gap
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    pictures = images.permute(0, 2, 3, 1).numpy()
    if scale > 1:
        pictures = pictures.repeat(scale, axis=1).repeat(scale, axis=2)
        h, w = h * scale, w * scale
    grid = np.full((rows * (h + row_gap), columns * (w + gap) - gap, 3), BACKGROUND, np.uint8)
    for i, picture in enumerate(pictures):
        r, c = divmod(i, columns)
        grid[r * (h + row_gap) : r * (h + row_gap) + h, c * (w + gap) : c * (w + gap) + w] = picture
    return grid, rows, columns, h, w


def fit(n, side, columns, scale, width=MAX_WIDTH):
    """``(columns, scale)`` so that the grid fits ``width`` pixels: shrink the pictures down to twice their size,
    then wrap them into more rows, and only then shrink them further (never below their own size)."""
    columns = max(1, min(columns, n))
    room = width - 2 * MARGIN

    def too_wide():
        return columns * (side * scale + GAP) > room

    while scale > min(2, scale) and too_wide():
        scale -= 1
    while columns > 1 and too_wide():
        columns -= 1
    while scale > 1 and too_wide():
        scale -= 1
    return columns, scale


def _grid_figure(images, captions=None, columns=10, title=None, scale=3, caption_size=11):
    images = torch.as_tensor(images)
    columns, scale = fit(len(images), images.shape[-1], columns, scale)
    band = CAPTION_BAND if captions is not None else GAP
    grid, rows, columns, h, w = picture_grid(images, columns, scale=scale, row_gap=band)
    figure = go.Figure(go.Image(z=grid, hoverinfo="skip"))
    if captions is not None:  # each in the band under its own picture, never on the next row
        places = [divmod(i, columns) for i in range(len(captions))]
        figure.update_layout(annotations=[  # all at once: plotly's add_annotation copies the list each time
            dict(x=c * (w + GAP) + w / 2, y=r * (h + band) + h + band / 2, text=str(caption), showarrow=False,
                 yanchor="middle", font=dict(size=caption_size))
            for (r, c), caption in zip(places, captions)
        ])
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    top = 40 if title else MARGIN
    figure.update_layout(
        title=title, width=grid.shape[1] + 2 * MARGIN, height=top + grid.shape[0] + MARGIN,
        margin=dict(l=MARGIN, r=MARGIN, t=top, b=MARGIN),
    )
    return figure


def show_samples(dataset, per_class=1, columns=None, seed=0, title=None, predictions=None):
    """A grid of ``per_class`` images of each class of ``dataset`` (an ``ImageSet``), captioned with labels.

    ``predictions`` (one class index per image of ``dataset``) adds "label -> prediction" captions.
    """
    if len(dataset) == 0:
        raise ValueError("the data set is empty: nothing to show")
    shown = dataset.per_class(per_class, seed=seed) if per_class else dataset
    captions = [dataset.classes[int(label)] for label in shown.labels]
    if predictions is not None:
        if per_class:
            raise ValueError("pass per_class=0 with predictions, so every image has its prediction")
        predictions = torch.as_tensor(predictions)
        captions = [
            f"{dataset.classes[int(t)]}→{dataset.classes[int(p)]}" if int(p) != int(t) else dataset.classes[int(t)]
            for t, p in zip(shown.labels, predictions)
        ]
    columns = columns or min(len(shown), 13)
    return _grid_figure(shown.images, captions, columns, title or dataset.name)


def _to_pictures(tensors):
    """Scale each map/filter to 0-255 on its own (so weak and strong ones are both visible)."""
    flat = tensors.reshape(len(tensors), -1)
    low, high = flat.min(1).values, flat.max(1).values
    scaled = ((tensors - low.view(-1, *[1] * (tensors.ndim - 1)))
              / (high - low + 1e-8).view(-1, *[1] * (tensors.ndim - 1)))
    return (scaled * 255).round().to(torch.uint8)


def show_filters(conv_weight, columns=16, title="first-layer filters"):
    """The filters of a first conv layer (``(out, 3, k, k)`` weights) as little colour pictures."""
    weight = torch.as_tensor(conv_weight).detach().cpu().float()
    if weight.ndim != 4 or weight.shape[1] != 3:
        raise ValueError(f"expects first-layer weights of shape (out, 3, k, k), got {tuple(weight.shape)}")
    return _grid_figure(_to_pictures(weight), None, columns, title, scale=max(1, 48 // weight.shape[-1]))


def show_feature_maps(maps, columns=16, title="feature maps", limit=32):
    """Feature maps ``(channels, H, W)`` of one image, each scaled to its own range, shown in grey."""
    maps = torch.as_tensor(maps).detach().cpu().float()[:limit]
    pictures = _to_pictures(maps)[:, None].repeat(1, 3, 1, 1)
    return _grid_figure(pictures, None, columns, title, scale=max(1, 48 // maps.shape[-1]))


def show_images(images, captions=None, columns=10, title=None):
    """Any ``uint8`` ``(N, 3, H, W)`` images (or normalised float model inputs) as a captioned grid."""
    images = torch.as_tensor(images)
    if images.dtype != torch.uint8:
        images = data.to_uint8(images)
    return _grid_figure(images, captions, columns, title)
