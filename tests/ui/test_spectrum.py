"""SpectrumLab: settings as validated traitlets, a clear message for a bad rate, live runs kept in a table, Stop."""

import html
import time

import pytest
from traitlets import TraitError

from widgets.engine.checks import SettingError
from widgets.labs import now
from widgets.ui.spectrum import SpectrumLab


def test_each_method_starts_at_its_own_tuned_rate_and_the_settings_are_linked():
    lab = SpectrumLab()
    assert lab.method == "LoRA r=4" and lab.lr == now.RATES["LoRA r=4"]
    lab.method_box.value = "head only"
    assert lab.method == "head only" and lab.lr == now.RATES["head only"]
    assert lab.rate.value == f"{now.RATES['head only']:g}"
    lab.seed = 3
    assert lab.seed_box.value == 3
    lab.close()


def test_a_bad_rate_is_named_in_the_widget_and_the_last_good_rate_stays():
    lab = SpectrumLab(method="everything")
    lab.rate.value = "fast"
    assert lab.lr == now.RATES["everything"]
    assert "must be a number above 0" in html.unescape(lab.message.value) and "stays" in lab.message.value
    lab.rate.value = "1e-4"
    assert lab.lr == 1e-4 and lab.message.value == ""
    lab.close()


@pytest.mark.parametrize("setting, value", [("method", "LoRA r=2"), ("steps", 0), ("steps", 10_000), ("seed", -1),
                                            ("lr", 0.0)])
def test_settings_out_of_range_are_refused_with_a_message(setting, value):
    lab = SpectrumLab()
    with pytest.raises((SettingError, TraitError)):
        setattr(lab, setting, value)
    lab.close()


@pytest.mark.slow
def test_a_run_trains_the_chosen_method_and_is_kept_in_the_table():
    lab = SpectrumLab(method="LoRA r=1", steps=6)
    row = lab.run()
    assert row["method"] == "LoRA r=1" and row["steps"] == 6 and row["status"] == "done"
    model = now.build("LoRA r=1")
    assert row["trainable"] == sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert 0 <= row["test"] <= 1 and 0 <= row["shifted"] <= 1
    assert "LoRA r=1" in lab.table.value and f"{row['trainable']:,}" in lab.table.value
    assert len(lab.fig.data) == 2  # training and test accuracy, live
    lab.close()


@pytest.mark.slow
def test_stop_ends_a_background_run_early():
    lab = SpectrumLab(method="everything", steps=400)
    lab.run(wait=False)
    time.sleep(1.0)
    lab.runner.stop()
    lab.runner.wait(60)
    assert lab.result["status"] == "stopped" and lab.result["steps"] < 400
    lab.close()
