import numpy as np
import pytest
import torch

from widgets.kit import data


def test_normalize_maps_uint8_to_the_model_range_and_back():
    images = torch.tensor([0, 128, 255], dtype=torch.uint8).view(1, 3, 1, 1)
    x = data.normalize(images)
    assert x.dtype == torch.float32
    assert torch.allclose(x.flatten(), torch.tensor([-2.0, 0.0078, 2.0]), atol=1e-3)
    assert torch.equal(data.to_uint8(x), images)
    with pytest.raises(TypeError, match="uint8"):
        data.normalize(torch.zeros(1, 3, 2, 2))


def test_source_dataset_is_deterministic_balanced_and_shaped():
    a, b = data.source_dataset(52, seed=3), data.source_dataset(52, seed=3)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, data.source_dataset(52, seed=4).images)
    assert a.images.dtype == torch.uint8 and a.images.shape == (52, 3, 32, 32)
    assert torch.bincount(a.labels, minlength=26).tolist() == [2] * 26
    assert a.classes == list(data.LETTERS)


def test_image_set_behaves_like_a_torch_dataset():
    ds = data.source_dataset(26, seed=0)
    x, y = ds[5]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and y == int(ds.labels[5])
    loader = torch.utils.data.DataLoader(ds, batch_size=8)
    xb, yb = next(iter(loader))
    assert xb.shape == (8, 3, 32, 32) and yb.dtype == torch.long
    xs, ys = ds.tensors()
    assert torch.equal(xs[:8], xb) and torch.equal(ys[:8], yb)
    sub = ds.subset([0, 2])
    assert len(sub) == 2 and torch.equal(sub.images[1], ds.images[2]) and sub.classes == ds.classes
    with pytest.raises(ValueError, match="labels"):
        data.ImageSet(ds.images, ds.labels[:3], ds.classes)


def test_source_test_set_is_fixed_and_not_a_training_draw():
    first, again = data.source_test_set(), data.source_test_set()
    assert len(first) == data.SOURCE_TEST_SIZE
    assert torch.equal(first.images, again.images)
    assert not torch.equal(first.images[:26], data.source_dataset(26, seed=0).images)


def test_target_task_has_n_per_class_and_a_fixed_disjoint_test_set():
    train, test = data.target_task(n_per_class=7, seed=0)
    assert torch.bincount(train.labels, minlength=10).tolist() == [7] * 10
    assert train.classes == test.classes == list(data.DIGITS)
    train2, test2 = data.target_task(n_per_class=20, seed=1)
    assert torch.equal(test.images, test2.images)  # same test set whatever the train size and seed
    assert not torch.equal(train.images, data.target_task(n_per_class=7, seed=1)[0].images)
    # no test image appears among the training images
    test_rows = {bytes(img.numpy()) for img in test.images}
    assert not any(bytes(img.numpy()) in test_rows for img in train2.images)
    assert len(test) > 850


def test_target_task_rejects_impossible_requests_clearly():
    with pytest.raises(ValueError, match="between 1 and"):
        data.target_task(n_per_class=0)
    with pytest.raises(ValueError, match="between 1 and"):
        data.target_task(n_per_class=data.max_per_class() + 1)
    with pytest.raises(ValueError, match="distinct digits"):
        data.target_task(classes=(3, 3))


def test_a_class_split_relabels_the_chosen_digits():
    train, test = data.target_task(n_per_class=5, classes=(5, 6, 7, 8, 9))
    assert train.classes == ["5", "6", "7", "8", "9"]
    assert set(train.labels.tolist()) == set(range(5)) == set(test.labels.tolist())


def test_validation_split_never_touches_the_test_set():
    train, val = data.target_validation_task(n_per_class=10, val_per_class=20)
    _, test = data.target_task()
    assert torch.bincount(val.labels).tolist() == [20] * 10
    test_rows = {bytes(img.numpy()) for img in test.images}
    assert not any(bytes(img.numpy()) in test_rows for img in torch.cat([train.images, val.images]))


def test_target_clutter_is_a_different_family_from_source_backgrounds():
    # source backgrounds are smooth; the clutter is piecewise flat with sharp edges. Compare the share of
    # large jumps between neighbouring pixels of the bare backgrounds.
    rng = np.random.default_rng(0)
    colour = np.array([120, 120, 120])

    def sharp_edges(background):
        b = background.astype(np.float32).mean(-1)
        return (np.abs(np.diff(b, axis=1)) > 25).mean()

    smooth = np.mean([sharp_edges(data._smooth_background(rng, colour, 32)) for _ in range(40)])
    clutter = np.mean([sharp_edges(data._clutter_background(rng, colour, 32)) for _ in range(40)])
    assert clutter > 20 * smooth


def test_plain_digits_are_the_same_digits_without_clutter():
    plain, cluttered = data.plain_digits(), data.digits_m()
    assert len(plain) == len(cluttered) == 1797
    assert torch.equal(plain.labels, cluttered.labels)
    assert (plain.images[:, 0] == plain.images[:, 1]).all()  # grey: no colour


@pytest.mark.slow
def test_digit_strokes_are_scikit_learns_digits_read_without_importing_scikit_learn():
    import subprocess
    import sys

    # a fresh interpreter: the Digits-M task is built and scikit-learn (and SciPy) never imported
    code = ("import sys; from widgets.kit import data; train, test = data.target_task(10); "
            "print(len(train), len(test), 'sklearn' in sys.modules, 'scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["100", str(len(data.target_task(10)[1])), "False", "False"]

    from sklearn.datasets import load_digits

    digits = load_digits()
    images, labels = data.load_digit_strokes()
    assert torch.equal(images, torch.tensor(digits.images, dtype=torch.float32) / 16.0)
    assert torch.equal(labels, torch.tensor(digits.target, dtype=torch.long))
