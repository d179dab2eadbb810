"""The LR lab's widgets, driven headless (no browser): real training on a tiny model and easy data."""

import threading

import ipywidgets as ipw
import pytest
import torch
from tasks import easy_task
from traitlets import TraitError

from widgets import CourseCNN
from widgets.engine.checks import SettingError
from widgets.engine.checks import rates_from_text as parse_rates
from widgets.engine.schedules import schedule_curve
from widgets.ui.discriminative_lr import DiscriminativeLR
from widgets.ui.lr_explorer import LRExplorer
from widgets.ui.lr_finder import LRFinder
from widgets.ui.messages import ERROR
from widgets.ui.runner import BackgroundRunner
from widgets.ui.schedule_explorer import ScheduleExplorer


@pytest.fixture
def kit():
    torch.manual_seed(0)
    model = CourseCNN(num_classes=4, width=8)
    head = torch.nn.Linear(model.feature_dim, 4)
    return model, easy_task(), easy_task(seed=1), (easy_task(seed=2), head)


def snapshot(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def same(model, state):
    return all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_explorer_trains_each_rate_plots_it_and_leaves_the_model_alone(kit):
    model, train, val, source = kit
    before = snapshot(model)
    explorer = LRExplorer(model, train, val, source, lrs=(1e-3, 3e-2, 10.0), steps=6)
    result = explorer.run(wait=True)
    assert result.lrs == [1e-3, 3e-2, 10.0] and len(result.loss) == 3
    assert result.status[-1] == "diverged"
    assert len(explorer.loss_fig.data) == 3 and "diverged" in explorer.loss_fig.data[2].name
    assert list(explorer.loss_fig.data[0].y) == result.loss[0]
    assert [bar.name for bar in explorer.acc_fig.data][:2] == ["new task (validation)", "old task (what it knew)"]
    assert "Best on the new task" in explorer.explanation.value and "Diverged" in explorer.explanation.value
    assert "Forgetting meter" in explorer.explanation.value
    assert same(model, before)


def test_head_only_preset_trains_all_rates_at_once(kit):
    model, train, val, source = kit
    explorer = LRExplorer(model, train, val, source, lrs=(1e-3, 1e-2), preset="head only", steps=5)
    assert explorer.run().method == "vmap"
    assert explorer.result.source_acc[0] == pytest.approx(explorer.source_before)  # a frozen backbone forgets nothing


@pytest.mark.parametrize(
    "rates, steps, message",
    [
        ("fast", 5, "must be a number above 0 and at most 10"),
        ("0", 5, "must be a number above 0 and at most 10"),
        ("nan", 5, "must be a number above 0 and at most 10"),
        ("1e9", 5, "must be a number above 0 and at most 10"),
        ("", 5, "at least one learning rate"),
        ("1e-3", 0, "steps must be"),
    ],
)
def test_bad_input_is_a_message_in_the_widget_and_nothing_changes(kit, rates, steps, message):
    model, train, val, source = kit
    before = snapshot(model)
    explorer = LRExplorer(model, train, val, source, steps=5)
    explorer.rates_box.value, explorer.steps_box.value = rates, steps
    assert explorer.run() is None
    assert message in explorer.runner.status.value and ERROR in explorer.runner.status.value
    assert same(model, before)


def test_parse_rates_accepts_spaces_commas_and_semicolons():
    assert parse_rates("1e-3, 3e-4;1e-2 1e-3") == [3e-4, 1e-3, 1e-2]


def test_a_second_start_while_running_is_refused_and_stop_ends_the_run():
    release = threading.Event()

    def job(progress, stop):
        release.wait(5)
        while not stop.is_set():
            stop.wait(0.01)
        return "finished"

    runner = BackgroundRunner(job)
    assert runner.start() is True
    assert runner.start() is False and "Already running" in runner.status.value
    assert runner.start_button.disabled and not runner.stop_button.disabled
    runner.stop()
    release.set()
    assert runner.wait(5) == "finished"
    assert "Stopped" in runner.status.value and not runner.start_button.disabled


def test_an_unexpected_error_is_shown_not_raised():
    def job(progress, stop):
        raise RuntimeError("disk on fire")

    runner = BackgroundRunner(job)
    assert runner.run_sync() is None
    assert "Something went wrong" in runner.status.value and "disk on fire" in runner.status.value
    assert isinstance(runner.error, RuntimeError)


def test_stop_mid_sweep_keeps_what_finished(kit):
    model, train, val, source = kit
    explorer = LRExplorer(model, train, val, None, lrs=(1e-3, 1e-2, 3e-2), steps=400)
    explorer.runner.start()
    explorer.runner.stop()
    explorer.runner.wait(60)
    result = explorer.result
    assert result is not None
    assert len(result.lrs) < 3 or "stopped" in result.status
    assert "Stopped" in explorer.runner.status.value or "Trained" in explorer.runner.status.value


def test_finder_restores_the_weights_and_draws_the_suggestions(kit):
    model, train, _, _ = kit
    model.train()
    before = snapshot(model)
    finder = LRFinder(model, train, start=1e-5, end=10, steps=30)
    result = finder.run()
    assert same(model, before)
    assert [t.name.split(":")[0] for t in finder.fig.data] == ["loss per batch", "smoothed", "steepest", "lowest / 10"]
    assert f"{result.suggestion:.0e}" in finder.explanation.value


def test_finder_bad_range_is_a_message(kit):
    model, train, _, _ = kit
    finder = LRFinder(model, train, start=1e-5, end=10, steps=30)
    finder.start_box.value = "zero"
    assert finder.run() is None and "start rate" in finder.runner.status.value


def test_schedule_explorer_draws_every_schedule_and_applies_the_chosen_one(kit):
    model, train, val, _ = kit
    explorer = ScheduleExplorer(model, train, val, lr=1e-2, steps=8, schedule="step")
    names = [t.name for t in explorer.fig.data]
    assert sorted(names) == sorted(["constant", "step", "exponential", "cosine", "onecycle", "warmup", "plateau"])
    explorer.schedule_box.value = "exponential"
    highlighted = [t for t in explorer.fig.data if t.line.width == 4]
    assert [t.name for t in highlighted] == ["exponential"]
    assert list(highlighted[0].y) == pytest.approx(schedule_curve("exponential", 8, 1e-2))
    explorer.option_boxes["decay_rate"].value = 0.5
    runs = explorer.run()
    assert list(runs) == ["constant", "exponential"]
    assert runs["exponential"].lr == pytest.approx(schedule_curve({"name": "exponential", "decay_rate": 0.5}, 8, 1e-2))
    assert runs["constant"].lr == [1e-2] * 8


def test_schedule_explorer_bad_option_is_a_message(kit):
    model, train, val, _ = kit
    explorer = ScheduleExplorer(model, train, val, steps=8, schedule="step")
    explorer.option_boxes["gamma"].value = -1
    assert "gamma" in explorer.message.value and ERROR in explorer.message.value


def test_discriminative_rates_are_drawn_and_compared_with_one_uniform_rate(kit):
    model, train, val, source = kit
    before = snapshot(model)
    widget = DiscriminativeLR(model, train, val, source, steps=5, uniform=1e-2)
    bars = widget.rates_fig.data[0]
    assert list(bars.x) == ["conv1", "conv2", "conv3", "head"]
    assert list(bars.y) == pytest.approx([1e-4, 3e-4, 1e-3, 1e-2])
    widget.rate_boxes["head"].value = "0.1"
    assert widget.rates_fig.data[0].y[-1] == pytest.approx(1e-1)
    runs = widget.run()
    assert list(runs) == ["discriminative", "uniform", "reversed"]
    assert runs["discriminative"].lr == [pytest.approx(1e-1)] * 5  # the head's rate
    assert "old task" in widget.runner.status.value
    assert same(model, before)


# --- the settings are traitlets, checked once: a lesson can observe and link them ------------------------------


def test_the_explorers_settings_are_traitlets_its_boxes_follow(kit):
    model, train, val, source = kit
    explorer = LRExplorer(model, train, val, source, lrs=(1e-3, 1e-2), steps=5)
    explorer.lrs = "3e-4, 1e-3"  # text is read by the trait's one check
    assert explorer.lrs == (3e-4, 1e-3) and explorer.rates_box.value == "0.0003, 0.001"
    explorer.rates_box.value = "1e-2;1e-4"  # what a learner types
    assert explorer.lrs == (1e-4, 1e-2) and explorer.rates_box.value == "0.0001, 0.01"
    explorer.preset, explorer.steps = "head only", 7
    assert (explorer.preset_box.value, explorer.steps_box.value) == ("head only", 7)
    explorer.steps_box.value = 9
    assert explorer.steps == 9 and explorer.settings() == ([1e-4, 1e-2], ("conv1", "conv2", "conv3"), 9)


@pytest.mark.parametrize("name, value, message", [("lrs", "1e-3, fast", "must be a number above 0"),
                                                  ("lrs", (), "at least one learning rate"),
                                                  ("preset", "everything", "unknown preset"),
                                                  ("steps", 0, "steps must be"), ("steps", True, "steps must be")])
def test_a_bad_explorer_setting_is_refused_by_name_and_changes_nothing(kit, name, value, message):
    explorer = LRExplorer(*kit, steps=5)
    before = getattr(explorer, name)
    with pytest.raises(SettingError, match=message):
        setattr(explorer, name, value)
    assert getattr(explorer, name) == before


def test_a_bad_steps_typed_is_a_message_kept_in_its_box_until_fixed(kit):
    explorer = LRExplorer(*kit, steps=5)
    explorer.steps_box.value = 0
    assert explorer.steps == 5 and "steps must be" in explorer.message.value and explorer.steps_box.value == 0
    assert explorer.run() is None and "steps must be" in explorer.runner.status.value  # never the old 5, unseen
    explorer.steps_box.value = 2
    assert explorer.steps == 2 and explorer.message.value == "" and explorer.boxes.problems == {}


def test_a_lesson_can_link_the_explorers_steps_to_the_discriminative_rates_steps(kit):
    explorer = LRExplorer(*kit, steps=5)
    widget = DiscriminativeLR(*kit, steps=8)
    link = ipw.link((explorer, "steps"), (widget, "steps"))  # both compare the same budget
    assert widget.steps == 5
    explorer.steps_box.value = 12  # typed into one widget ...
    assert widget.steps == 12 and widget.steps_box.value == 12  # ... shown in the other
    seen = []
    widget.observe(lambda change: seen.append(change["new"]), names="rates")
    widget.rate_boxes["conv3"].value = "2e-3"
    assert seen == [{"conv1": 1e-4, "conv2": 3e-4, "conv3": 2e-3, "head": 1e-2}]
    link.unlink()


@pytest.mark.parametrize("name, value, message", [("uniform", "fast", "uniform rate must be"),
                                                  ("uniform", True, "uniform rate must be"),
                                                  ("rates", {"conv1": 0, "conv2": 1e-4, "conv3": 1e-3, "head": 1e-2},
                                                   "rate for conv1 must be"),
                                                  ("rates", {"head": 1e-2}, "one rate for each of"),
                                                  ("steps", 2.5, "steps")])
def test_a_bad_discriminative_setting_is_refused_by_name_and_changes_nothing(kit, name, value, message):
    widget = DiscriminativeLR(*kit, steps=5)
    before = getattr(widget, name)
    with pytest.raises((SettingError, TraitError), match=message):
        setattr(widget, name, value)
    assert getattr(widget, name) == before


def test_rates_set_from_code_are_shown_in_the_boxes_and_drawn(kit):
    widget = DiscriminativeLR(*kit, steps=5)
    widget.rates = {**widget.rates, "head": "3e-2"}
    assert widget.rates["head"] == 3e-2 and widget.rate_boxes["head"].value == "0.03"
    assert widget.rates_fig.data[0].y[-1] == pytest.approx(3e-2)
    widget.uniform = 2e-3
    assert widget.uniform_box.value == "0.002"
