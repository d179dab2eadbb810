"""Bad input at every entry point: one clear message, never a traceback out of a widget, never a silent clamp."""

import html
import math
import re

import pytest
import torch
from tasks import easy_task

from widgets import CourseCNN
from widgets.codegen import keras_side
from widgets.codegen.recipe import Recipe
from widgets.engine import checks
from widgets.engine.checks import SettingError
from widgets.engine.finder import lr_range_test
from widgets.engine.schedules import schedule_curve
from widgets.engine.sweep import sweep
from widgets.engine.training import Trainer
from widgets.kit import data
from widgets.ui.discriminative_lr import DiscriminativeLR
from widgets.ui.lr_explorer import LRExplorer
from widgets.ui.lr_finder import LRFinder
from widgets.ui.metrics_explorer import MetricsExplorer
from widgets.ui.recipe_builder import RecipeBuilder
from widgets.ui.schedule_explorer import ScheduleExplorer

BAD_RATES = [0, -1e-3, math.nan, math.inf, -math.inf, 1e9, "fast", None, True]
# one template for every learning rate, whichever entry point it came through
RATE_MESSAGE = re.compile(r"must be a number above 0 and at most 10, such as 1e-3; got .+\.")


@pytest.fixture(scope="module")
def kit():
    torch.manual_seed(0)
    model = CourseCNN(num_classes=4, width=8)
    return model, easy_task(), easy_task(seed=1), (easy_task(seed=2), torch.nn.Linear(model.feature_dim, 4))


def refused(call):
    with pytest.raises(SettingError) as caught:
        call()
    return str(caught.value)


def shown(widget_html):
    return html.unescape(widget_html)


ENTRY_POINTS = {
    "Trainer": lambda k, lr: Trainer(k[0], k[1], lr=lr),
    "Trainer per block": lambda k, lr: Trainer(k[0], k[1],
                                               lr={"conv1": 1e-4, "conv2": 1e-4, "conv3": lr, "head": 1e-2}),
    "schedule_curve": lambda k, lr: schedule_curve("cosine", 10, lr),
    "sweep": lambda k, lr: sweep(k[0], k[1], lrs=[1e-3, lr], steps=2),
    "lr_range_test start": lambda k, lr: lr_range_test(k[0], k[1], start=lr),
    "lr_range_test end": lambda k, lr: lr_range_test(k[0], k[1], end=lr),
    "LRExplorer": lambda k, lr: LRExplorer(*k, lrs=(1e-3, lr)),
    "LRFinder": lambda k, lr: LRFinder(k[0], k[1], start=lr),
    "ScheduleExplorer": lambda k, lr: ScheduleExplorer(k[0], k[1], k[2], lr=lr),
    "DiscriminativeLR uniform": lambda k, lr: DiscriminativeLR(*k, uniform=lr),
    "DiscriminativeLR rates": lambda k, lr: DiscriminativeLR(*k, rates={"conv1": lr, "conv2": 1e-4, "conv3": 1e-3,
                                                                      "head": 1e-2}),
    "MetricsExplorer": lambda k, lr: MetricsExplorer(lr=lr),
    "RecipeBuilder": lambda k, lr: RecipeBuilder(Recipe(head_lr=lr)),
    "keras_code": lambda k, lr: keras_side.keras_code(lr=lr),
    "torch_code": lambda k, lr: keras_side.torch_code(lr=lr),
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("lr", BAD_RATES, ids=repr)
def test_every_learning_rate_entry_point_refuses_a_bad_rate_with_the_same_message(kit, entry, lr):
    assert RATE_MESSAGE.search(refused(lambda: ENTRY_POINTS[entry](kit, lr)))


@pytest.mark.parametrize("lr", BAD_RATES, ids=repr)
def test_the_recipe_lists_a_bad_rate_as_a_problem_in_the_same_words(lr):
    assert any(RATE_MESSAGE.search(p) for p in Recipe(backbone_lr=lr).problems())


@pytest.mark.parametrize("text", ["0", "-1e-3", "nan", "inf", "1e9", "fast", "None", "1e-3, oops"])
def test_rates_typed_in_the_explorer_are_a_message_in_the_widget(kit, text):
    explorer = LRExplorer(*kit, steps=2)
    explorer.rates_box.value = text
    assert explorer.run() is None
    assert RATE_MESSAGE.search(shown(explorer.runner.status.value))
    explorer.add_button.click()  # "Add rate" reads the same text: a message, not a traceback
    assert RATE_MESSAGE.search(shown(explorer.message.value))
    assert explorer.rates_box.value == text  # the learner's text is kept to be fixed, not replaced


@pytest.mark.parametrize("text", ["nan", "0", "-1", "inf", "1e9", "fast", ""])
def test_a_bad_rate_typed_or_set_from_code_is_a_message_and_compare_refuses(kit, text):
    widget = DiscriminativeLR(*kit, steps=2)
    widget.rate_boxes["conv2"].value = text
    assert RATE_MESSAGE.search(shown(widget.message.value))
    assert widget.run() is None and RATE_MESSAGE.search(shown(widget.runner.status.value))
    assert widget.rate_boxes["conv2"].value == text  # kept as typed, to be fixed: never replaced by a guess


def test_a_rate_is_shown_exactly_as_set(kit):
    builder = RecipeBuilder(Recipe(head_lr=3e-4, backbone_lr=5.0))  # any rate the checks accept, nothing snapped
    assert builder.head_lr.value == "0.0003" and builder.backbone_lr.value == "5"
    assert '"lr": 0.0003' in builder.code
    widget = DiscriminativeLR(*kit, uniform=2.5e-4)
    assert widget.uniform_box.value == "0.00025"


@pytest.mark.parametrize("text", ["nan", "fast", "0"])
def test_a_bad_rate_typed_into_the_recipe_builder_is_a_message_and_no_script(text):
    builder = RecipeBuilder()
    builder.head_lr.value = text
    assert RATE_MESSAGE.search(shown(builder.message.value)) and builder.code == ""


def test_typing_a_bad_rate_into_the_schedule_explorer_is_a_message(kit):
    explorer = ScheduleExplorer(kit[0], kit[1], kit[2], steps=8)
    explorer.lr_box.value = "1e9"
    assert RATE_MESSAGE.search(shown(explorer.message.value))
    assert explorer.run() is None


@pytest.mark.parametrize("option, value", [("gamma", 0), ("gamma", 2), ("gamma", math.nan), ("gamma", "x"),
                                           ("step_size", 2.5), ("step_size", -1)])
def test_schedule_options_are_refused_with_a_message_naming_the_option(option, value):
    assert refused(lambda: schedule_curve({"name": "step", option: value}, 10, 1e-3)).startswith(option)


def test_a_one_cycle_too_short_for_its_warm_up_is_a_message_in_the_trainer_and_the_widget(kit):
    spec = {"name": "onecycle", "pct_start": 0.1}
    said = "one-cycle with pct_start 0.1 needs at least 19 steps, so that its warm-up lasts a whole step; got 9. " \
           "Train for at least 19 steps, or raise pct_start to 0.2 or more."
    assert refused(lambda: Trainer(kit[0], kit[1], lr=1e-3, schedule=spec).fit(9, eval_every=0)) == said
    explorer = ScheduleExplorer(kit[0], kit[1], kit[2], steps=9, schedule="onecycle")
    explorer.option_boxes["pct_start"].value = 0.1
    assert said in shown(explorer.message.value)


@pytest.mark.parametrize("schedule", ["constant", "step", "exponential", "cosine", "warmup", "plateau"])
def test_the_schedule_explorer_draws_short_runs_and_says_what_it_cannot_draw(kit, schedule):
    """Before: a run of 5 steps or fewer could not be drawn with any schedule (one-cycle's curve was always drawn)."""
    explorer = ScheduleExplorer(kit[0], kit[1], kit[2], steps=3, schedule=schedule)
    drawn = {trace.name for trace in explorer.fig.data}
    assert schedule in drawn and "onecycle" not in drawn
    assert "onecycle is not drawn: one-cycle with pct_start 0.3 needs at least 6 steps" in shown(explorer.note.value)
    explorer.steps_box.value = 6
    assert "onecycle" in {trace.name for trace in explorer.fig.data} and "not drawn" not in explorer.note.value


def test_the_schedule_explorer_refuses_a_short_one_cycle_naming_its_minimum(kit):
    with pytest.raises(SettingError, match="one-cycle with pct_start 0.3 needs at least 6 steps.* got 5"):
        ScheduleExplorer(kit[0], kit[1], kit[2], steps=5, schedule="onecycle")


@pytest.mark.parametrize("box", ["steps", "step_size"])
def test_a_huge_size_typed_into_the_schedule_explorer_is_a_message_at_once(kit, box):
    """Before: 100,000 steps held the kernel for about 45 s, drawing; now every size has an upper bound."""
    explorer = ScheduleExplorer(kit[0], kit[1], kit[2], steps=60, schedule="step")
    drawn = [list(trace.y) for trace in explorer.fig.data]
    control = explorer.steps_box if box == "steps" else explorer.option_boxes["step_size"]
    control.value = 100_000
    assert f"{box} must be a whole number between 1 and 10,000; got 100000." in shown(explorer.message.value)
    assert [list(trace.y) for trace in explorer.fig.data] == drawn  # the last good curves stay


def test_the_finder_refuses_a_huge_step_count_in_the_widget(kit):
    finder = LRFinder(kit[0], kit[1], steps=60)
    finder.steps_box.value = 10**6
    assert finder.run() is None
    assert "steps must be a whole number between 1 and 10,000" in shown(finder.runner.status.value)


@pytest.mark.parametrize("call, argument", [
    (lambda: data.target_task(n_per_class=2.5), "n_per_class"),
    (lambda: data.target_task(n_per_class="10"), "n_per_class"),
    (lambda: data.target_validation_task(n_per_class=10, val_per_class=1.5), "val_per_class"),
    (lambda: data.source_dataset(n=3.5), "n"),
    (lambda: data.digits_m().per_class(None), "n"),
    (lambda: Trainer(CourseCNN(width=8), easy_task(), batch_size=8.5), "batch_size"),
])
@pytest.mark.slow
def test_data_helpers_refuse_counts_that_are_not_whole_numbers_naming_the_argument(call, argument):
    assert refused(call).startswith(f"{argument} must be a whole number")


def test_the_checks_never_clamp():
    assert checks.rate("3e-4") == 3e-4
    assert checks.whole(2.0, "n") == 2
    with pytest.raises(SettingError):
        checks.whole(2.0000001, "n")
    with pytest.raises(SettingError):
        checks.fraction(1.5, "gamma")
