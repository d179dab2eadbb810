"""Every check of a value a learner or a caller gives: rates, steps, counts, fractions and choices.

One place, one wording. Each check returns the clean value or raises :class:`SettingError` with a sentence that
names the setting, says what is accepted and shows what was given. Nothing is ever clamped silently: a rate of 0,
NaN, 1e9, ``"fast"`` or ``None`` is refused, never turned into something that trains.

    rate(3e-4)                 # 0.0003
    whole(10, "n_per_class")   # 10
    rate("fast")               # SettingError: learning rate must be a number above 0 ...
"""

import math
import numbers

#: the largest learning rate accepted: 1e9 is a typo, not an experiment
MAX_RATE = 10.0

#: the most steps one run may take (about five minutes of the course model on a laptop CPU): 1e6 is a typo that
#: would hold the kernel for hours, not an experiment
MAX_STEPS = 10_000


class SettingError(ValueError):
    """A value that cannot be used. The message names the setting, what it accepts, and what was given."""


#: the name the lessons know from the Trainer (``except widgets.TrainingError``): the same class
TrainingError = SettingError


def _shown(value):
    """``repr(value)``, cut short: a 400-digit number or a pasted essay is shown by its start."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:50]}... ({len(text):,} characters)"


def _number(value):
    """``float(value)`` for numbers and numeric text; ``None`` for anything else (booleans included)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError, RuntimeError):  # 10**400 overflows; a tensor of many values raises
        return None


def rate(value, what="learning rate"):
    """A learning rate: a finite number above 0, at most :data:`MAX_RATE`; numeric text such as ``"1e-3"`` is fine."""
    number = _number(value.strip() if isinstance(value, str) else value)
    if number is None or not math.isfinite(number) or not 0 < number <= MAX_RATE:
        raise SettingError(
            f"{what} must be a number above 0 and at most {MAX_RATE:g}, such as 1e-3; got {_shown(value)}."
        )
    return number


def rates_from_text(text, most=10):
    """``"1e-4, 3e-3"`` -> ``[0.0001, 0.003]`` (sorted, repeats dropped); commas, semicolons or spaces separate."""
    parts = [p for p in str(text if text is not None else "").replace(";", ",").replace(" ", ",").split(",") if p]
    if not parts:
        raise SettingError("type at least one learning rate, such as 1e-3")
    rates = sorted({rate(p, f"learning rate {p!r}") for p in parts})
    if len(rates) > most:
        raise SettingError(f"at most {most} rates at once; got {len(rates)}.")
    return rates


def rates(values, most=10):
    """Several learning rates, from text (``"1e-4, 3e-3"``) or a list of numbers: sorted, repeats dropped."""
    if isinstance(values, str):
        return rates_from_text(values, most)
    found = sorted({rate(v) for v in (values if isinstance(values, (list, tuple)) else [values])})
    if not found:
        raise SettingError("give at least one learning rate, such as 1e-3.")
    if len(found) > most:
        raise SettingError(f"at most {most} rates at once; got {len(found)}.")
    return found


def whole(value, what, minimum=1, maximum=None):
    """A whole number between ``minimum`` and ``maximum``; ``2.0`` is fine, ``2.5``, ``"10"`` and ``True`` are not."""
    number = None
    if isinstance(value, bool):
        pass  # True is 1 to Python, but never a count a learner meant
    elif isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        number = int(value)
    if number is not None and minimum <= number and (maximum is None or number <= maximum):
        return number
    span = f"of at least {minimum:,}" if maximum is None else f"between {minimum:,} and {maximum:,}"
    raise SettingError(f"{what} must be a whole number {span}; got {_shown(value)}.")


def steps(value, what="steps", maximum=MAX_STEPS):
    """A number of steps: a whole number from 1 up to ``maximum`` (:data:`MAX_STEPS` unless a tool needs fewer)."""
    return whole(value, what, 1, maximum)


def fraction(value, what, low=0.0, high=1.0, *, include_low=False, include_high=True):
    """A number between ``low`` and ``high`` (ends included or not, as asked)."""
    number = _number(value) if not isinstance(value, str) else None
    above = number is not None and (number >= low if include_low else number > low)
    below = number is not None and (number <= high if include_high else number < high)
    if number is not None and math.isfinite(number) and above and below:
        return number
    ends = f"{'from' if include_low else 'above'} {low:g} {'up to' if include_high else 'and below'} {high:g}"
    raise SettingError(f"{what} must be a number {ends}; got {_shown(value)}.")


def at_least_zero(value, what):
    """A finite number of at least 0 (a weight decay, a final rate)."""
    number = _number(value) if not isinstance(value, str) else None
    if number is not None and math.isfinite(number) and number >= 0:
        return number
    raise SettingError(f"{what} must be a number of at least 0; got {_shown(value)}.")


def choice(value, what, options):
    """One of ``options`` (a name such as a schedule, an optimizer or a preset)."""
    if isinstance(value, str) and value in options:
        return value
    raise SettingError(f"unknown {what} {_shown(value)}; choose one of: {', '.join(map(str, options))}.")
