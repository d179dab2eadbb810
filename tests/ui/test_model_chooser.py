"""ModelChooser (lesson 05), headless: validated traitlets, the budget line, counts before timings, Stop and close."""

import ipywidgets as ipw
import pytest

from widgets.engine.checks import SettingError
from widgets.labs import models
from widgets.ui import model_chooser
from widgets.ui.model_chooser import ModelChooser

COURSE, CUT = models.COURSE_MODELS


@pytest.fixture
def chooser():
    widget = ModelChooser(models=(COURSE, CUT, "resnet18"))
    yield widget
    widget.close()


@pytest.fixture
def quick_accuracy(monkeypatch):
    """The course models' accuracy without training (a unit test of the widget, not of the probe)."""
    monkeypatch.setattr(models, "head_only_accuracy", lambda name, seeds=models.SEEDS: [0.7 if name == COURSE
                                                                                         else 0.4] * len(seeds))


def test_settings_are_traitlets_the_controls_follow(chooser):
    assert [name for name, box in chooser.model_boxes.items() if box.value] == [COURSE, CUT, "resnet18"]
    chooser.model_boxes["vit_b_16"].value = True
    assert chooser.models == (COURSE, CUT, "resnet18", "vit_b_16")
    chooser.models = ("resnet50", COURSE)  # from code: shown in the boxes, kept in the list's order
    assert chooser.models == (COURSE, "resnet50") and chooser.model_boxes["resnet50"].value
    chooser.image_size, chooser.batch_size = 96, 8
    assert (chooser.size_box.value, chooser.batch_box.value) == ("96 x 96", 8)
    chooser.size_box.value = "each model's own (32 or 224)"
    assert chooser.image_size is None
    chooser.budget_box.value = "12.5"
    chooser.kind_box.value = "size"
    assert (chooser.budget, chooser.budget_kind) == (12.5, "size")


@pytest.mark.parametrize("name, value, message", [
    ("models", ("resnet18", "alexnet"), "unknown model 'alexnet'"),
    ("image_size", 8, "image size must be"), ("image_size", True, "image size must be"),
    ("batch_size", 0, "batch must be"), ("batch_size", 65, "batch must be"),
    ("budget", 0, "budget must be a number above 0"), ("budget", "fast", "budget must be a number above 0"),
    ("budget", True, "budget must be a number above 0"), ("budget", float("nan"), "budget must be"),
    ("budget_kind", "speed", "unknown budget 'speed'"),
])
def test_a_bad_setting_is_refused_by_name_and_changes_nothing(chooser, name, value, message):
    before = getattr(chooser, name)
    with pytest.raises(SettingError, match=message):
        setattr(chooser, name, value)
    assert getattr(chooser, name) == before


def test_a_bad_budget_typed_is_a_message_kept_in_its_box_and_measure_refuses(chooser):
    chooser.budget_box.value = "-3"
    assert "budget must be a number above 0" in chooser.message.value and chooser.budget_box.value == "-3"
    assert chooser.run() is None and "budget must be" in chooser.runner.status.value
    chooser.budget_box.value = "3"
    assert chooser.budget == 3 and chooser.message.value == ""


def test_a_lesson_can_link_the_budget(chooser):
    slider = ipw.FloatSlider(min=0.5, max=100)
    link = ipw.link((slider, "value"), (chooser, "budget"))
    slider.value = 40
    assert chooser.budget == 40 and chooser.budget_box.value == "40"
    link.unlink()


def test_the_budget_line_and_the_verdicts_follow_the_budget_without_measuring_again(chooser):
    chooser.found = {COURSE: {"fastest_ms": 2.0, "median_ms": 2.5, "size_mb": 0.41, "accuracy": [0.7, 0.72, 0.71]},
                     "resnet18": {"fastest_ms": 60.0, "median_ms": 70.0, "size_mb": 46.8}}
    chooser.budget = 6  # redraws
    within, over, unknown = chooser.fig.data
    assert list(within.text) == [COURSE] and list(unknown.text) == ["resnet18"] and list(over.text) == []
    assert chooser.fig.layout.shapes[0].x0 == 6 and "latency" in chooser.fig.layout.xaxis.title.text
    chooser.budget = 1  # the course model is now over: drawn as a cross, said in the table
    assert list(chooser.fig.data[1].text) == [COURSE] and chooser.within_budget(COURSE) is False
    assert chooser.table.value.count("no: over") == 2
    chooser.budget_kind, chooser.budget = "size", 50
    assert chooser.within_budget("resnet18") is True and "size on disk" in chooser.fig.layout.xaxis.title.text


def test_counts_come_first_then_costs_then_accuracy(chooser, quick_accuracy):
    tables = []
    chooser.table.observe(lambda change: tables.append(change["new"]), names="value")
    found = chooser.run()
    assert set(found) == {COURSE, CUT, "resnet18"}
    first_timing = next(i for i, t in enumerate(tables) if " ms<" in t)
    assert tables[first_timing - 1].count(" k<") + tables[first_timing - 1].count(" M<") >= 3  # every count first
    assert found["resnet18"]["parameters"] == 11_689_512 and found["resnet18"]["side"] == 224
    assert found[COURSE]["side"] == 32 and found[COURSE]["accuracy"] == [0.7] * len(models.SEEDS)
    assert found[COURSE]["fastest_ms"] <= found[COURSE]["median_ms"]
    assert "Done" in chooser.runner.status.value and [t.name for t in chooser.fig.data][0] == "within your budget"


def test_a_size_a_model_cannot_read_is_said_in_its_row_and_the_others_are_measured(quick_accuracy):
    widget = ModelChooser(models=(CUT, "vit_b_16"), image_size=96)
    found = widget.run()
    assert "reads 224 x 224 images only" in widget.table.value and "fastest_ms" not in found["vit_b_16"]
    assert found[CUT]["side"] == 96 and found[CUT]["fastest_ms"] > 0
    widget.close()


def test_no_model_ticked_is_a_message_not_a_traceback(chooser):
    chooser.models = ()
    assert chooser.run() is None and "tick at least one model" in chooser.runner.status.value


@pytest.mark.slow
def test_stop_ends_the_measuring_after_the_model_in_hand():
    widget = ModelChooser(models=(CUT, "resnet50", "resnet152"))
    widget.runner.start()
    while widget.runner.running and "resnet50: building" not in widget.runner.status.value:
        widget.runner.wait(0.05)
    widget.close()  # stops the job and waits for it
    assert not widget.runner.running and "fastest_ms" not in widget.found["resnet152"]
    assert widget.found["resnet152"]["parameters"] == 60_192_808  # what was measured stays


@pytest.mark.slow
def test_the_course_models_accuracy_is_the_lessons_probe():
    widget = ModelChooser(models=(COURSE, CUT))
    found = widget.run()
    lesson = models.accuracy_of(models.SEEDS)
    assert found[COURSE]["accuracy"] == lesson["course model (3 conv blocks)"]
    assert found[CUT]["accuracy"] == lesson["course model cut after conv2"]
    widget.close()


def test_the_widget_reads_its_measurements_from_the_lab():
    assert model_chooser.lab is models
