"""The ScheduleExplorer's and the LRFinder's settings are traitlets, checked once where they are set: a lesson can
observe and link them, a bad value from code is refused by name, a bad value typed is a message in the widget and
the last good value stays."""

import html

import ipywidgets as ipw
import pytest
import torch
from tasks import easy_task
from traitlets import TraitError

from widgets import CourseCNN
from widgets.engine.checks import SettingError
from widgets.ui.lr_finder import LRFinder
from widgets.ui.schedule_explorer import ScheduleExplorer

ONE_CYCLE_SHORT = "one-cycle with pct_start 0.3 needs at least 6 steps"


@pytest.fixture
def kit():
    torch.manual_seed(0)
    return CourseCNN(num_classes=4, width=8), easy_task(), easy_task(seed=1)


@pytest.fixture
def schedules(kit):
    return ScheduleExplorer(*kit, lr=1e-2, steps=8, schedule="step")


@pytest.fixture
def finder(kit):
    return LRFinder(kit[0], kit[1], start=1e-5, end=1.0, steps=20)


def said(widget):
    return html.unescape(widget.message.value)


def highlighted(schedules):
    return next(t for t in schedules.fig.data if t.line.width == 4)


# ---- ScheduleExplorer ---------------------------------------------------------------------------------------------


def test_schedule_settings_set_from_code_are_shown_in_the_boxes_and_drawn(schedules):
    schedules.schedule = "exponential"
    assert schedules.schedule_box.value == "exponential" and highlighted(schedules).name == "exponential"
    assert schedules.options == {"decay_steps": None, "decay_rate": 0.1}  # its own defaults
    assert [box.description for box in schedules.options_box.children] == ["decay_steps", "decay_rate"]
    schedules.options = {"decay_rate": 0.5}
    assert schedules.option_boxes["decay_rate"].value == 0.5 and schedules.options["decay_steps"] is None
    schedules.lr, schedules.steps, schedules.preset = "3e-3", 12, "head only"
    assert (schedules.lr_box.value, schedules.steps_box.value, schedules.preset_box.value) == ("0.003", 12,
                                                                                              "head only")
    assert len(highlighted(schedules).y) == 12 and highlighted(schedules).y[0] == pytest.approx(3e-3)
    assert schedules.settings() == (3e-3, 12, {"name": "exponential", "decay_rate": 0.5})


def test_schedule_settings_typed_or_picked_update_the_traits_and_observe_sees_them(schedules):
    seen = []
    schedules.observe(lambda change: seen.append((change["name"], change["new"])),
                      names=["schedule", "steps", "options"])
    schedules.schedule_box.value = "onecycle"
    schedules.steps_box.value = 20
    schedules.option_boxes["pct_start"].value = 0.25
    # a new schedule's options are its own before any observer hears of it: each sees settings that fit together
    assert seen == [("options", {"pct_start": 0.3}), ("schedule", "onecycle"), ("steps", 20),
                    ("options", {"pct_start": 0.25})]


def test_a_lesson_can_link_the_schedule_explorers_steps_to_the_finders(schedules, finder):
    link = ipw.link((finder, "steps"), (schedules, "steps"))
    assert schedules.steps == 20 and len(highlighted(schedules).y) == 20
    finder.steps_box.value = 30  # typed into one widget ...
    assert schedules.steps == 30 and schedules.steps_box.value == 30  # ... shown and drawn in the other
    assert len(highlighted(schedules).y) == 30
    follow = ipw.dlink((finder, "preset"), (schedules, "preset"))
    finder.preset_box.value = "head only"
    assert schedules.preset == schedules.preset_box.value == "head only"
    link.unlink(), follow.unlink()


@pytest.mark.parametrize("name, value, error, message", [
    ("schedule", "cosin", SettingError, "unknown schedule 'cosin'; choose one of"),
    ("options", {"gama": 0.5}, SettingError, "schedule 'step' has no option 'gama'"),
    ("options", {"gamma": 2}, SettingError, "gamma must be"),
    ("lr", 0, SettingError, "learning rate must be a number above 0"),
    ("steps", 0, SettingError, "steps must be a whole number"),
    ("steps", "ten", TraitError, "'steps' trait of a ScheduleExplorer"),
    ("preset", "everything", SettingError, "unknown preset 'everything'"),
])
def test_a_bad_schedule_setting_from_code_is_refused_by_name_and_changes_nothing(schedules, name, value, error,
                                                                                 message):
    before, drawn = getattr(schedules, name), list(highlighted(schedules).y)
    with pytest.raises(error, match=message):
        setattr(schedules, name, value)
    assert getattr(schedules, name) == before and list(highlighted(schedules).y) == drawn


def test_settings_that_do_not_fit_together_are_refused_whichever_is_set_last(kit):
    schedules = ScheduleExplorer(*kit, steps=8, schedule="onecycle")
    with pytest.raises(SettingError, match=ONE_CYCLE_SHORT):
        schedules.steps = 5
    schedules.schedule = "cosine"
    schedules.steps = 5
    with pytest.raises(SettingError, match=ONE_CYCLE_SHORT):
        schedules.schedule = "onecycle"
    assert (schedules.schedule, schedules.steps) == ("cosine", 5)


def test_a_bad_steps_typed_is_a_message_the_old_steps_stay_and_train_refuses_until_fixed(kit):
    schedules = ScheduleExplorer(*kit, steps=8, schedule="onecycle")
    schedules.steps_box.value = 3
    assert ONE_CYCLE_SHORT in said(schedules) and schedules.steps == 8 and schedules.steps_box.value == 3
    assert len(highlighted(schedules).y) == 8  # the last good curve stays
    assert schedules.run() is None and ONE_CYCLE_SHORT in html.unescape(schedules.runner.status.value)
    schedules.steps_box.value = 7
    assert schedules.steps == 7 and said(schedules) == "" and schedules.boxes.problems == {}


def test_a_schedule_picked_that_does_not_fit_is_a_message_until_another_is_picked(kit):
    schedules = ScheduleExplorer(*kit, steps=5, schedule="cosine")
    schedules.schedule_box.value = "onecycle"
    assert ONE_CYCLE_SHORT in said(schedules) and schedules.schedule == "cosine"
    schedules.schedule_box.value = "step"
    assert schedules.schedule == "step" and said(schedules) == ""


def test_a_refused_option_is_forgotten_when_another_schedule_is_picked(schedules):
    schedules.option_boxes["gamma"].value = -1
    assert "gamma" in said(schedules) and schedules.options["gamma"] == 0.1
    schedules.schedule_box.value = "cosine"  # gamma is not cosine's: its box is hidden, its problem gone
    assert said(schedules) == "" and schedules.boxes.problems == {}
    schedules.schedule_box.value = "step"
    assert schedules.option_boxes["gamma"].value == 0.1  # step starts from its defaults again


# ---- LRFinder -----------------------------------------------------------------------------------------------------


def test_finder_settings_set_from_code_or_typed_are_one_and_observe_sees_them(finder):
    seen = []
    finder.observe(lambda change: seen.append((change["name"], change["new"])), names=["start", "end", "steps"])
    finder.start, finder.steps = "1e-4", 40
    assert (finder.start_box.value, finder.steps_box.value) == ("0.0001", 40)
    finder.end_box.value = "10"
    assert seen == [("start", 1e-4), ("steps", 40), ("end", 10.0)]
    finder.preset = "head only"
    assert finder.preset_box.value == "head only"
    assert finder.settings() == (1e-4, 10.0, 40, ("conv1", "conv2", "conv3"))


@pytest.mark.parametrize("name, value, error, message", [
    ("start", 2.0, SettingError, r"the end rate \(1\) must be above the start rate \(2\)"),
    ("end", 1e-6, SettingError, r"the end rate \(1e-06\) must be above the start rate \(1e-05\)"),
    ("start", "fast", SettingError, "start rate must be a number above 0"),
    ("end", 0, SettingError, "end rate must be a number above 0"),
    ("steps", 4, SettingError, "the range test needs at least 5 steps"),
    ("steps", 2.5, TraitError, "'steps' trait of a LRFinder"),
    ("preset", "everything", SettingError, "unknown preset 'everything'"),
])
def test_a_bad_finder_setting_from_code_is_refused_by_name_and_changes_nothing(finder, name, value, error,
                                                                               message):
    before = getattr(finder, name)
    with pytest.raises(error, match=message):
        setattr(finder, name, value)
    assert getattr(finder, name) == before


def test_a_bad_end_typed_is_a_message_kept_in_its_box_and_find_refuses_until_fixed(finder):
    finder.end_box.value = "1e-7"
    assert "must be above the start rate" in said(finder) and finder.end == 1.0 and finder.end_box.value == "1e-7"
    assert finder.run() is None and "must be above the start rate" in html.unescape(finder.runner.status.value)
    finder.end_box.value = "1e-2"
    assert finder.end == 1e-2 and said(finder) == ""


def test_the_finder_constructor_checks_the_settings_together(kit):
    assert LRFinder(kit[0], kit[1], start=5.0, end=10.0).start == 5.0  # above the default end: fine with its own
    with pytest.raises(SettingError, match="must be above the start rate"):
        LRFinder(kit[0], kit[1], start=1e-2, end=1e-3)
