"""The class report as a CSV file beside the page: one row per learner per lesson, for a spreadsheet or a
gradebook. Python's :mod:`csv` module writes it and reads it back; a cell a spreadsheet would take for a formula
(a learner's name that starts with ``=``, ``+``, ``-`` or ``@``) is written with a leading apostrophe."""

import csv
import io

COLUMNS = ("learner", "file", "lesson", "started", "last_activity", "first_try_right", "first_try_answered",
           "first_try_percent", "hints", "failed_challenges", "badge", "done", "items", "diagnostic_first_percent",
           "diagnostic_latest_percent", "flags")


def _cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _percent(share):
    return "" if share is None else round(100 * share)


def rows(summary):
    """The CSV's rows as dicts (keys: :data:`COLUMNS`), learners in the report's order, lessons in course order."""
    out = []
    for learner in summary.learners:
        flags = "; ".join(learner.flags(summary.idle_after))
        for lesson in summary.lessons:
            row = learner.rows.get(lesson.lesson_id)
            gain = row.gain if row else None
            out.append({
                "learner": learner.name, "file": learner.file, "lesson": lesson.lesson_id, "started": bool(row),
                "last_activity": learner.last_active.isoformat(timespec="minutes") if learner.last_active else "",
                "first_try_right": row.right if row else "", "first_try_answered": row.answered if row else "",
                "first_try_percent": _percent(row.share) if row else "", "hints": row.hints if row else "",
                "failed_challenges": row.failed if row else "", "badge": row.badge if row else "",
                "done": row.done if row else "", "items": row.total if row else "",
                "diagnostic_first_percent": _percent(gain[0]) if gain else "",
                "diagnostic_latest_percent": _percent(gain[1]) if gain else "", "flags": flags,
            })
    return out


def report_csv(summary):
    """The whole CSV as text (write it with ``newline=""``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows(summary):
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return buffer.getvalue()
