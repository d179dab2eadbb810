import functools
import http.server
import io
import socket
import threading
import zipfile

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
