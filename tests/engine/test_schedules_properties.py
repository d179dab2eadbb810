"""Generated runs against every schedule (``schedule_curve``, what the ScheduleExplorer draws and the Trainer
follows): any length from 1 step to the limit, any rate, any option. Each curve has one finite rate per step,
starts where its schedule says and never rises above the rate given; a run a schedule cannot make (one-cycle's
warm-up in too few steps) and every bad value are a ``SettingError`` that names the schedule or the setting."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from widgets.engine import checks
from widgets.engine.checks import SettingError
from widgets.engine.schedules import SCHEDULES, onecycle_minimum, schedule_curve, torch_line

#: the same examples on every run (seeded), none kept on disk
FAST = settings(max_examples=40, deadline=None, derandomize=True, database=None)

steps = st.integers(min_value=1, max_value=400) | st.sampled_from([1, 2, 5, 6, checks.MAX_STEPS])
rates = st.floats(min_value=1e-8, max_value=checks.MAX_RATE)
#: where each schedule starts, as a fraction of the rate given
START = {"constant": 1.0, "step": 1.0, "exponential": 1.0, "cosine": 1.0, "plateau": 1.0, "warmup": 0.1,
         "onecycle": 1 / 25}  # OneCycleLR starts at max_lr / div_factor (25)


@pytest.mark.parametrize("name", list(SCHEDULES))
@FAST
@given(steps=steps, lr=rates)
def test_every_schedule_gives_one_finite_rate_per_step_never_above_the_rate_given(name, steps, lr):
    if name == "onecycle" and steps < onecycle_minimum(0.3):
        with pytest.raises(SettingError, match=f"one-cycle with pct_start 0.3 needs at least 6 steps.* got {steps}"):
            schedule_curve(name, steps, lr)
        return
    curve = schedule_curve(name, steps, lr)
    assert len(curve) == steps
    assert all(math.isfinite(r) and 0 <= r <= lr * (1 + 1e-9) for r in curve)
    assert curve[0] == pytest.approx(lr * START[name], rel=1e-6)


#: values for an option: some fit, most do not (text, NaN, negative, huge, the wrong type)
option_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-10, max_value=10**12),
    st.sampled_from([None, "", "0.5", "ten", True, [0.5], {}]), st.text(max_size=5),
)


@pytest.mark.parametrize("name", [n for n in SCHEDULES if SCHEDULES[n].options])
@FAST
@given(data=st.data(), steps=steps, lr=rates)
def test_an_option_is_used_or_refused_naming_it_and_a_script_line_never_holds_an_unchecked_value(name, data, steps,
                                                                                                   lr):
    option = data.draw(st.sampled_from(sorted(SCHEDULES[name].options)))
    spec = {"name": name, option: data.draw(option_values)}
    try:
        curve = schedule_curve(spec, steps, lr)
    except SettingError as error:
        message = str(error)
        assert message.startswith((f"{option} must be", "one-cycle with pct_start")), message
        if message.startswith(option):  # a script line checks the value the same way: nothing unchecked is written
            with pytest.raises(SettingError, match=f"^{option} must be"):
                torch_line(spec)
        return
    assert len(curve) == steps and all(math.isfinite(r) and r >= 0 for r in curve)
    torch_line(spec)


@FAST
@given(st.one_of(st.text(max_size=10), st.sampled_from([None, 3, ["cosine"], {"name": "Cosine"}, {"nom": "step"},
                                                         {"name": "step", "gama": 0.5}])))
def test_a_schedule_that_is_not_one_of_the_schedules_is_refused_listing_them(schedule):
    if schedule is None or isinstance(schedule, str) and schedule in SCHEDULES:
        assert len(schedule_curve(schedule or "constant", 3, 1e-3)) == 3
        return
    with pytest.raises(SettingError, match="unknown schedule|a schedule is a name|has no option"):
        schedule_curve(schedule, 10, 1e-3)


@FAST
@given(st.one_of(st.integers(max_value=0), st.integers(min_value=checks.MAX_STEPS + 1, max_value=10**30),
                 st.floats().filter(lambda f: not (math.isfinite(f) and f.is_integer() and 1 <= f <= checks.MAX_STEPS)),
                 st.sampled_from([None, "60", True, [60]])))
def test_a_bad_number_of_steps_is_refused_naming_the_bounds(bad):
    with pytest.raises(SettingError, match=f"steps must be a whole number between 1 and {checks.MAX_STEPS:,}"):
        schedule_curve("cosine", bad, 1e-3)
