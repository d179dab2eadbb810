"""The progress file's format: what a progress dict holds, how to read one from bytes, how to merge two.

Files come from many places: our own writes, an export opened and saved in an editor (a byte-order mark,
CRLF line ends, UTF-16), a sync tool that appended a second copy, a hand edit gone wrong. :func:`parse`
reads what can be read and says what it had to leave out; it never raises anything but
:class:`ProgressFileError`.
"""

import copy
import json

FORMAT_VERSION = 1
LESSON_SECTIONS = ("cards", "quiz", "challenges", "practice", "explain", "diagnostic", "review")
#: an answer record nested deeper than this is not one of ours (and deep nesting can exhaust the stack)
MAX_DEPTH = 20
MAX_NAME = 80  # characters of a learner's name


class ProgressFileError(ValueError):
    """The bytes are not a Fine-Tuning Lab progress file; the message says why in plain words."""


def empty():
    return {"version": FORMAT_VERSION, "lessons": {}}


def empty_lesson():
    record = {section: {} for section in LESSON_SECTIONS}
    record["badge"] = None
    return record


def _depth(value, limit):
    """How deeply nested a JSON value is, counted without recursion; stops counting past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def decode(raw):
    """Bytes to text, whatever an editor saved: UTF-8 with or without a byte-order mark, UTF-16 or UTF-32."""
    try:
        return raw.decode(json.detect_encoding(raw))
    except (UnicodeDecodeError, LookupError):
        raise ProgressFileError("it is not text in a Unicode encoding (UTF-8, UTF-16 or UTF-32)") from None


def parse(raw):
    """Read a progress file's bytes. Returns ``(data, notes)``: a clean progress dict, and a list of what was
    left out (trailing text after the data, answers nested too deeply). Raises :class:`ProgressFileError`."""
    text = decode(raw) if isinstance(raw, (bytes, bytearray)) else str(raw)
    text = text.lstrip("\ufeff \t\r\n")
    notes = []
    try:
        data, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as err:
        raise ProgressFileError(f"it is not JSON ({err.msg}, line {err.lineno})") from None
    except RecursionError:
        raise ProgressFileError("it is nested far too deeply to be a progress file") from None
    if text[end:].strip():
        notes.append(f"extra text after the progress data ({len(text[end:].strip())} characters) was ignored")
    clean, dropped = check_shape(data)
    notes += dropped
    return clean, notes


def check_shape(data):
    """A clean progress dict from parsed JSON, and notes on answers left out; raises :class:`ProgressFileError`
    when this is not one of our files at all."""
    if not isinstance(data, dict) or not isinstance(data.get("lessons"), dict):
        raise ProgressFileError("it is not a Fine-Tuning Lab progress file (no 'lessons' mapping)")
    clean, notes = empty(), []
    for lesson_id, record in data["lessons"].items():
        if not isinstance(record, dict):
            raise ProgressFileError(f"lesson {lesson_id!r} is not a mapping")
        lesson = empty_lesson()
        for section in LESSON_SECTIONS:
            value = record.get(section, {})
            if not isinstance(value, dict):
                raise ProgressFileError(f"lesson {lesson_id!r}: {section} is not a mapping")
            for item_id, answer in value.items():
                if _depth(answer, MAX_DEPTH) > MAX_DEPTH:
                    notes.append(f"{lesson_id} {section} {item_id!r}: nested too deeply, left out")
                    continue
                lesson[section][str(item_id)] = answer
        badge = record.get("badge")
        lesson["badge"] = badge if isinstance(badge, str) else None
        log = record.get("log")  # the answer log, where a writer keeps one: every answer, in order
        if isinstance(log, list):
            lesson["log"] = [e for e in log if isinstance(e, dict) and _depth(e, MAX_DEPTH) <= MAX_DEPTH]
        clean["lessons"][str(lesson_id)] = lesson
    if isinstance(data.get("learner"), str) and data["learner"].strip():
        clean["learner"] = learner_name(data["learner"])
    return clean, notes


def learner_name(text):
    """The name a learner gives in their progress file (for the class report): one line, at most
    :data:`MAX_NAME` characters."""
    return " ".join(str(text).split())[:MAX_NAME]


def merge(base, incoming):
    """Merge two progress dicts item by item; where both hold the same item, ``incoming`` wins."""
    out = copy.deepcopy(base)
    if incoming.get("learner"):
        out["learner"] = incoming["learner"]
    for lesson_id, record in incoming["lessons"].items():
        lesson = out["lessons"].setdefault(lesson_id, empty_lesson())
        for section in LESSON_SECTIONS:
            lesson.setdefault(section, {}).update(copy.deepcopy(record.get(section, {})))
        if record.get("badge"):
            lesson["badge"] = record["badge"]
    return out


def dumps(data):
    """The text we write: ASCII only (survives any editor), sorted keys, one item per line."""
    return json.dumps(data, indent=1, sort_keys=True)
