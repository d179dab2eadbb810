"""Items answered with a number: reading what the learner typed, checking it, and the schema's checks.

An item whose point is a number (a trainable count, a rate, a number of steps) carries ``numeric`` instead of
``options``::

    numeric:
      value: 5130          # the key; a test recomputes it by running ``code``
      tolerance: 0         # relative: 0.01 accepts anything within 1% of the value; 0 (default) = exact
      unit: parameters     # optional, shown after the box; a typed unit equal to it is accepted
      code: |              # prints the value, hidden from the learner (a Predict Output item's own code does instead)
        print(512 * 10 + 10)
      explanation: ...     # why the value is right
      misses:              # optional: the wrong numbers a real misconception gives, each with why
        - {value: 5120, explanation: That forgets the head's 10 biases.}

A typed number may use thousands separators ("11,000", "11 000", "11_000") and exponents ("1e-3", "3E-4").
"""

import math
import re

# commas, spaces (also narrow and no-break) or underscores between groups of three digits
_GROUPED = re.compile(r"^[+-]?\d{1,3}([, _\u202f\u00a0]\d{3})+(\.\d*)?([eE][+-]?\d+)?$")
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
EXAMPLES = "e.g. 11000, 11,000 or 1e-3"


class NumberError(ValueError):
    """What the learner typed is not a number; the message says what to type instead."""


def parse_number(text, unit=""):
    """The number in ``text`` ("11,000", "1e-3", "0.5"); raises :class:`NumberError` with a readable message."""
    raw = str(text).strip().replace("\u2212", "-")  # a minus sign pasted from a page
    if unit and raw.lower().endswith(str(unit).lower()):
        raw = raw[: -len(str(unit))].strip()
    if not raw:
        raise NumberError("Type a number first.")
    if _PLAIN.match(raw) or _GROUPED.match(raw):
        value = float(re.sub(r"[, _\u202f\u00a0]", "", raw))
        if math.isfinite(value):
            return value
        raise NumberError(f"{text!r} is too large a number.")
    if re.match(r"^[+-]?\d+,\d{1,2}$", raw) or re.match(r"^[+-]?\d+,\d{4,}$", raw):
        raise NumberError(f"{text!r}: write decimals with a point (1.5, not 1,5); commas only group thousands.")
    if raw.endswith("%"):
        raise NumberError(f"{text!r}: type the number without the % sign.")
    raise NumberError(f"{text!r} is not a number: type digits, {EXAMPLES}.")


def fmt(value):
    """A number as the course writes it: whole numbers with thousands commas (11,000), others with up to 4
    significant digits (0.0003, 1e-5)."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.4g}".replace("e-0", "e-").replace("e+0", "e")


def within(typed, value, tolerance=0):
    """Is ``typed`` the ``value``, up to the relative ``tolerance`` (and float rounding)?"""
    slack = max(abs(float(tolerance)) * abs(value), 1e-9 * max(1.0, abs(value)))
    return abs(typed - value) <= slack


def miss_explanation(spec, typed):
    """Why ``typed`` is wrong: the explanation of the misconception it matches, else how far off it is."""
    for miss in spec.get("misses") or []:
        if within(typed, float(miss["value"]), spec.get("tolerance", 0)):
            return str(miss["explanation"])
    if spec["value"] and typed and abs(math.log10(abs(typed / spec["value"]))) >= 0.9 and typed * spec["value"] > 0:
        return "That is off by a factor of ten or more: check the units and the powers of ten."
    return "That is not the number: work it out step by step."


def numeric_problems(where, spec, has_options, has_code=False):
    """Schema problems of one item's ``numeric`` mapping (``has_code``: the item shows code that prints the value,
    a Predict Output item, so the mapping needs no code of its own)."""
    if has_options:
        return [f"{where}: give options or numeric, not both"]
    if not isinstance(spec, dict):
        return [f"{where}: numeric must be a mapping with value, tolerance, code and explanation"]
    problems = []
    value = spec.get("value")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        problems.append(f"{where}: numeric value must be a number")
    tolerance = spec.get("tolerance", 0)
    if not isinstance(tolerance, (int, float)) or isinstance(tolerance, bool) or not 0 <= tolerance < 0.5:
        problems.append(f"{where}: numeric tolerance must be a relative tolerance from 0 to 0.5")
    for key in ("explanation",) if has_code else ("code", "explanation"):
        if not str(spec.get(key, "")).strip():
            problems.append(f"{where}: numeric needs its {key}")
    for miss in spec.get("misses") or []:
        if not isinstance(miss, dict) or not isinstance(miss.get("value"), (int, float)) \
                or not str(miss.get("explanation", "")).strip():
            problems.append(f"{where}: every numeric miss needs a value and an explanation")
        elif isinstance(value, (int, float)) and within(float(miss["value"]), float(value), tolerance):
            problems.append(f"{where}: the miss {miss['value']} would count as right")
    return problems
