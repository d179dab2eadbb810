"""Reading a progress file as anything may have left it: every well-formed lesson, and every well-formed
section, log entry and key of a damaged one, is kept; the rest is returned apart (``set_aside``) with a note
naming the lesson and section. Merging two records (an import) is here too."""

import copy
from dataclasses import dataclass, field

from .answers import backfill_log, challenge_rev
from .form import (
    LESSON_SECTIONS,
    badge_problem,
    dumps,
    empty,
    empty_lesson,
    entry_ok,
    item_problem,
    kind,
    learner_name,
    set_problem,
)
from .jsontext import ProgressFileError, read_lenient


@dataclass
class Reading:
    """What :func:`read` made of a file: the clean record, notes naming what was set aside, and the set-aside
    parts themselves (``{"lessons": {lesson id: {key: value}}}``, or the unreadable text under ``"text"``)."""

    data: dict
    notes: list = field(default_factory=list)
    set_aside: dict = field(default_factory=dict)


def read(raw):
    """Read a progress file's bytes (or text), salvaging what is well-formed. Raises :class:`ProgressFileError`
    only when this is not a progress file at all."""
    value, notes, stops, error = read_lenient(raw)
    try:
        reading = salvage(value, stops)
    except ProgressFileError:
        raise ProgressFileError(error or "it is not a Fine-Tuning Lab progress file (no 'lessons' mapping)") from None
    if error and not reading.data["lessons"]:
        raise ProgressFileError(error)  # broken before its first lesson: nothing to salvage
    reading.notes[:0] = notes
    return reading


def parse(raw):
    """``(data, notes)``: :func:`read` for callers that need no set-aside part (the class report)."""
    reading = read(raw)
    return reading.data, reading.notes


def _where(path):
    if len(path) >= 2 and path[0] == "lessons":
        section = f", in its {path[2]} section" if len(path) >= 3 else ""
        return f"inside lesson {path[1]!r}{section}"
    return "before the end of its lessons"


def salvage(data, stops=()):
    """A :class:`Reading` of parsed JSON: each lesson, and each section, key and log entry of it, kept when
    well-formed and set aside otherwise. ``stops``: where :func:`~.jsontext.read_lenient` stopped reading."""
    if not isinstance(data, dict) or not isinstance(data.get("lessons"), dict):
        raise ProgressFileError("it is not a Fine-Tuning Lab progress file (no 'lessons' mapping)")
    reading = Reading(empty())
    reading.notes += [f"the file breaks off {_where(path)}; everything complete before that point was kept"
                      for path in stops]
    for lesson_id, record in data["lessons"].items():
        if not isinstance(record, dict):
            reading.set_aside.setdefault("lessons", {})[lesson_id] = record
            reading.notes.append(f"lesson {lesson_id!r} was set aside ({kind(record)}, not a mapping)")
            continue
        lesson, aside, why = _salvage_lesson(record)
        if aside:
            reading.set_aside.setdefault("lessons", {})[lesson_id] = aside
            reading.notes.append(f"lesson {lesson_id!r}: set aside {'; '.join(why)}")
        backfill_log(lesson)
        reading.data["lessons"][lesson_id] = lesson
    if isinstance(data.get("learner"), str) and data["learner"].strip():
        reading.data["learner"] = learner_name(data["learner"])
    return reading


def _salvage_lesson(record):
    """(the clean lesson, its set-aside parts, why each part was set aside)."""
    lesson, aside, why = empty_lesson(), {}, []

    def set_aside(key, value, reason):
        aside[key] = value
        why.append(reason)

    for section in LESSON_SECTIONS:
        value = record.get(section, {})
        if not isinstance(value, dict):
            set_aside(section, value, f"its {section} section ({kind(value)}, not a mapping)")
            continue
        for item_id, answer in value.items():
            problem = item_problem(section, answer)
            if problem:
                aside.setdefault(section, {})[item_id] = answer
                why.append(f"{section} item {item_id!r} ({problem})")
            else:
                lesson[section][item_id] = answer
    log = record.get("log", [])
    if not isinstance(log, list):
        set_aside("log", log, f"its answer log ({kind(log)}, not a list)")
    else:
        lesson["log"] = [e for e in log if entry_ok(e)]
        if len(lesson["log"]) < len(log):
            bad = [e for e in log if not entry_ok(e)]
            set_aside("log", bad, f"{len(bad)} answer-log entr{'y' if len(bad) == 1 else 'ies'} of the wrong form")
    for key, problem_of in (("badge", badge_problem), ("challenge_set", set_problem)):
        problem = problem_of(record.get(key))
        if problem:
            set_aside(key, record[key], f"its {key.replace('_', ' ')} ({problem})")
        else:
            lesson[key] = record.get(key)
    for key in sorted(set(record) - set(lesson)):
        set_aside(key, record[key], f"{key!r} (not part of a lesson record)")
    return lesson, aside, why



# ---- merging ------------------------------------------------------------------------------------------------
def merge(base, incoming):
    """Merge two progress dicts item by item (``incoming`` wins where both hold an item); logs are joined."""
    out = copy.deepcopy(base)
    if incoming.get("learner"):
        out["learner"] = incoming["learner"]
    for lesson_id, record in incoming["lessons"].items():
        lesson = out["lessons"].setdefault(lesson_id, empty_lesson())
        for section in LESSON_SECTIONS:
            lesson.setdefault(section, {}).update(copy.deepcopy(record.get(section, {})))
        seen = {dumps(e) for e in lesson.setdefault("log", [])}
        lesson["log"] += [copy.deepcopy(e) for e in record.get("log", []) if dumps(e) not in seen]
        if record.get("badge"):
            lesson["badge"] = copy.deepcopy(record["badge"])
        if record.get("challenge_set"):
            rev = max(challenge_rev(lesson), challenge_rev(record)) + 1  # open views re-read the merged set
            lesson["challenge_set"] = dict(copy.deepcopy(record["challenge_set"]), rev=rev)
    return out
