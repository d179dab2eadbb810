"""Lesson content for the learning modes: find, load and validate ``course/content/<lesson_id>.yaml``.

A content file has the top-level keys ``cards``, ``quiz``, ``challenges``, ``practice``, ``explain`` and
``cheatsheet`` (and an optional ``title``). :func:`validate_content` lists every problem in a file, so a broken
file gets a clear message instead of a half-working widget. Text may use `code`, **bold** and ```code blocks```.

The items (every ``id`` unique in its lesson; ``difficulty`` is one of :data:`DIFFICULTIES`)::

    cards:      id, difficulty, question, answer
    quiz:       id, difficulty, question, options
    challenges: id, category (one of CATEGORIES), difficulty, question, options, hint,
                code (required for "Predict Output": its printed output is the right option's text),
                time_limit (seconds, default 120), attempts (default 2)
    practice:   id, difficulty, problem, options, steps (list), answer, quick_check (one line), hint,
                mistakes (list), code (optional)
    explain:    id, prompt, hint, concepts: [{concept, keywords: [words that pre-tick it]}]
    cheatsheet: points (list), code: [{title, code}]

``options`` is a list of ``{text, correct: true/false, explanation}`` with exactly one right option; every
option explains itself, since the learner sees the explanation of whatever they picked.
"""

import copy
import os
from pathlib import Path

import yaml

#: the lessons of the course, in order
LESSON_IDS = (
    "01_why_fine_tune",
    "02_freezing_layers",
    "03_strategy_in_vision",
    "04_learning_rate",
    "05_choosing_a_model",
    "06_reading_the_metrics",
    "07_capstone",
)
DIFFICULTIES = ("beginner", "intermediate", "advanced", "expert")
CATEGORIES = ("Conceptual", "Predict Output", "Model Choice", "Hyperparameter", "Metrics")
SECTIONS = ("cards", "quiz", "challenges", "practice", "explain", "cheatsheet")
#: the least each lesson must hold
MINIMUM_COUNTS = {"cards": 5, "quiz": 5, "challenges": 3, "practice": 3, "explain": 2}
DEFAULT_TIME_LIMIT = 120  # seconds per challenge problem
DEFAULT_ATTEMPTS = 2


# libyaml's loader when PyYAML was built with it (about 8x faster), else the pure-Python one; both are safe loaders
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(ValueError):
    """A content file is missing or does not follow the schema; the message says what to fix."""


def content_dir():
    """Where the content files live: ``$FTLAB_CONTENT`` if set, else ``course/content`` next to the package."""
    override = os.environ.get("FTLAB_CONTENT")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "course" / "content"


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


def _options_problems(where, options, key_text=None):
    problems = []
    if not isinstance(options, list) or len(options) < 2:
        return [f"{where}: needs a list of at least 2 options"]
    right = [o for o in options if isinstance(o, dict) and o.get("correct") is True]
    if len(right) != 1:
        problems.append(f"{where}: needs exactly one option with correct: true (found {len(right)})")
    texts = []
    for k, option in enumerate(options):
        if not isinstance(option, dict):
            problems.append(f"{where}: option {k + 1} is not a mapping")
            continue
        if not str(option.get("text", "")).strip():
            problems.append(f"{where}: option {k + 1} has no text")
        elif "`" in str(option["text"]) or "\n" in str(option["text"]).strip():
            # options are radio-button labels, shown as plain text
            problems.append(f"{where}: option {k + 1} text must be one line of plain text (no backticks)")
        if not str(option.get("explanation", "")).strip():
            problems.append(f"{where}: option {k + 1} has no explanation")
        if "correct" in option and not isinstance(option["correct"], bool):
            problems.append(f"{where}: option {k + 1} correct must be true or false")
        texts.append(str(option.get("text", "")).strip())
    if len(set(texts)) != len(texts):
        problems.append(f"{where}: two options have the same text")
    return problems


def _item_problems(section, item, k, required):
    where = f"{section}[{k}]"
    if not isinstance(item, dict):
        return [f"{where}: not a mapping"]
    where = f"{section} {item.get('id', k)!r}"
    problems = [f"{where}: missing {key}" for key in ("id",) + required if not str(item.get(key, "")).strip()]
    if section != "explain" and item.get("difficulty") not in DIFFICULTIES:
        problems.append(f"{where}: difficulty {item.get('difficulty')!r} is not one of {', '.join(DIFFICULTIES)}")
    return problems


def validate_content(data):
    """Every schema problem in one lesson's content, as readable strings (empty list = valid)."""
    if not isinstance(data, dict):
        return ["the file must be a mapping with keys " + ", ".join(SECTIONS)]
    problems = [f"missing top-level key {key!r}" for key in SECTIONS if key not in data]
    problems += [f"unknown top-level key {key!r}" for key in data if key not in SECTIONS + ("title",)]
    for section, least in MINIMUM_COUNTS.items():
        items = data.get(section) or []
        if not isinstance(items, list):
            problems.append(f"{section} must be a list")
            continue
        if len(items) < least:
            problems.append(f"{section}: has {len(items)} item(s), needs at least {least}")
        ids = [item.get("id") for item in items if isinstance(item, dict)]
        duplicates = sorted({str(i) for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.append(f"{section}: duplicate ids {', '.join(duplicates)}")
        for k, item in enumerate(items):
            if section == "cards":
                problems += _item_problems(section, item, k, ("question", "answer"))
            elif section == "quiz":
                problems += _item_problems(section, item, k, ("question",))
                if isinstance(item, dict):
                    problems += _options_problems(f"quiz {item.get('id')!r}", item.get("options"))
            elif section == "challenges":
                problems += _item_problems(section, item, k, ("question", "hint"))
                if isinstance(item, dict):
                    where = f"challenge {item.get('id')!r}"
                    problems += _options_problems(where, item.get("options"))
                    if item.get("category") not in CATEGORIES:
                        problems.append(f"{where}: category {item.get('category')!r} is not one of {', '.join(CATEGORIES)}")
                    if item.get("category") == "Predict Output" and not str(item.get("code", "")).strip():
                        problems.append(f"{where}: a Predict Output challenge needs its code")
                    for key, default in (("time_limit", DEFAULT_TIME_LIMIT), ("attempts", DEFAULT_ATTEMPTS)):
                        value = item.get(key, default)
                        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                            problems.append(f"{where}: {key} must be a positive whole number")
            elif section == "practice":
                problems += _item_problems(section, item, k, ("problem", "answer", "quick_check", "hint"))
                if isinstance(item, dict):
                    where = f"practice {item.get('id')!r}"
                    problems += _options_problems(where, item.get("options"))
                    for key in ("steps", "mistakes"):
                        value = item.get(key)
                        if not isinstance(value, list) or not value or not all(str(s).strip() for s in value):
                            problems.append(f"{where}: {key} must be a non-empty list of text")
                    if "\n" in str(item.get("quick_check", "")).strip():
                        problems.append(f"{where}: quick_check must be one line")
            elif section == "explain":
                problems += _item_problems(section, item, k, ("prompt", "hint"))
                if isinstance(item, dict):
                    concepts = item.get("concepts")
                    where = f"explain {item.get('id')!r}"
                    if not isinstance(concepts, list) or len(concepts) < 2:
                        problems.append(f"{where}: needs a list of at least 2 concepts")
                    else:
                        for c in concepts:
                            if not isinstance(c, dict) or not str(c.get("concept", "")).strip():
                                problems.append(f"{where}: every concept needs a 'concept' text")
                            elif not isinstance(c.get("keywords", []), list):
                                problems.append(f"{where}: keywords of {c.get('concept')!r} must be a list")
    sheet = data.get("cheatsheet")
    if sheet is not None:
        if not isinstance(sheet, dict):
            problems.append("cheatsheet must be a mapping with 'points' and 'code'")
        else:
            if not isinstance(sheet.get("points"), list) or len(sheet.get("points") or []) < 3:
                problems.append("cheatsheet: needs at least 3 points")
            code = sheet.get("code")
            if not isinstance(code, list) or not code:
                problems.append("cheatsheet: needs a list of code snippets")
            else:
                for snippet in code:
                    if not isinstance(snippet, dict) or not snippet.get("title") or not snippet.get("code"):
                        problems.append("cheatsheet: every code snippet needs a title and code")
    return problems
