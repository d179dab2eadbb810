import pathlib
import random

import pytest
import torch

import widgets
from widgets import pretrain
from widgets.kit import checkpoint
from widgets.kit.checkpoint import CheckpointError
from widgets.kit.course import old_task_accuracy


def test_shipped_checkpoint_is_small_and_describes_itself():
    info = widgets.course_model_info()
    assert checkpoint.SHIPPED_CHECKPOINT.stat().st_size == info["checkpoint_bytes"] <= 1_000_000
    assert info["source_classes"] == [chr(ord("A") + i) for i in range(26)]
    assert info["source_accuracy"] > 0.95
    assert info["seed"] == 0 and info["version"] == checkpoint.VERSION
    assert "letters" in info["description"]


@pytest.mark.slow
def test_loaded_model_still_reads_the_source_task():
    model = widgets.load_course_model()
    assert model.num_classes == 26
    # the recorded accuracy is what the held-out letters give today
    assert old_task_accuracy(model) == pytest.approx(widgets.course_model_info()["source_accuracy"], abs=0.01)


def test_num_classes_replaces_only_the_head_and_follows_the_callers_seed():
    torch.manual_seed(5)
    a = widgets.load_course_model(num_classes=10)
    torch.manual_seed(5)
    b = widgets.load_course_model(num_classes=10)
    original = widgets.load_course_model()
    assert a.num_classes == 10
    assert torch.equal(a.head.weight, b.head.weight)
    assert torch.equal(a.conv3[0].weight, original.conv3[0].weight)
    with pytest.raises(ValueError, match="num_classes"):
        widgets.load_course_model(num_classes=0)


def test_source_head_reads_a_fine_tuned_backbone_with_the_original_head():
    model = widgets.load_course_model(num_classes=10)
    before = old_task_accuracy(model)
    with torch.no_grad():
        torch.manual_seed(0)
        model.conv2[0].weight.normal_()  # wreck a layer: the old task is forgotten
    after = old_task_accuracy(model)
    assert before > 0.95 and after < 0.5


def test_a_truncated_file_gives_a_clear_error(tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(checkpoint.SHIPPED_CHECKPOINT.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        widgets.load_course_model(path=broken)


class _Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_a_pickle_that_would_run_code_is_refused_not_executed(tmp_path):
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.pt"
    torch.save({"format": checkpoint.FORMAT, "version": 1, "meta": _Payload(marker)}, evil)
    with pytest.raises(CheckpointError, match=r"refused .* \(builtins.getattr, pathlib.Path"):
        widgets.load_course_model(path=evil)
    assert not marker.exists()


def test_wrong_files_are_named_as_such(tmp_path):
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(CheckpointError, match="not a course-model checkpoint"):
        widgets.load_course_model(path=other)
    with pytest.raises(CheckpointError, match="no checkpoint at"):
        widgets.load_course_model(path=tmp_path / "missing.pt")
    misfit = tmp_path / "misfit.pt"
    state = {k: v[:1] if v.ndim else v for k, v in widgets.load_course_model().state_dict().items()}
    torch.save({"format": checkpoint.FORMAT, "version": 1, "state_dict": state,
                "meta": widgets.course_model_info()}, misfit)
    with pytest.raises(CheckpointError, match="does not fit"):
        widgets.load_course_model(path=misfit)


@pytest.mark.slow
def test_pretrain_writes_a_loadable_checkpoint_and_repeats_with_the_same_seed(tmp_path, capsys):
    first, second = tmp_path / "a.pt", tmp_path / "b.pt"
    for out in (first, second):
        pretrain.main(["--seed", "3", "--images", "256", "--epochs", "1", "--out", str(out)])
    assert "wrote" in capsys.readouterr().out
    info_a, info_b = checkpoint.course_model_info(first), checkpoint.course_model_info(second)
    assert info_a["seed"] == 3 and info_a["images"] == 256
    assert info_a["source_accuracy"] == info_b["source_accuracy"]
    a, b = widgets.load_course_model(path=first), widgets.load_course_model(path=second)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())


def test_each_kind_of_bad_checkpoint_gets_its_own_message_with_the_fix(tmp_path):
    """Damaged, unsafe, foreign, wrong shape, wrong metadata: each message names the cause and says what to do."""
    good_state = widgets.load_course_model().state_dict()
    meta = widgets.course_model_info()
    messages = {}

    def message_for(name, payload=None, raw=None):
        path = tmp_path / f"{name}.pt"
        if raw is not None:
            path.write_bytes(raw)
        else:
            torch.save(payload, path)
        with pytest.raises(CheckpointError) as caught:
            widgets.load_course_model(path=path)
        messages[name] = str(caught.value)
        return messages[name]

    assert "damaged or truncated" in message_for("damaged", raw=b"PK\x03\x04 not really a zip")
    assert "could run code" in message_for("unsafe", {"format": checkpoint.FORMAT, "version": 1,
                                                      "meta": _Payload(tmp_path / "ran")})
    assert "not a course-model checkpoint" in message_for("foreign", {"weights": torch.zeros(2)})
    wrong_shape = dict(good_state, **{"head.weight": torch.zeros(26, 7)})
    shape = message_for("shape", {"format": checkpoint.FORMAT, "version": 1, "state_dict": wrong_shape, "meta": meta})
    assert "head.weight has shape [26, 7] in the file but [26, 512]" in shape
    no_width = {k: v for k, v in meta.items() if k != "width"}
    assert "wrong metadata: it has no 'width'" in message_for(
        "meta", {"format": checkpoint.FORMAT, "version": 1, "state_dict": good_state, "meta": no_width})
    for name, text in messages.items():
        assert "python -m widgets.pretrain" in text or "save_checkpoint" in text or "torch.load" in text, name
    assert len(set(messages.values())) == len(messages)


def test_a_checkpoint_saved_again_at_the_same_path_is_read_afresh(tmp_path):
    path = tmp_path / "mine.pt"
    model = widgets.load_course_model()
    meta = widgets.course_model_info()
    checkpoint.save_checkpoint(model, meta, path)
    first = widgets.load_course_model(path=path)
    with torch.no_grad():
        model.conv1[0].weight.add_(1.0)
    checkpoint.save_checkpoint(model, dict(meta, source_accuracy=0.5), path)
    second = widgets.load_course_model(path=path)
    assert torch.equal(second.conv1[0].weight, model.conv1[0].weight)
    assert not torch.equal(first.conv1[0].weight, second.conv1[0].weight)
    assert checkpoint.course_model_info(path)["source_accuracy"] == 0.5


def test_save_refuses_metadata_the_loader_could_not_use(tmp_path):
    with pytest.raises(CheckpointError, match="has no 'source_classes'"):
        checkpoint.save_checkpoint(widgets.load_course_model(), {"width": 32, "source_accuracy": 0.9},
                                   tmp_path / "x.pt")


@pytest.mark.parametrize("content", [
    random.Random(0).randbytes(1000), b"\x80\x02" + random.Random(1).randbytes(64), b"", b"PK\x03\x04 not a zip",
], ids=["random", "pickle-header", "empty", "zip"])
def test_a_file_of_random_bytes_is_called_damaged_not_unsafe(tmp_path, content):
    """Before: random bytes were "objects that could run code when unpickled", because torch's every unpickling
    error mentions weights_only. Only a file that names Python objects to import is unsafe."""
    path = tmp_path / "noise.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as caught:
        widgets.load_course_model(path=path)
    assert "damaged or truncated, or not a PyTorch file" in str(caught.value)
    assert "run code" not in str(caught.value)
