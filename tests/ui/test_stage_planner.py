"""StagePlanner (lesson 03), headless: validated traitlets, presets, stage rows, the lesson's own run, Stop, close."""

import ipywidgets as ipw
import pytest

from widgets.engine.checks import SettingError
from widgets.labs import strategy
from widgets.ui.stage_planner import OWN_PLAN, StagePlanner

GRADUAL = ((("head",), 60), (("conv3", "head"), 60), (("conv2", "conv3", "head"), 60))


@pytest.fixture
def planner():
    widget = StagePlanner()
    yield widget
    widget.close()


def pressed(planner):
    """What the rows show: the pressed blocks and the steps of each visible stage."""
    return tuple((tuple(b for b, t in toggles.items() if t.value), steps.value)
                 for row, toggles, steps in planner.rows if row.layout.display != "none")


def test_the_gradual_preset_is_the_lessons_stages_and_the_rows_show_them(planner):
    assert planner.preset == "gradual unfreezing" and planner.stages == GRADUAL == strategy.PLANS[planner.preset]
    assert pressed(planner) == GRADUAL
    assert {b: box.value for b, box in planner.rate_boxes.items()} == {"conv1": "3e-05", "conv2": "5e-05",
                                                                      "conv3": "0.0001", "head": "0.01"}


def test_a_preset_sets_the_stages_and_stages_name_their_preset(planner):
    planner.preset_box.value = "head and conv3 at once"
    assert planner.stages == ((("conv3", "head"), 120),) and pressed(planner) == planner.stages
    planner.rows[0][1]["conv2"].value = True  # the learner presses conv2 in stage 1
    assert planner.stages == ((("conv2", "conv3", "head"), 120),) and planner.preset == OWN_PLAN
    planner.rows[0][2].value = 30
    assert planner.stages == ((("conv2", "conv3", "head"), 30),)
    planner.stages = [[["head", "conv3"], 120]]  # from code: any order, lists too; a known plan names its preset
    assert planner.stages == ((("conv3", "head"), 120),) and planner.preset == "head and conv3 at once"


def test_stages_are_added_and_removed_and_the_rows_follow(planner):
    planner.add_button.click()
    assert planner.stages == GRADUAL + ((("conv2", "conv3", "head"), 60),) and len(pressed(planner)) == 4
    planner.add_button.click()  # a fifth: refused, in words
    assert len(planner.stages) == 4 and "at most 4 stages" in planner.message.value
    for _ in range(3):
        planner.remove_button.click()
    assert planner.stages == GRADUAL[:1] and pressed(planner) == GRADUAL[:1]
    planner.remove_button.click()
    assert planner.stages == GRADUAL[:1] and "at least one stage" in planner.message.value


@pytest.mark.parametrize("name, value, message", [
    ("stages", (), "1 to 4 stages"),
    ("stages", ((("head",), 60),) * 5, "1 to 4 stages"),
    ("stages", (((), 60),), "stage 1 trains nothing"),
    ("stages", ((("head",), 60), (("conv4",), 60)), "unknown block in stage 2 'conv4'"),
    ("stages", ((("head",), 0),), "stage 1's steps must be"),
    ("stages", ((("head",), 301),), "stage 1's steps must be"),
    ("stages", (("head",),), "stage 1 must be"),
    ("rates", {"head": 1e-2}, "one rate for each of"),
    ("rates", {"conv1": 3e-5, "conv2": 5e-5, "conv3": "fast", "head": 1e-2}, "rate for conv3 must be a number"),
    ("preset", "all at once", "unknown plan"),
    ("seed", -1, "seed must be"),
])
def test_a_bad_setting_is_refused_by_name_and_changes_nothing(planner, name, value, message):
    before = getattr(planner, name)
    with pytest.raises(SettingError, match=message):
        setattr(planner, name, value)
    assert getattr(planner, name) == before


def test_a_stage_left_with_nothing_to_train_is_a_message_kept_until_fixed(planner):
    planner.rows[0][1]["head"].value = False  # stage 1 now trains nothing
    assert "stage 1 trains nothing" in planner.message.value and planner.stages == GRADUAL
    assert not planner.rows[0][1]["head"].value  # the row is left as the learner set it, to be fixed
    assert planner.run() is None and "stage 1 trains nothing" in planner.runner.status.value
    planner.rows[0][1]["conv3"].value = True  # fixed another way
    assert planner.stages[0] == (("conv3",), 60) and planner.message.value == "" and planner.boxes.problems == {}


def test_a_bad_rate_typed_stays_in_its_box_while_another_is_changed(planner):
    planner.rate_boxes["conv3"].value = "fast"
    planner.rate_boxes["head"].value = "3e-3"  # typing elsewhere leaves the typo to be fixed, and still said
    assert planner.rate_boxes["conv3"].value == "fast" and planner.rates["head"] == 3e-3
    assert "rate for conv3" in planner.message.value and planner.run() is None
    planner.rates = {**planner.rates, "conv3": 1e-3}  # set from code: every box shows what will be used
    assert planner.rate_boxes["conv3"].value == "0.001" and planner.boxes.problems == {}


def test_a_lesson_can_observe_and_link_the_settings(planner):
    seen = []
    planner.observe(lambda change: seen.append(change["new"]), names="preset")
    planner.rows[2][1]["conv1"].value = True
    assert seen == [OWN_PLAN]
    seed = ipw.IntSlider(min=0, max=10)
    link = ipw.link((seed, "value"), (planner, "seed"))
    seed.value = 4
    assert planner.seed == 4 and planner.seed_box.value == 4
    link.unlink()


@pytest.mark.slow
def test_the_gradual_preset_ends_where_the_lessons_gradual_unfreezing_does(planner):
    found = planner.run()
    lesson = strategy.gradual(0)
    assert found["accuracy"] == pytest.approx(lesson["accuracy"], abs=1e-6)
    assert found["letters"] == pytest.approx(lesson["letters"], abs=1e-6)
    for ours, theirs in zip(found["drift"], lesson["drift"]):
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-9)
    assert found["stage_starts"] == [0, 60, 120] and found["eval_steps"][0] == 0 and len(found["eval_steps"]) > 4
    # the live chart: two accuracy lines and three drift lines, a dotted line at each stage start after the first
    assert [t.name for t in planner.fig.data][:2] == ["new task: digits test accuracy",
                                                      "old task: letters (forgetting meter)"]
    assert [s.x0 for s in planner.fig.layout.shapes] == [60, 120]
    assert planner.table.value.count("<tr>") == 2 and "head 60 → conv3+head 60" in planner.table.value
    assert "Done" in planner.runner.status.value


@pytest.mark.slow
def test_stop_ends_the_run_and_keeps_it_in_the_table():
    widget = StagePlanner(stages=((("conv3", "head"), 300),))
    widget.runner.start()
    while widget.runner.running and widget.runner.bar.value < 0.02:
        widget.runner.wait(0.05)
    widget.close()  # stops the job and waits for it
    assert not widget.runner.running
    assert widget.result["status"] == "stopped" and len(widget.runs) == 1
    assert "stopped" in widget.table.value
