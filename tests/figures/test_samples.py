import numpy as np
import pytest
import torch

import widgets
from widgets.figures import samples, transfer
from widgets.kit import data


def test_picture_grid_places_each_image_with_white_gaps():
    images = torch.stack([torch.full((3, 4, 4), v, dtype=torch.uint8) for v in (10, 20, 30)])
    grid, rows, columns, h, w = samples.picture_grid(images, columns=2, gap=1)
    assert (rows, columns, h, w) == (2, 2, 4, 4) and grid.shape == (10, 9, 3)  # a gap under each row
    assert (grid[:4, :4] == 10).all() and (grid[:4, 5:] == 20).all() and (grid[5:9, :4] == 30).all()
    assert (grid[4] == samples.BACKGROUND).all() and (grid[9] == samples.BACKGROUND).all()
    assert (grid[5:, 5:] == samples.BACKGROUND).all()


@pytest.mark.parametrize("per_class", [1, 2, 5])
def test_sample_grids_fit_the_notebook_and_each_caption_sits_under_its_own_picture(per_class):
    from widgets.figures.style import MAX_WIDTH

    train, _ = data.target_task(n_per_class=5, seed=0)
    figure = widgets.show_samples(train, per_class=per_class)
    assert figure.layout.width <= MAX_WIDTH
    image = np.asarray(figure.data[0].z)
    band = samples.CAPTION_BAND
    for annotation in figure.layout.annotations:
        below = image[int(annotation.y), int(annotation.x)]  # the caption's centre is on white, not on a picture
        assert (below == samples.BACKGROUND).all()
        assert int(annotation.y) % 1 == 0
    rows = {round(a.y) for a in figure.layout.annotations}
    assert len(rows) == -(-len(figure.layout.annotations) // len({round(a.x) for a in figure.layout.annotations}))
    assert max(rows) < image.shape[0] and image.shape[0] - max(rows) <= band


def test_show_samples_captions_every_picture_with_its_class():
    train, _ = data.target_task(n_per_class=3, seed=0)
    figure = widgets.show_samples(train, per_class=2)
    assert [a.text for a in figure.layout.annotations] == [str(d) for d in range(10) for _ in range(2)]
    image = np.asarray(figure.data[0].z)
    assert image.shape[2] == 3 and image.dtype == np.uint8
    with pytest.raises(ValueError, match="empty"):
        widgets.show_samples(train.subset([]))


def test_predictions_mark_the_mistakes():
    train, _ = data.target_task(n_per_class=1, seed=0)
    predictions = train.labels.clone()
    predictions[0] = 7
    figure = widgets.show_samples(train, per_class=0, predictions=predictions)
    captions = [a.text for a in figure.layout.annotations]
    assert (captions[0] == f"{train.classes[int(train.labels[0])]}→7"
            and captions[1] == train.classes[int(train.labels[1])])


def test_filters_and_feature_maps_are_scaled_to_full_range():
    weight = widgets.load_course_model().conv1[0].weight
    figure = samples.show_filters(weight)
    assert np.asarray(figure.data[0].z).max() == 255
    pictures = samples._to_pictures(torch.randn(5, 4, 4))
    assert pictures.dtype == torch.uint8 and (pictures.flatten(1).max(1).values == 255).all()
    assert (pictures.flatten(1).min(1).values == 0).all()
    with pytest.raises(ValueError, match="first-layer"):
        samples.show_filters(torch.zeros(4, 8, 3, 3))


def test_transfer_figures_hold_the_numbers_they_are_given():
    figure = transfer.seeds_figure({"scratch": [0.1, 0.2], "pre-trained": [0.6, 0.7]}, chance=0.1)
    dots = [trace for trace in figure.data if trace.type == "scatter"]
    assert [list(d.y) for d in dots] == [[0.1, 0.2], [0.6, 0.7]]
    curve = transfer.labels_curve_figure((5, 10), {"scratch": [0.1, 0.2]})
    assert list(curve.data[0].x) == [5, 10]
    drift = widgets.drift_figure([0, 10], {"conv1": [0.0, 0.0], "conv3": [0.0, 0.1]}, [(0, "+head")])
    assert [trace.name for trace in drift.data] == ["conv1", "conv3"]


def test_the_model_diagram_shows_every_block_with_the_shape_it_really_outputs():
    model = widgets.load_pretrained("course", num_classes=10)
    figure = widgets.model_diagram(model)
    texts = [a.text for a in figure.layout.annotations if a.text]
    assert ([t.split("</b>")[0].removeprefix("<b>") for t in texts]
            == ["input", "conv1", "conv2", "conv3", "pool", "head"])
    assert "out: 32 x 16 x 16" in texts[1] and "out: 512" in texts[4] and "out: 10" in texts[5]
    assert "5,130 params" in texts[5]
    assert figure.layout.width <= 700
    assert model.training  # drawing it changed no mode
