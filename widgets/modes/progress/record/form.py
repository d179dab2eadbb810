"""The progress file's format: its version, a lesson's sections and keys, an empty record, what a well-formed
value is, and the text we write."""

import json
import math

FORMAT_VERSION = 2
LESSON_SECTIONS = ("cards", "quiz", "challenges", "practice", "explain", "diagnostic", "review")
#: sections whose answers the log keeps (explain texts are not right or wrong; review holds the schedule)
ANSWER_MODES = ("cards", "quiz", "challenges", "practice", "diagnostic", "review")
PROBLEM_STATUSES = ("new", "running", "paused", "solved", "failed")
#: an answer record nested deeper than this is not one of ours (and deep nesting can exhaust the stack)
MAX_DEPTH = 20
MAX_NAME = 80  # characters of a learner's name
#: a solve faster than this (it shows as 0.0 s) is flagged: nobody reads a question that fast
INSTANT = 0.05


def empty():
    return {"version": FORMAT_VERSION, "lessons": {}}


def learner_name(text):
    """The name a learner gives in their progress file (the class report shows it): one line, at most
    :data:`MAX_NAME` characters."""
    return " ".join(str(text).split())[:MAX_NAME]


def empty_lesson():
    record = {section: {} for section in LESSON_SECTIONS}
    record.update(badge=None, log=[], challenge_set=None)
    return record



def dumps(data):
    """The text we write: ASCII only (survives any editor), sorted keys, one item per line."""
    return json.dumps(data, indent=1, sort_keys=True)


# ---- what is well-formed ------------------------------------------------------------------------------------
def kind(value):
    names = {dict: "a mapping", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def bad_value(value):
    """Why a JSON value cannot be kept (nested too deeply, a number that is not finite), or None."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return "a number that is not finite"
        if isinstance(item, (dict, list)):
            if level > MAX_DEPTH:
                return "nested too deeply"
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return None


def is_count(value, low=0):
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def is_seconds(value):
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0)


def item_problem(section, value):
    want = str if section == "cards" else dict
    return bad_value(value) or (None if isinstance(value, want) else f"{kind(value)}, not {kind(want())}")


def entry_ok(entry):
    return (isinstance(entry, dict) and not bad_value(entry) and isinstance(entry.get("item"), str)
            and entry.get("mode") in ANSWER_MODES and isinstance(entry.get("correct"), bool)
            and is_count(entry.get("attempt"), 1) and is_seconds(entry.get("at")) and is_seconds(entry.get("seconds"))
            and all(isinstance(entry.get(k, False), bool) for k in ("practice", "late", "migrated")))


def badge_problem(badge):
    if badge is None or isinstance(badge, str):
        return None
    if isinstance(badge, dict) and isinstance(badge.get("at"), str) and isinstance(badge.get("items"), list) \
            and all(isinstance(i, str) for i in badge["items"]):
        return None
    return f"{kind(badge)} that is not a badge"


def set_problem(value):
    if value is None:
        return None
    if not isinstance(value, dict) or bad_value(value):
        return f"{kind(value)} that is not a challenge set's state"
    ok = (is_count(value.get("rev", 0)) and is_count(value.get("round", 1), 1) and is_count(value.get("pauses_left", 0))
          and isinstance(value.get("problems", {}), dict)
          and all(isinstance(p, dict) for p in value.get("problems", {}).values()))
    return None if ok else "a challenge set's state with fields of the wrong type"
