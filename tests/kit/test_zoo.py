"""Models by name: offline architectures, and ImageNet weights from the cache, a (local) download, or nowhere.

No test here reaches the internet: downloads come from a server on 127.0.0.1 given as the weights mirror.
"""

import functools
import http.server
import os
import socket
import subprocess
import sys
import threading

import pytest
import torch
import torchvision
from torch import nn

from widgets.engine.params import count_parameters
from widgets.kit import downloads, zoo
from widgets.kit.measure import measure
from widgets.kit.model import truncate

SMALL = "mobilenet_v2"  # the smallest torchvision model in the zoo: its state dict is about 14 MB


@pytest.fixture(autouse=True)
def empty_torch_cache(tmp_path, monkeypatch):
    """Every test starts with an empty torch cache and no memory of unreachable hosts."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv(zoo.MIRROR_ENV, raising=False)
    monkeypatch.setattr(downloads, "unreachable_hosts", set())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def local_server(tmp_path):
    """A web server on 127.0.0.1 serving the files in a temporary folder: yields (folder, base URL)."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _distinct_state_dict(name):
    """A state dict unlike any fresh model's, so loading it can be told apart from random init."""
    torch.manual_seed(123)
    model = torchvision.models.get_model(name, weights=None)
    with torch.no_grad():
        model.classifier[1].bias.fill_(0.125)
    return model.state_dict()


def _same_weights(model, state):
    return all(torch.equal(value, state[key]) for key, value in model.state_dict().items())


def test_unknown_name_lists_the_choices():
    for function in (zoo.build_architecture, zoo.load_pretrained):
        with pytest.raises(ValueError) as error:
            function("resnet19")
        assert "resnet19" in str(error.value)
        assert all(name in str(error.value) for name in zoo.ARCHITECTURES)


def test_build_architecture_is_offline_and_counts_exactly():
    model = zoo.build_architecture("resnet18")
    assert count_parameters(model).total == 11_689_512  # the number torchvision documents for resnet18
    assert model.weights_info.startswith("random weights")
    small = zoo.build_architecture("course", num_classes=4)
    assert small.num_classes == 4 and small.arch_name == "course"


@pytest.mark.parametrize(
    "name, head", [("resnet18", "fc"), ("mobilenet_v2", "classifier.1"), ("course", "head")]
)
def test_replace_head_and_the_code_that_does_the_same(name, head):
    model = zoo.build_architecture(name)
    assert zoo.head_name(model) == head
    assert zoo.replace_head(model, 7) == head
    assert model.get_submodule(head).out_features == 7
    fresh = zoo.build_architecture(name)
    exec(zoo.head_code(fresh, 7), {"model": fresh, "nn": nn})
    assert [p.shape for p in fresh.parameters()] == [p.shape for p in model.parameters()]


def test_build_code_rebuilds_the_same_architecture():
    model = zoo.build_architecture("resnet18", num_classes=10)
    namespace = {}
    exec(model.build_code, namespace)
    assert [p.shape for p in namespace["model"].parameters()] == [p.shape for p in model.parameters()]


def test_replace_head_rejects_nonsense():
    model = zoo.build_architecture("course")
    for bad in (0, -3, 2.5, True, "10"):
        with pytest.raises(ValueError, match="num_classes"):
            zoo.replace_head(model, bad)
    with pytest.raises(ValueError, match="no nn.Linear"):
        zoo.head_name(nn.Sequential(nn.Conv2d(3, 3, 1)))


def test_no_weights_offline_means_random_weights_said_plainly():
    model = zoo.load_pretrained(SMALL, download=False)
    assert model.weights_info.startswith("random weights: ImageNet weights are not")
    assert not model.has_pretrained_weights
    assert 'weights=None' in model.build_code


def test_weight_files_are_the_ones_torchvision_saves():
    for name, file in zoo.WEIGHT_FILES.items():
        assert file == os.path.basename(torchvision.models.get_model_weights(name).DEFAULT.url), name
    assert set(zoo.WEIGHT_FILES) == set(zoo.ARCHITECTURES) - {"course", "course_vit"}


@pytest.mark.slow
def test_asking_for_cached_weights_does_not_import_torchvision_models():
    """About 170 MB of a kernel's memory: lessons that only ask whether weights are here do not pay it."""
    code = ("import sys, widgets; widgets.weights_status(check_download=False); "
            "print('torchvision.models' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_weights_in_the_torch_cache_are_used():
    state = _distinct_state_dict(SMALL)
    path = zoo.weights_path(SMALL)
    assert path.startswith(os.environ["TORCH_HOME"])
    os.makedirs(os.path.dirname(path))
    torch.save(state, path)
    model = zoo.load_pretrained(SMALL, download=False)
    assert _same_weights(model, state)
    assert model.weights_info.startswith("ImageNet weights (IMAGENET1K_")
    assert model.has_pretrained_weights


def test_new_head_on_pretrained_weights():
    state = _distinct_state_dict(SMALL)
    os.makedirs(os.path.dirname(zoo.weights_path(SMALL)))
    torch.save(state, zoo.weights_path(SMALL))
    model = zoo.load_pretrained(SMALL, num_classes=10, download=False)
    assert model.classifier[1].out_features == 10
    assert torch.equal(model.features[0][0].weight, state["features.0.0.weight"])
    assert "new 10-class head (classifier.1)" in model.weights_info


def test_a_damaged_cached_file_gives_random_weights_and_says_why():
    path = zoo.weights_path(SMALL)
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(b"not a checkpoint")
    model = zoo.load_pretrained(SMALL, download=False)
    assert model.weights_info.startswith("random weights") and "delete it" in model.weights_info
    # a file for another architecture is caught too
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    assert "could not be used" in zoo.load_pretrained(SMALL, download=False).weights_info


def test_download_from_a_mirror_fills_the_cache(local_server):
    folder, url = local_server
    state = _distinct_state_dict(SMALL)
    torch.save(state, folder / os.path.basename(zoo.weights_path(SMALL)))
    # our file is not torchvision's, so its checksum cannot match the one in the file name: skip that check here
    model = zoo.load_pretrained(SMALL, mirror=url, check_hash=False)
    assert _same_weights(model, state)
    assert model.weights_info.startswith("ImageNet weights")
    assert os.path.exists(zoo.weights_path(SMALL))
    assert [f for f in os.listdir(os.path.dirname(zoo.weights_path(SMALL))) if f.endswith(".partial")] == []


def test_mirror_from_the_environment_and_checksum_failure(local_server, monkeypatch):
    folder, url = local_server
    torch.save(_distinct_state_dict(SMALL), folder / os.path.basename(zoo.weights_path(SMALL)))
    monkeypatch.setenv(zoo.MIRROR_ENV, url)
    model = zoo.load_pretrained(SMALL)
    assert model.weights_info == "random weights: ImageNet weights are not available offline: " \
                                 "the downloaded file failed its checksum"
    assert not os.path.exists(zoo.weights_path(SMALL))  # a bad file never lands in the cache
    assert os.listdir(os.path.dirname(zoo.weights_path(SMALL))) == []


def test_missing_file_on_the_mirror(local_server):
    _, url = local_server
    model = zoo.load_pretrained(SMALL, mirror=url)
    assert "the download failed (HTTP 404" in model.weights_info


def test_an_unreachable_host_is_tried_once():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    first = zoo.load_pretrained(SMALL, mirror=url, timeout=2)
    assert "download failed" in first.weights_info
    second = zoo.load_pretrained(SMALL, mirror=url, timeout=2)
    assert "could not be reached earlier in this session" in second.weights_info


def test_course_model_says_what_it_was_trained_on():
    model = zoo.load_pretrained("course", num_classes=10)
    assert model.num_classes == 10
    assert model.weights_info.startswith("course model pre-trained on")
    assert model.has_pretrained_weights


def test_measure_counts_saves_and_times_the_model():
    model = zoo.build_architecture("course")
    model.train()
    stats = measure(model, batch_size=4, repeats=2)
    assert stats.name == "course" and stats.image_size == 32 and stats.batch_size == 4
    assert stats.parameters == count_parameters(model).total
    floats = 4 * sum(t.numel() for t in model.state_dict().values() if t.is_floating_point())
    assert floats < stats.size_bytes < floats + 100_000  # the tensors plus the file's bookkeeping
    assert stats.latency_ms > 0 and stats.ms_per_image == stats.latency_ms / 4
    assert model.training  # put back the way it was
    with pytest.raises(ValueError, match="repeats"):
        measure(model, repeats=0)


def test_file_size_is_the_size_of_the_file_torch_save_writes(tmp_path):
    from widgets.kit.measure import file_size

    for model in (zoo.build_architecture("course"), zoo.build_architecture("mobilenet_v2")):
        torch.save(model.state_dict(), tmp_path / "weights.pt")
        assert file_size(model) == (tmp_path / "weights.pt").stat().st_size


@pytest.mark.slow
def test_model_comparison_figure_has_one_panel_per_measure():
    from widgets.figures.models import model_comparison_figure

    stats = [measure("course", repeats=1), measure(torchvision.models.resnet18(weights=None), repeats=1)]
    assert stats[1].image_size == 224 and stats[1].name == "ResNet"
    figure = model_comparison_figure(stats)
    assert len(figure.data) == 3  # parameters, multiply-adds, latency
    assert all(list(trace.y) == ["course", "ResNet"] for trace in figure.data)
    assert list(figure.data[0].x) == [100362, 11689512]
    assert list(figure.data[1].x) == [s.multiply_adds_per_image for s in stats]
    assert "timed here, 1 thread" in figure.layout.annotations[2].text


def test_measure_a_training_step_leaves_the_model_as_it_was():
    model = zoo.build_architecture("course")
    model.eval()
    before = {n: b.clone() for n, b in model.named_buffers()}
    stats = measure(model, batch_size=4, repeats=1, train_step=True)
    assert stats.train_step_ms > 0 and stats.train_ms_per_image == stats.train_step_ms / 4
    assert not model.training
    assert all(torch.equal(b, before[n]) for n, b in model.named_buffers())  # BatchNorm statistics put back
    assert all(p.grad is None for p in model.parameters())
    assert measure(model, repeats=1).train_step_ms is None


def test_truncate_keeps_the_pretrained_blocks_and_adds_a_head():
    model = zoo.build_architecture("course")
    small = truncate(model, "conv2", num_classes=5)
    assert [name for name, _ in small.named_children()] == ["conv1", "conv2", "pool", "head"]
    assert small.conv1 is model.conv1  # the same pre-trained weights, not a copy
    assert small.head.out_features == 5 and small.head.in_features == 2 * model.width * 4
    assert small(torch.zeros(3, 3, 32, 32)).shape == (3, 5)
    assert count_parameters(small).total < count_parameters(model).total
    assert measure(small, repeats=1).image_size == 32
    with pytest.raises(ValueError, match="conv1, conv2, conv3"):
        truncate(model, "head")


def _closed_port_url():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/"


def test_weights_status_offline_has_the_course_models_only():
    statuses = zoo.weights_status(mirror=_closed_port_url(), timeout=2)
    assert [s.name for s in statuses] == list(zoo.ARCHITECTURES)
    assert all(s.available and "letters" in s.detail for s in statuses[:2])  # the course CNN and the course ViT
    assert not any(s.available for s in statuses[2:])
    assert all("random weights only" in s.detail for s in statuses[2:])


def test_weights_status_sees_cached_and_downloadable_weights_without_downloading(local_server):
    folder, url = local_server
    path = zoo.weights_path("resnet18")
    os.makedirs(os.path.dirname(path))
    open(path, "wb").close()  # only its presence is checked
    torch.save({}, folder / os.path.basename(zoo.weights_path(SMALL)))
    by_name = {s.name: s for s in zoo.weights_status(mirror=url)}
    assert by_name["resnet18"].available and "torch cache" in by_name["resnet18"].detail
    assert by_name[SMALL].available and "downloadable from 127.0.0.1" in by_name[SMALL].detail
    assert not os.path.exists(zoo.weights_path(SMALL))  # asked, not downloaded
    assert not by_name["resnet50"].available  # the mirror has no such file


def test_measure_counts_multiply_adds_and_keeps_every_timing():
    stats = measure("course", batch_size=2, repeats=3)
    # conv1 5x5 (32x32x32 outputs), conv2 and conv3 3x3, the 512 -> 10 head: per image
    per_image = 32 * 32 * 32 * 75 + 16 * 16 * 64 * 288 + 8 * 8 * 128 * 576 + 512 * 10
    assert stats.multiply_adds == 2 * per_image and stats.multiply_adds_per_image == per_image
    assert len(stats.latency_runs_ms) == 3 and stats.latency_ms == min(stats.latency_runs_ms)
    assert stats.threads == 1


def test_measure_puts_the_thread_setting_back():
    before = torch.get_num_threads()
    measure("course", repeats=1, threads=1)
    assert torch.get_num_threads() == before


def test_timings_loop_a_fast_call_until_a_repeat_lasts_long_enough():
    from widgets.kit.measure import timings

    calls = []
    times = timings(lambda: calls.append(1), repeats=4, min_repeat_ms=5.0)
    assert len(times) == 4 and all(t > 0 for t in times)
    assert len(calls) > 2 + 4  # a call far shorter than 5 ms is repeated within each timed repeat
