"""Generated values against every check of a learner's setting, and against the entry points the lessons call with
them: each value is either used as given or refused with a ``SettingError`` that names the setting, and a refusal
changes nothing. Never another exception, never a value clamped or rounded into something that trains."""

import math

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tasks import easy_task

from widgets import CourseCNN
from widgets.engine import checks
from widgets.engine.checks import SettingError
from widgets.engine.finder import lr_range_test
from widgets.engine.freezing import snapshot
from widgets.engine.schedules import schedule_curve
from widgets.engine.sweep import sweep
from widgets.engine.training import Trainer

#: the same examples on every run (seeded), none kept on disk; quick enough for every `make check`
CHECKS = settings(max_examples=150, deadline=None, derandomize=True, database=None)
ENTRY = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])

#: what a learner (or a slip in code) can hand over where a number is wanted
odd_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from([0, -0.0, 1e-300, 10.000001, 1e9, 10**20, True, False, None, "", " ", "fast", "1e-3", " 3e-4 ",
                     "nan", "inf", "-1", "１e-3", "1e-3, 1e-2", "10**9", b"1e-3", 1j, [1e-3], (), {}, {"lr": 1e-3}]),
    st.text(max_size=12),
    st.lists(st.floats(allow_nan=True), max_size=3),
)


def refusal(call):
    """The ``SettingError`` message ``call()`` raises, or ``None`` when it returns."""
    try:
        call()
    except SettingError as error:
        return str(error)
    return None


# ---- the checks themselves ------------------------------------------------------------------------------------


@CHECKS
@given(odd_values)
def test_a_rate_is_used_exactly_as_given_or_refused_naming_the_setting(value):
    message = refusal(lambda: checks.rate(value, "head rate"))
    if message is None:
        number = checks.rate(value, "head rate")
        assert 0 < number <= checks.MAX_RATE and math.isfinite(number)
        assert number == float(value.strip() if isinstance(value, str) else value)
        assert not isinstance(value, bool)
    else:
        assert message.startswith("head rate must be a number above 0 and at most 10, such as 1e-3; got ")
        assert len(message) < 200  # a 400-digit number is shown by its start


@CHECKS
@given(st.floats(min_value=1e-12, max_value=checks.MAX_RATE, exclude_min=False))
def test_every_rate_from_a_millionth_of_a_millionth_to_the_maximum_is_taken_as_it_is(value):
    assert checks.rate(value) == value and checks.rate(repr(value)) == value


@CHECKS
@given(odd_values, st.integers(min_value=-5, max_value=5), st.one_of(st.none(), st.integers(-5, 10**6)))
def test_a_whole_number_is_used_as_given_or_refused_naming_the_setting(value, minimum, maximum):
    message = refusal(lambda: checks.whole(value, "n_per_class", minimum, maximum))
    if message is None:
        number = checks.whole(value, "n_per_class", minimum, maximum)
        assert type(number) is int and number == value and not isinstance(value, bool)
        assert minimum <= number and (maximum is None or number <= maximum)
    else:
        assert message.startswith("n_per_class must be a whole number ")


@CHECKS
@given(odd_values)
def test_a_step_count_has_bounds_and_says_them(value):
    message = refusal(lambda: checks.steps(value))
    if message is None:
        assert 1 <= checks.steps(value) <= checks.MAX_STEPS
    else:
        assert message.startswith(f"steps must be a whole number between 1 and {checks.MAX_STEPS:,}; got ")


@CHECKS
@given(odd_values)
def test_fractions_and_non_negative_numbers_are_used_as_given_or_refused(value):
    for call, name in ((lambda: checks.fraction(value, "gamma"), "gamma"),
                       (lambda: checks.at_least_zero(value, "weight_decay"), "weight_decay")):
        message = refusal(call)
        assert message is None and call() == float(value) or message.startswith(f"{name} must be a number ")


@CHECKS
@given(st.one_of(odd_values, st.text(alphabet=st.sampled_from("0123456789e.-+, ;x"), max_size=40)))
def test_rates_typed_as_text_are_sorted_and_unique_or_refused_with_the_rate_at_fault(text):
    message = refusal(lambda: checks.rates(text))
    if message is None:
        found = checks.rates(text)
        assert found == sorted(set(found)) and 1 <= len(found) <= checks.MAX_RATES
        assert all(0 < r <= checks.MAX_RATE for r in found)
    else:
        assert "rate" in message


@CHECKS
@given(odd_values)
def test_a_choice_is_one_of_the_options_or_refused_listing_them(value):
    options = ["adam", "sgd"]
    message = refusal(lambda: checks.choice(value, "optimizer", options))
    assert message is None and value in options or message.startswith("unknown optimizer") and "adam, sgd" in message


# ---- the entry points the lessons call (widgets.Trainer, lr_range_test, sweep, schedule_curve) ------------------


@pytest.fixture(scope="module")
def kit():
    torch.manual_seed(0)
    return CourseCNN(num_classes=4, width=4), easy_task(n=16)


SETTINGS = {  # entry point -> (call with the value, the words its refusal starts with, whether it has an upper bound)
    "Trainer lr": (lambda k, v: Trainer(k[0], k[1], lr=v),
                   ("learning rate must be", "no block named 'lr'", "block 'conv1' is trainable but has no learning"),
                   True),
    "Trainer batch_size": (lambda k, v: Trainer(k[0], k[1], batch_size=v), "batch_size must be", False),
    "Trainer weight_decay": (lambda k, v: Trainer(k[0], k[1], weight_decay=v), "weight_decay must be", False),
    "Trainer momentum": (lambda k, v: Trainer(k[0], k[1], momentum=v), "momentum must be", True),
    "Trainer augment": (lambda k, v: Trainer(k[0], k[1], augment=v), "augment must be", True),
    "Trainer optimizer": (lambda k, v: Trainer(k[0], k[1], optimizer=v), "unknown optimizer", True),
    "Trainer device": (lambda k, v: Trainer(k[0], k[1], device=v), "device must be", True),
    "fit steps": (lambda k, v: Trainer(k[0], k[1]).fit(v), "steps must be", True),
    "fit eval_every": (lambda k, v: Trainer(k[0], k[1]).fit(1, eval_every=v), "eval_every must be", True),
    "range test start": (lambda k, v: lr_range_test(k[0], k[1], start=v, steps=5), "start rate must be", True),
    "range test steps": (lambda k, v: lr_range_test(k[0], k[1], steps=v), "steps must be", True),
    "sweep rates": (lambda k, v: sweep(k[0], k[1], lrs=[1e-3, v], steps=1), "learning rate must be", True),
    "schedule_curve lr": (lambda k, v: schedule_curve("cosine", 10, v), "learning rate must be", True),
    "schedule_curve steps": (lambda k, v: schedule_curve("cosine", v, 1e-3), "steps must be", True),
}
#: mistakes no setting above may take: not numbers, not finite, below 0, text a learner typed
bad_anywhere = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, None, b"1e-3", 1j, [1e-3], (), {}, {"lr": 1e-3}]),
    st.floats(max_value=-1e-9), st.integers(max_value=-1),
    st.text(alphabet=st.characters(categories=["L", "So", "Zs"]), max_size=8),
)
#: and what a setting with an upper bound must refuse too: a typo of a few zeros, or a few hundred
too_large = st.one_of(st.integers(min_value=10**5, max_value=10**400), st.floats(min_value=1e5, allow_infinity=False))


@pytest.mark.parametrize("entry", list(SETTINGS))
@ENTRY
@given(data=st.data())
def test_a_bad_setting_at_any_entry_point_is_refused_naming_it_and_changes_nothing(kit, entry, data):
    call, said, bounded = SETTINGS[entry]
    value = data.draw(st.one_of(bad_anywhere, too_large) if bounded else bad_anywhere)
    assume(not (entry == "fit eval_every" and value is None))  # None is its default: a tenth of the run
    model, _ = kit
    before = snapshot(model)
    message = refusal(lambda: call(kit, value))
    assert message is not None and message.startswith(said), (entry, value, message)  # said: one or a tuple
    assert before.differences(model) == []
