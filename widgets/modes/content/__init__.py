"""Lesson content for the learning modes: find and load ``lessons/<lesson_id>.yaml`` beside this module.

The files ship inside the package (package data, found with :mod:`importlib.resources`), so the learning modes
work wherever the package is installed, not only in a checkout.

The schema (what a file holds) and its checks live in :mod:`widgets.modes.content.schema`; a broken file gets a
clear :class:`ContentError` instead of a half-working widget.
"""

import copy
import os
from importlib import resources
from pathlib import Path

import yaml

from .schema import DIFFICULTY_LEVELS, validate_content

#: the lessons of the course, in order
LESSON_IDS = (
    "01_why_fine_tune",
    "02_freezing_layers",
    "03_strategy_in_vision",
    "04_learning_rate",
    "05_choosing_a_model",
    "06_reading_the_metrics",
    "07_capstone",
    "08_fine_tuning_now",
)
#: how hard an item is, as the content files say it (DIFFICULTY_LEVELS maps it to the level a learner sees)
DIFFICULTIES = tuple(DIFFICULTY_LEVELS)
LEVELS = ("easy", "medium", "hard")
#: the badge for earning every lesson's challenge badge
COURSE_BADGE = "Fine-Tuning Lab Graduate"

# libyaml's loader when PyYAML was built with it (about 8x faster), else the pure-Python one; both are safe loaders
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(ValueError):
    """A content file is missing or does not follow the schema; the message says what to fix."""


def level(item):
    """``easy``, ``medium`` or ``hard`` for an item with a ``difficulty``."""
    return DIFFICULTY_LEVELS.get(item.get("difficulty"), "medium")


def content_dir():
    """Where the content files live: ``$FTLAB_CONTENT`` if set, else the package's own ``lessons`` folder."""
    override = os.environ.get("FTLAB_CONTENT")
    if override:
        return Path(override)
    return Path(str(resources.files(__name__) / "lessons"))


def available_lessons():
    """Lesson ids that have a content file, in course order first, then any others."""
    found = {p.stem for p in content_dir().glob("*.yaml")}
    return [lid for lid in LESSON_IDS if lid in found] + sorted(found - set(LESSON_IDS))


def load_lesson_content(lesson_id, directory=None, validate=True):
    """Read ``<lesson_id>.yaml`` and return its dict; raises :class:`ContentError` with a readable message."""
    directory = Path(directory) if directory is not None else content_dir()
    path = directory / f"{lesson_id}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in sorted(directory.glob("*.yaml"))) or "none"
        raise ContentError(f"No learning content for lesson {lesson_id!r} (looked in {directory}). Known: {known}.")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, validate)
    if key not in _cache:  # progress bars re-read every lesson after each answer: parse each file once
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise ContentError(f"{path.name} is not valid YAML: {err}") from None
        if validate:
            problems = validate_content(data)
            if problems:
                listed = "\n".join(f"- {p}" for p in problems[:20])
                raise ContentError(f"{path.name} has {len(problems)} problem(s):\n{listed}")
        _cache[key] = data
    return copy.deepcopy(_cache[key])  # callers may change their copy


_cache = {}


def items_by_id(content):
    """Every quiz, challenge and practice item of a lesson by id (the items with options)."""
    return {item["id"]: item for section in ("quiz", "challenges", "practice") for item in content.get(section) or []}


def diagnostic_forms(content):
    """The lesson's diagnostic: ``{"A": [items], "B": [items]}``, two parallel forms of its own questions."""
    forms = content.get("diagnostic") or {}
    return {form: list(forms.get(form) or []) for form in ("A", "B")} if isinstance(forms, dict) else {}


def diagnostic_items(content, form=None):
    """The items of one diagnostic form, or of both (A, then B) when ``form`` is None."""
    forms = diagnostic_forms(content)
    return list(forms.get(form) or []) if form else [item for items in forms.values() for item in items]
