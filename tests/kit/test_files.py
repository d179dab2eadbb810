"""widgets.files: one home folder for everything the course keeps, and one atomic write."""

import os

import pytest

from widgets import files


def test_home_cache_and_progress_follow_the_environment(monkeypatch, tmp_path):
    for name in ("FTLAB_HOME", "FTLAB_DATA", "FTLAB_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert files.home() == tmp_path / ".fine-tuning-lab"
    assert files.cache_folder() == tmp_path / ".fine-tuning-lab" / "cache"
    assert files.progress_path() == tmp_path / ".fine-tuning-lab" / "progress.json"
    monkeypatch.setenv("FTLAB_HOME", str(tmp_path / "elsewhere"))
    assert files.cache_folder() == tmp_path / "elsewhere" / "cache"
    monkeypatch.setenv("FTLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("FTLAB_PROGRESS", str(tmp_path / "p.json"))
    assert files.cache_folder() == tmp_path / "data" and files.progress_path() == tmp_path / "p.json"


def test_a_progress_file_in_the_old_folder_is_moved_in_once(monkeypatch, tmp_path):
    for name in ("FTLAB_HOME", "FTLAB_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    old = tmp_path / ".fine_tuning_lab" / "progress.json"
    old.parent.mkdir()
    old.write_text('{"version": 1}')
    path = files.progress_path()
    assert path == tmp_path / ".fine-tuning-lab" / "progress.json"
    assert path.read_text() == '{"version": 1}' and not old.exists()
    old.write_text("an older copy")  # a second call never moves another file over the one in use
    assert files.progress_path().read_text() == '{"version": 1}'


@pytest.mark.parametrize("data", [b"\x00bytes", "text: é ✓"])
def test_atomic_write_writes_the_whole_file(tmp_path, data):
    path = files.atomic_write(tmp_path / "sub" / "f", data, sync=isinstance(data, str))
    expected = data.encode("utf-8") if isinstance(data, str) else data
    assert path.read_bytes() == expected and os.listdir(path.parent) == ["f"]


def test_a_failed_write_leaves_the_old_file_and_no_partial(monkeypatch, tmp_path):
    path = tmp_path / "f"
    path.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        files.atomic_write(path, "new")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["f"]
