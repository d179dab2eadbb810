"""Arrays kept once per machine (widgets.kit.kept): read back only for the same code, made again otherwise."""

import os
import subprocess
import sys

import numpy as np
import pytest

from widgets.kit import kept


def _maker(calls):
    def make():
        calls.append(1)
        return np.arange(12, dtype=np.uint8).reshape(3, 4)
    return make


def test_made_once_then_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("FTLAB_DATA", str(tmp_path))
    code = tmp_path / "maker.py"
    code.write_text("version 1")
    calls = []
    first = kept.array("probe", code, _maker(calls))
    second = kept.array("probe", code, _maker(calls))
    assert len(calls) == 1 and np.array_equal(first, second) and second.dtype == np.uint8
    assert [p.name.startswith("probe-") for p in tmp_path.glob("*.npy")] == [True]


def test_changed_code_makes_it_again_and_the_old_file_goes(tmp_path, monkeypatch):
    monkeypatch.setenv("FTLAB_DATA", str(tmp_path))
    code = tmp_path / "maker.py"
    calls = []
    code.write_text("version 1")
    kept.array("probe", code, _maker(calls))
    [old] = tmp_path.glob("probe-*.npy")
    other = tmp_path / "probe-extra-0123456789abcdef.npy"  # another array's file, whose name starts the same
    other.write_bytes(b"")
    code.write_text("version 2")
    kept.array("probe", code, _maker(calls))
    assert len(calls) == 2 and not old.exists() and other.exists()
    assert len([p for p in tmp_path.glob("probe-*.npy") if p != other]) == 1


def test_a_damaged_file_is_made_again_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("FTLAB_DATA", str(tmp_path))
    code = tmp_path / "maker.py"
    code.write_text("version 1")
    calls = []
    kept.array("probe", code, _maker(calls))
    [path] = tmp_path.glob("probe-*.npy")
    path.write_bytes(b"not an array")
    again = kept.array("probe", code, _maker(calls))
    assert len(calls) == 2 and np.array_equal(again, np.load(path))


def test_a_folder_that_cannot_be_written_still_gives_the_array(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("FTLAB_DATA", str(blocker / "inside"))  # a folder under a file cannot exist
    code = tmp_path / "maker.py"
    code.write_text("version 1")
    calls = []
    assert kept.array("probe", code, _maker(calls)).shape == (3, 4)
    assert kept.array("probe", code, _maker(calls)).shape == (3, 4) and len(calls) == 2


FINGERPRINT = "import hashlib; from widgets.kit import data; s = data.{}(); " \
              "print(hashlib.sha256(s.images.numpy().tobytes() + s.labels.numpy().tobytes()).hexdigest())"


@pytest.mark.slow
@pytest.mark.parametrize("images, kept_as", [("digits_m", "digits-m"), ("source_test_set", "letters-held-out")])
def test_kept_images_read_back_are_the_images_drawn(tmp_path, images, kept_as):
    """A fresh kernel draws Digits-M (or the 1,000 held-out letters) and keeps it; the next reads it back: the same
    images, bit for bit."""
    env = {**os.environ, "FTLAB_DATA": str(tmp_path)}
    code = FINGERPRINT.format(images)
    drawn = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert len(list(tmp_path.glob(f"{kept_as}-*.npy"))) == 1
    read = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert drawn.stdout == read.stdout and len(drawn.stdout.strip()) == 64
