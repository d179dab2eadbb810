import functools
import http.server
import io
import socket
import struct
import threading
import zipfile
import zlib

import numpy as np
import pytest
from PIL import Image

from widgets.kit import photos


def _jpeg(colour, size=(48, 40)):
    buffer = io.BytesIO()
    Image.fromarray(np.full((size[1], size[0], 3), colour, np.uint8)).save(buffer, "JPEG")
    return buffer.getvalue()


def _archive(broken_photo=False):
    """A tiny stand-in for the real archive, with the same layout."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for split, count in (("train", 3), ("val", 2)):
            for cls, colour in (("ants", (200, 40, 40)), ("bees", (240, 220, 30))):
                for i in range(count):
                    archive.writestr(f"hymenoptera_data/{split}/{cls}/{i}.jpg", _jpeg(colour))
        if broken_photo:
            archive.writestr("hymenoptera_data/train/ants/broken.jpg", b"not a jpeg")
    return buffer.getvalue()


@pytest.fixture
def server(tmp_path):
    """Serve files from a folder on 127.0.0.1; yields (folder, base_url)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_photos_download_unpack_and_load_then_work_offline(server, tmp_path):
    served, base = server
    (served / "hymenoptera_data.zip").write_bytes(_archive(broken_photo=True))
    root = tmp_path / "data"
    task = photos.load_photos(root, url=f"{base}/hymenoptera_data.zip", size=32)
    assert task.source == "photos" and "real photos" in task.message
    assert task.train.classes == ["ants", "bees"]
    assert len(task.train) == 6 and len(task.test) == 4 and task.train.skipped == 1
    assert task.train.images.shape == (6, 3, 32, 32)
    red = task.train.images[0].float().mean((1, 2))
    assert red[0] > 150 and red[1] < 100  # the ants are the red ones: the pictures are the photos we served
    # offline now: the unpacked photos are reused without any network
    again = photos.load_photos(root, url="http://127.0.0.1:9/nothing.zip", download=True)
    assert again.source == "photos"


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_network_falls_back_to_digits_m_and_says_so(tmp_path):
    task = photos.load_photos(tmp_path, url=f"http://127.0.0.1:{_closed_port()}/x.zip", timeout=2)
    assert task.source == "digits-m"
    assert "not available" in task.message and "Digits-M" in task.message
    assert "the server refused the connection" in task.message  # said in words:
    assert "Errno" not in task.message and "URLError" not in task.message  # no raw exception text
    assert len(task.train) == 100 and task.train.classes == [str(d) for d in range(10)]


def test_download_false_never_touches_the_network(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("download attempted")

    monkeypatch.setattr(photos, "download_photos", no_network)
    task = photos.load_photos(tmp_path, download=False)
    assert task.source == "digits-m" and "downloading is off" in task.message


def test_a_corrupt_archive_falls_back_instead_of_crashing(server, tmp_path):
    served, base = server
    (served / "hymenoptera_data.zip").write_bytes(b"PK\x03\x04 this is not really a zip file")
    task = photos.load_photos(tmp_path / "data", url=f"{base}/hymenoptera_data.zip")
    assert task.source == "digits-m" and "not available" in task.message


def test_reading_a_folder_without_images_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no readable images"):
        photos.read_image_folder(tmp_path)


def _png_header(width, height):
    """The start of a PNG that says it is ``width`` x ``height`` pixels: what a decompression bomb looks like
    before decoding (a few bytes on disk; gigabytes once decoded)."""

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(
        b"IEND", b"")


@pytest.mark.parametrize("side", [10_000, 30_000], ids=["above-the-limit", "a-decompression-bomb"])
def test_an_oversized_photo_is_left_out_with_a_message_not_a_crash(tmp_path, side):
    folder = tmp_path / "hymenoptera_data"
    for split in ("train", "val"):
        for cls, colour in (("ants", (200, 40, 40)), ("bees", (240, 220, 30))):
            (folder / split / cls).mkdir(parents=True)
            (folder / split / cls / "0.jpg").write_bytes(_jpeg(colour))
    (folder / "train" / "ants" / "huge.png").write_bytes(_png_header(side, side))
    task = photos.load_photos(tmp_path, download=False)
    assert task.source == "photos" and len(task.train) == 2
    assert task.train.left_out == [task.train.left_out[0]] and task.train.left_out[0].startswith("ants/huge.png is ")
    assert "1 photo(s) were left out: ants/huge.png is" in task.message
    with pytest.raises(ValueError, match="no readable images .* left out: ants/huge.png is"):
        photos.read_image_folder(_only(tmp_path, "huge.png", _png_header(side, side)))


def _only(tmp_path, name, content):
    folder = tmp_path / "only" / "ants"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(content)
    return folder.parent


@pytest.mark.parametrize("size", [0, 4, 100_000, 32.5, "32"])
def test_the_photo_side_has_bounds_with_a_message(tmp_path, size):
    with pytest.raises(ValueError, match="size must be a whole number between 8 and 512"):
        photos.load_photos(tmp_path, download=False, size=size)
