"""What one learner's lesson record says, read the way the class report counts it: first tries, diagnostic
runs, hints, failed challenges, when the learner was last active, where they are stuck, what is done.

Every reading of a lesson record for the report goes through this module, so the report follows the record's
format in one place. First tries come from the answer log (``log``: every answer in order, each ``{item, mode,
chosen, correct, at, attempt ...}``) where the record has one; an older record keeps only each item's latest
answer, and then that is all there is to count (a quiz restarted and answered again overwrote the first try).
Diagnostic runs are read from the ``run-...`` entries of the ``diagnostic`` section (two parallel forms, one
before and one after the lesson), or from the log's attempt numbers, or else one run of latest answers.
"""

import datetime
from dataclasses import dataclass

ANSWERED = ("quiz", "practice", "challenges")  # the sections with right and wrong answers (diagnostic apart)
STUCK_AFTER = 2  # the learner's last answers: this many misses in a row in one section flag them as stuck there


@dataclass(frozen=True)
class Answer:
    correct: bool
    chosen: object = None  # the option's index in the content file (None when unknown)


def _log(lesson, mode):
    """The logged answers of one mode, oldest first; only well-formed entries, practice rounds left out."""
    log = lesson.get("log") if isinstance(lesson.get("log"), list) else []
    return [e for e in log if isinstance(e, dict) and e.get("mode") == mode and isinstance(e.get("item"), str)
            and isinstance(e.get("correct"), bool) and not e.get("practice")]


def first_tries(lesson, section):
    """``{item id: Answer}``: each item's first answer in ``section`` (quiz, practice or challenges)."""
    logged = _log(lesson, section)
    if logged:
        out = {}
        for entry in logged:  # the log is in the order answers were given
            out.setdefault(entry["item"], Answer(entry["correct"], entry.get("chosen")))
        return out
    out = {}
    for item_id, value in (lesson.get(section) or {}).items():
        if not isinstance(value, dict):
            continue
        if section == "challenges":
            tries = value.get("chosen") if isinstance(value.get("chosen"), list) else []
            if value.get("status") in ("solved", "failed"):
                out[item_id] = Answer(value["status"] == "solved" and len(tries) <= 1, tries[0] if tries else None)
        elif isinstance(value.get("correct"), bool):
            out[item_id] = Answer(value["correct"], value.get("chosen"))
    return out


def _when(value):
    """A datetime from seconds since the epoch or an ISO / "YYYY-MM-DD HH:MM" text; None when it is neither."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        try:
            return datetime.datetime.fromtimestamp(value)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value.strip()[:19])
        except ValueError:
            return None
    return None


def diagnostic_runs(lesson):
    """The finished diagnostic runs, oldest first: ``[{"at": datetime or None, "answers": {item id: Answer}}]``."""
    section = lesson.get("diagnostic") or {}
    runs = [v for k, v in section.items() if str(k).startswith("run-") and isinstance(v, dict)]
    if runs:
        out = []
        for run in sorted(runs, key=lambda r: str(r.get("started", ""))):
            answers = run.get("answers") if isinstance(run.get("answers"), dict) else {}
            kept = {k: Answer(a["correct"], a.get("chosen")) for k, a in answers.items()
                    if isinstance(a, dict) and isinstance(a.get("correct"), bool)}
            if run.get("finished") and kept:
                out.append({"at": _when(run.get("finished")), "answers": kept})
        return out
    logged = _log(lesson, "diagnostic")
    if logged:
        by_attempt = {}
        for entry in logged:
            attempt = entry.get("attempt") if isinstance(entry.get("attempt"), int) else 1
            by_attempt.setdefault(attempt, {}).setdefault(entry["item"], Answer(entry["correct"], entry.get("chosen")))
        return [{"at": None, "answers": by_attempt[k]} for k in sorted(by_attempt)]
    latest = {k: Answer(v["correct"], v.get("chosen")) for k, v in section.items()
              if isinstance(v, dict) and isinstance(v.get("correct"), bool)}
    return [{"at": None, "answers": latest}] if latest else []


def diagnostic_gain(lesson):
    """(first run's share right, latest run's share right) once two runs are finished, else None."""
    runs = diagnostic_runs(lesson)
    if len(runs) < 2:
        return None
    first, last = runs[0]["answers"], runs[-1]["answers"]
    return sum(a.correct for a in first.values()) / len(first), sum(a.correct for a in last.values()) / len(last)


def hints(lesson):
    """How many hints the learner took (challenges and practice problems)."""
    return sum(1 for section in ("challenges", "practice") for v in (lesson.get(section) or {}).values()
               if isinstance(v, dict) and v.get("hint") is True)


def failed_challenges(lesson):
    """How many challenges the learner failed in the badge round."""
    return sum(1 for v in (lesson.get("challenges") or {}).values()
               if isinstance(v, dict) and v.get("status") == "failed")


def last_activity(lesson):
    """The latest time the record shows (answers logged, challenges started, a diagnostic run, the badge); None
    when it holds no time at all (an older record)."""
    times = [_when(e.get("at")) for e in lesson.get("log") or [] if isinstance(e, dict)]
    times += [_when(v.get(k)) for v in (lesson.get("challenges") or {}).values() if isinstance(v, dict)
              for k in ("since", "started_at")]
    times += [run["at"] for run in diagnostic_runs(lesson)]
    badge = lesson.get("badge")
    times.append(_when(badge.get("at") if isinstance(badge, dict) else badge))
    times = [t for t in times if t is not None]
    return max(times) if times else None


def stuck_at(lessons):
    """``(lesson id, section)`` when the learner's last :data:`STUCK_AFTER` answers (by time, over every lesson,
    the diagnostic left out: it is taken before the lesson) were all wrong and in one section: where they are
    stuck now; else None. Answers without a time (an older record) cannot be ordered and count for nothing."""
    timed = sorted(((e["at"], lesson_id, e) for lesson_id, lesson in lessons.items() for section in ANSWERED
                    for e in _log(lesson, section) if isinstance(e.get("at"), (int, float))), key=lambda t: t[0])
    last = timed[-STUCK_AFTER:]
    if len(last) < STUCK_AFTER or any(e["correct"] for _, _, e in last):
        return None
    places = {(lesson_id, e["mode"]) for _, lesson_id, e in last}
    return places.pop() if len(places) == 1 else None


def done(lesson, content):
    """(items done, items in the lesson): cards known, quiz and practice right on the first try (a wrong practice
    answer is not done), challenges solved in the badge round, explain prompts written."""
    ids = {s: {i["id"] for i in content.get(s, [])} for s in ("cards", "quiz", "practice", "challenges", "explain")}
    count = sum(1 for k, v in (lesson.get("cards") or {}).items() if k in ids["cards"] and v == "known")
    for section in ("quiz", "practice"):
        count += sum(1 for k, a in first_tries(lesson, section).items() if k in ids[section] and a.correct)
    count += sum(1 for k, v in (lesson.get("challenges") or {}).items()
                 if k in ids["challenges"] and isinstance(v, dict) and v.get("status") == "solved")
    count += sum(1 for k, v in (lesson.get("explain") or {}).items()
                 if k in ids["explain"] and isinstance(v, dict) and str(v.get("text", "")).strip())
    return count, sum(len(v) for v in ids.values())


def started(lesson):
    """True when the learner did anything in the lesson."""
    return any(lesson.get(s) for s in ("cards", "quiz", "challenges", "practice", "explain", "diagnostic", "log"))
