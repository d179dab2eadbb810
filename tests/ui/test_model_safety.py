"""Whatever happens to a run (it finishes, is stopped, diverges, errors, or its widget is closed), the learner's
model ends exactly as the widget says, and two widgets never interleave on one model."""

import html
import time

import pytest
import torch
from tasks import easy_task

from widgets import CourseCNN
from widgets.engine.freezing import freeze, snapshot
from widgets.ui.discriminative_lr import DiscriminativeLR
from widgets.ui.freeze_explorer import FreezeExplorer
from widgets.ui.lr_explorer import LRExplorer
from widgets.ui.lr_finder import LRFinder
from widgets.ui.messages import ERROR, INFO
from widgets.ui.schedule_explorer import ScheduleExplorer

EXACTLY = "The model is exactly as before"


def learners_model():
    """A model as a learner leaves it: backbone frozen, in eval mode, with gradients left from a backward pass."""
    torch.manual_seed(0)
    model = CourseCNN(num_classes=4, width=8)
    freeze(model, "conv1", "conv2", "conv3")
    model.eval()
    model(easy_task(n=4)[0]).sum().backward()
    return model


def until(condition, seconds=120):
    """Poll until ``condition()`` holds (a busy machine may be slow; correctness never rests on a sleep)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def wrong_labels(n=64):
    x, y = easy_task(n=n)
    return x, y + 6  # class 6+ for a 4-class head: refused at the Trainer's door, after the widget took the model


def failing_after(calls, progress):
    """A progress callback that raises on its ``calls``-th call: an unexpected error in the middle of a run, after
    steps have moved the weights and BatchNorm statistics."""
    count = [0]

    def report(*args):
        count[0] += 1
        if count[0] >= calls:
            raise RuntimeError("the kernel's display went away")
        return progress(*args)

    return report


def test_the_finder_puts_back_flags_gradients_modes_and_weights_and_says_so():
    model = learners_model()
    before = snapshot(model)
    finder = LRFinder(model, easy_task(), preset="all layers", start=1e-5, end=10, steps=20)
    assert finder.run() is not None
    assert before.differences(model) == []
    assert EXACTLY in finder.runner.status.value


def test_stop_is_reported_as_stop_not_as_a_blow_up():
    model = learners_model()
    before = snapshot(model)
    finder = LRFinder(model, easy_task(n=256), start=1e-6, end=1e-3, steps=400)
    finder.runner.start()
    until(lambda: finder.runner.bar.value > 0.05)
    finder.runner.stop()
    finder.runner.wait()
    assert finder.result is not None and finder.result.ended == "stopped"
    assert "you pressed Stop" in finder.explanation.value and "blew up" not in finder.explanation.value
    assert finder.runner.status.value.startswith(f'<span style="color:{INFO}">Stopped.')
    assert before.differences(model) == []


def test_an_error_mid_test_is_shown_and_the_model_is_still_put_back():
    model = learners_model()
    before = snapshot(model)
    finder = LRFinder(model, wrong_labels(), start=1e-5, end=1, steps=20)
    assert finder.run() is None and ERROR in finder.runner.status.value
    assert before.differences(model) == []


def test_an_unexpected_error_mid_test_says_what_became_of_the_model(monkeypatch):
    """Before: only a SettingError said what became of the model; any other error said nothing about it."""
    model = learners_model()
    before = snapshot(model)
    finder = LRFinder(model, easy_task(), start=1e-5, end=1, steps=20)
    monkeypatch.setattr(finder.runner, "progress", failing_after(5, finder.runner.progress))
    assert finder.run() is None and ERROR in finder.runner.status.value
    assert "RuntimeError: the kernel's display went away" in html.unescape(finder.runner.status.value)
    assert EXACTLY in finder.runner.status.value
    assert before.differences(model) == []


@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_the_finder_says_exactly_as_before_only_when_the_layout_is_as_before_too(layout):
    """Before: the finder gave the model back channels-last (``weight.view(-1)`` raised) and said "exactly as
    before". The layout is now part of what it compares, and of what it puts back."""
    model = learners_model().to(memory_format=layout)
    before = snapshot(model)
    finder = LRFinder(model, easy_task(), preset="all layers", start=1e-5, end=10, steps=20)
    assert finder.run() is not None and EXACTLY in finder.runner.status.value
    assert before.differences(model) == []
    assert model.conv2[0].weight.is_contiguous(memory_format=layout)
    model.to(memory_format=torch.channels_last if layout == torch.contiguous_format else torch.contiguous_format)
    assert "memory layout of conv1.0.weight" in finder._model_state(before)


def test_closing_a_finder_mid_run_stops_its_thread_and_restores_the_model():
    model = learners_model()
    before = snapshot(model)
    finder = LRFinder(model, easy_task(n=256), start=1e-6, end=1e-3, steps=400)
    finder.runner.start()
    until(lambda: finder.runner.bar.value > 0.05)
    finder.close()
    assert not finder.runner.running
    assert before.differences(model) == []


def test_a_second_widget_on_a_busy_model_is_refused_and_nothing_interleaves():
    model = learners_model()
    before = snapshot(model)
    first = LRFinder(model, easy_task(n=256), start=1e-6, end=1e-3, steps=400)
    second = LRFinder(model, easy_task(), start=1e-5, end=10, steps=20)
    explorer = LRExplorer(model, easy_task(), easy_task(seed=1), lrs=(1e-3,), steps=2)
    freezer = FreezeExplorer(model)
    first.runner.start()
    until(lambda: first.runner.bar.value > 0.05)
    assert second.run() is None and "this model is busy: a LRFinder is using it" in html.unescape(
        second.runner.status.value)
    assert explorer.run() is None and "busy" in explorer.runner.status.value
    freezer.toggles["conv1"].value = False  # the learner clicks a toggle meanwhile
    assert "LRFinder is using this model" in html.unescape(freezer.message.value)
    assert freezer.toggles["conv1"].value is True  # the toggle shows the model as it is
    first.runner.stop()
    first.runner.wait()
    assert before.differences(model) == []
    assert second.run() is not None and before.differences(model) == []  # free again


def _explorer(model):
    return LRExplorer(model, easy_task(n=256), easy_task(seed=1), lrs=(1e-3, 10.0), steps=150, augment=False)


def _schedules(model):
    return ScheduleExplorer(model, easy_task(n=256), easy_task(seed=1), lr=1e-3, steps=150, schedule="cosine")


def _discriminative(model):
    return DiscriminativeLR(model, easy_task(n=256), easy_task(seed=1), steps=150)


@pytest.mark.parametrize("make", [_explorer, _schedules, _discriminative], ids=["LRExplorer", "ScheduleExplorer",
                                                                               "DiscriminativeLR"])
@pytest.mark.parametrize("outcome", ["finished", "stopped", "error", "closed"])
def test_widgets_that_train_copies_never_change_the_learners_model(make, outcome):
    model = learners_model()
    before = snapshot(model)
    widget = make(model)
    if outcome == "finished":
        (widget.steps_box if hasattr(widget, "steps_box") else widget.steps).value = 3  # the box a learner types in
        assert widget.run() is not None
    elif outcome == "error":
        widget.train = wrong_labels()
        assert widget.run() is None and ERROR in widget.runner.status.value
    else:
        widget.runner.start()
        until(lambda: widget.runner.bar.value > 0.02)
        widget.runner.stop() if outcome == "stopped" else widget.close()
        widget.runner.wait()
        assert not widget.runner.running
    assert before.differences(model) == []


def test_a_diverged_rate_leaves_the_learners_model_alone():
    model = learners_model()
    before = snapshot(model)
    explorer = LRExplorer(model, easy_task(), easy_task(seed=1), lrs=(1e-3, 10.0), steps=5)
    result = explorer.run()
    assert result.status[-1] == "diverged"
    assert before.differences(model) == []
