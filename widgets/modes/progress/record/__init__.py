"""What a progress record means: the one place that says it. Every other module (the store, the views, the
dashboard, the class report) reads a record through the names here.

The file: ``{"version": 2, "lessons": {lesson id: lesson record}, "learner": name}`` (the name is optional).
A lesson record holds one mapping per section (:data:`LESSON_SECTIONS`: item id -> the latest answer or
state), ``log`` (every answer, in order: :func:`answer_entry`; first tries come from it,
:func:`first_tries`), ``badge`` (``{"at", "items"}``, written by the code that checked it and counted only
when the log backs it, :func:`badge_earned`; a version-1 file has a date string) and ``challenge_set`` (the
set's round, pauses left and revision: :func:`challenge_round`).
A version-1 file (no log) is read as it is, its answers logged from their records (``migrated``).

- :mod:`.form`: the format, the sections, what a well-formed value is, the text we write;
- :mod:`.answers`: the answer log, first tries, badges, the challenge set's saved state;
- :mod:`.jsontext`: bytes to JSON values, as far as damaged text can be read;
- :mod:`.salvage`: reading a file (:func:`read`: every well-formed lesson and section kept, the rest set aside
  with a note naming it) and merging two records.
"""

from .answers import (
    answer_entry,
    answers,
    append_answer,
    backfill_log,
    badge_backed,
    badge_earned,
    badge_record,
    challenge_rev,
    challenge_round,
    counted_solve,
    first_tries,
    put_challenge_round,
    read_problem,
)
from .form import (
    ANSWER_MODES,
    FORMAT_VERSION,
    INSTANT,
    LESSON_SECTIONS,
    MAX_DEPTH,
    MAX_NAME,
    PROBLEM_STATUSES,
    dumps,
    empty,
    empty_lesson,
    learner_name,
)
from .jsontext import ProgressFileError
from .salvage import Reading, merge, parse, read, salvage

__all__ = ["ANSWER_MODES", "FORMAT_VERSION", "INSTANT", "LESSON_SECTIONS", "MAX_DEPTH", "MAX_NAME", "PROBLEM_STATUSES",
    "ProgressFileError", "Reading", "answer_entry", "answers", "append_answer", "backfill_log",
    "badge_backed", "badge_earned", "badge_record", "challenge_rev", "challenge_round", "counted_solve",
    "dumps", "empty", "empty_lesson", "first_tries", "learner_name", "merge", "parse", "put_challenge_round", "read",
    "read_problem", "salvage"]
