"""TwoStartsLab (lesson 01), headless: validated traitlets, the claims' own runs, Stop and close."""

import threading

import ipywidgets as ipw
import pytest

from widgets.engine.checks import SettingError
from widgets.labs import transfer
from widgets.ui.two_starts import TwoStartsLab


@pytest.fixture(scope="module")
def lab():
    widget = TwoStartsLab(labels=5, steps=10, starts=("scratch", "probe"))
    yield widget
    widget.close()


def test_settings_are_traitlets_the_controls_follow(lab):
    lab.labels, lab.steps, lab.seed = 7, 20, 3
    assert (lab.labels_box.value, lab.steps_box.value, lab.seed_box.value) == (7, 20, 3)
    lab.start_boxes["finetune"].value = True
    assert lab.starts == ("scratch", "finetune", "probe")
    lab.starts = ("probe",)
    assert [key for key, box in lab.start_boxes.items() if box.value] == ["probe"]
    lab.labels, lab.steps, lab.seed, lab.starts = 5, 10, 0, ("scratch", "probe")


@pytest.mark.parametrize("name, value", [("labels", 4), ("labels", 51), ("steps", 0), ("steps", 10**6), ("seed", -1),
                                         ("labels", True), ("starts", ("scratch", "imagenet"))])
def test_a_bad_setting_is_refused_by_name_and_changes_nothing(lab, name, value):
    before = getattr(lab, name)
    with pytest.raises(SettingError, match="labels|steps|seed|start"):
        setattr(lab, name, value)
    assert getattr(lab, name) == before


def test_a_lesson_can_link_the_budget_to_another_widget(lab):
    budget = ipw.IntSlider(min=10, max=800)
    link = ipw.link((budget, "value"), (lab, "steps"))
    budget.value = 40
    assert lab.steps == 40 and lab.steps_box.value == 40
    link.unlink()
    lab.steps = 10


def test_no_start_ticked_is_a_message_not_a_traceback(lab):
    lab.starts = ()
    assert lab.run() is None and "tick at least one start" in lab.runner.status.value
    lab.starts = ("scratch", "probe")


@pytest.mark.slow
def test_each_run_is_the_claims_own_run_and_stays_in_the_table(lab):
    finished = lab.run()
    assert list(finished) == ["from scratch", "pre-trained, head only"]
    for recipe, history in zip(("scratch", "probe"), finished.values()):
        expected = transfer.run(recipe, 5, 0, steps=10).target_acc
        assert history.final["val_acc"] == pytest.approx(expected, abs=2e-3)  # the fused scorer rounds differently
        assert history.eval_steps[0] == 0 and len(history.val_acc) >= 2  # drawn as it grows, from step 0
    assert lab.table.value.count("<tr>") == 1 + 2 and "from scratch" in lab.table.value


@pytest.mark.slow
def test_stop_ends_the_run_in_progress_and_skips_the_rest():
    widget = TwoStartsLab(labels=5, steps=400, starts=("scratch", "finetune"))
    widget.runner.start()
    while widget.runner.running and widget.runner.bar.value < 0.01:
        widget.runner.wait(0.05)
    widget.close()  # stops the job and waits for it
    assert not widget.runner.running
    assert len(widget.runs) == 1 and widget.runs[0]["history"].status == "stopped"


def test_the_bar_moves_as_soon_as_the_first_point_is_drawn():
    # the evaluation at step 0 is the learner's first result: the bar says so before any training step
    widget = TwoStartsLab(labels=5, steps=10, starts=("probe",))
    calls = []
    widget._job(lambda value, text="": calls.append((value, text)), threading.Event())
    widget.close()
    first_value, first_text = calls[0]
    assert first_text.endswith("step 0 of 10") and first_value > 0
    assert calls[-1][0] == pytest.approx(1.0)
    assert [v for v, _ in calls] == sorted(v for v, _ in calls)
