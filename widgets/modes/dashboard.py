"""Progress views: one lesson's bar and what is due for review (the Progress tab), and the course dashboard with
the spaced review, export and import."""

import html
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as ipw

from .base import button
from .content import COURSE_BADGE, ContentError, available_lessons, load_lesson_content
from .markup import note
from .progress import record as progress_record
from .progress.spaced import ReviewSchedule
from .progress.store import default_store
from .review import ReviewPanel, due_line


@dataclass
class LessonSummary:
    lesson_id: str
    cards_known: int
    cards_total: int
    quiz_right: int
    quiz_total: int
    challenges_solved: int
    challenges_total: int
    badge: bool
    practice_done: int
    practice_total: int
    explains_done: int
    explains_total: int
    title: str = ""

    @property
    def done(self):
        return self.cards_known + self.quiz_right + self.challenges_solved + self.practice_done + self.explains_done

    @property
    def total(self):
        return self.cards_total + self.quiz_total + self.challenges_total + self.practice_total + self.explains_total

    @property
    def fraction(self):
        return self.done / self.total if self.total else 0.0

    def line(self):
        return (
            f"cards {self.cards_known}/{self.cards_total} · quiz {self.quiz_right}/{self.quiz_total} · "
            f"challenges {self.challenges_solved}/{self.challenges_total}{' 🏆' if self.badge else ''} · "
            f"practice {self.practice_done}/{self.practice_total} · explain {self.explains_done}/{self.explains_total}"
        )


def summarize(lesson_id, content, record):
    """Count what is done in one lesson; only items that still exist in the content count. Quiz scores are
    first tries (from the answer log: a question answered again later keeps its first result), and the badge
    counts only when the answer log backs it (:func:`~.progress.record.badge_earned`)."""

    def ids(section):
        return {item["id"] for item in content[section]}

    def count(section, ok):
        return sum(1 for item_id, value in record[section].items() if item_id in ids(section) and ok(value))

    steps = {item["id"]: len(item["steps"]) for item in content["practice"]}
    practiced = {item_id for item_id in steps if progress_record.answers(record, "practice", item_id)}
    first = progress_record.first_tries(record, "quiz")
    return LessonSummary(
        lesson_id=lesson_id,
        cards_known=count("cards", lambda v: v == "known"),
        cards_total=len(content["cards"]),
        quiz_right=sum(1 for item_id in ids("quiz") if first.get(item_id) is True),
        quiz_total=len(content["quiz"]),
        challenges_solved=count("challenges", lambda v: isinstance(v, dict) and v.get("status") == "solved"),
        challenges_total=len(content["challenges"]),
        badge=progress_record.badge_earned(record, [item["id"] for item in content["challenges"]]),
        practice_done=sum(1 for item_id, n in steps.items() if item_id in practiced
                          or _int(record["practice"].get(item_id, {}), "steps_seen") >= n),
        practice_total=len(content["practice"]),
        explains_done=count("explain", lambda v: isinstance(v, dict) and bool(str(v.get("text", "")).strip())),
        explains_total=len(content["explain"]),
        title=str(content.get("title", lesson_id)),
    )


def _int(value, key):
    got = value.get(key) if isinstance(value, dict) else None
    return got if isinstance(got, int) and not isinstance(got, bool) else 0


def course_summaries(store, lesson_ids=None):
    """A :class:`LessonSummary` for every lesson with content (lessons whose content fails to load are skipped)."""
    out = []
    for lesson_id in lesson_ids or available_lessons():
        try:
            content = load_lesson_content(lesson_id)
        except ContentError:
            continue
        out.append(summarize(lesson_id, content, store.lesson(lesson_id)))
    return out


def _bar(fraction, width=220):
    pct = round(100 * fraction)
    return (
        f"<div style='display:inline-block;width:{width}px;height:10px;background:#e8eaed;border-radius:5px;"
        f"vertical-align:middle'><div style='width:{pct}%;height:10px;background:#1a73e8;border-radius:5px'>"
        "</div></div>"
        f" <b>{pct}%</b>"
    )


class _TransferBox(ipw.VBox):
    """Export to a file / import from a file (path or upload)."""

    def __init__(self, store, on_change):
        self.store = store
        self.on_change = on_change
        self.path = ipw.Text(value="my_progress.json", description="File:", layout=ipw.Layout(width="320px"))
        self.export_button = button("Export")
        self.import_button = button("Import")
        self.upload = ipw.FileUpload(
            accept=".json", multiple=False, description="Upload and import", layout=ipw.Layout(width="auto")
        )
        self.message = ipw.HTML()
        self.export_button.on_click(lambda _: self.export())
        self.import_button.on_click(lambda _: self.import_from_path())
        self.upload.observe(self._uploaded, names="value")
        super().__init__([ipw.HBox([self.path, self.export_button, self.import_button, self.upload]), self.message])

    def export(self):
        try:
            path = self.store.export(self.path.value)
        except OSError as err:
            self.message.value = note(f"Could not export: {html.escape(str(err))}", "bad")
            return
        self.message.value = note(f"Exported your progress to <code>{html.escape(str(path))}</code>.", "good")

    def import_from_path(self):
        self._import(Path(self.path.value))

    def _uploaded(self, change):
        files = change["new"]
        if files:
            self._import(bytes(files[0]["content"]))
            self.upload.value = ()  # ready for the next upload, even of the same file

    def _import(self, source):
        try:
            imported = self.store.import_(source)
        except (OSError, ValueError) as err:
            self.message.value = note(f"Nothing imported: {html.escape(str(err))}", "bad")
            return
        aside = f" Set aside, not imported: {html.escape('; '.join(imported.notes))}." if imported.notes else ""
        if imported.lessons:
            self.message.value = note(f"Imported progress for {len(imported.lessons)} lesson(s), merged with what "
                                      f"you had.{aside}", "warn" if aside else "good")
        else:
            self.message.value = note(f"Nothing usable in that file.{aside}", "bad")
        self.on_change(None)


class Progress(ipw.VBox):
    """One lesson's progress bar and counts, plus the course total; updates after every answer."""

    def __init__(self, lesson_id, content=None, store=None):
        self.lesson_id = lesson_id
        self.store = store if store is not None else default_store()
        self.content = content if content is not None else load_lesson_content(lesson_id)
        self.lesson_html = ipw.HTML()
        self.course_html = ipw.HTML()
        self.due_html = ipw.HTML()  # what the spaced review holds for today, from every lesson and from this one
        self.message = ipw.HTML()
        self.transfer = _TransferBox(self.store, self.refresh)
        self.store.observe(self.refresh)
        super().__init__([self.message, self.lesson_html, self.course_html, self.due_html, self.transfer])
        self.refresh()

    @property
    def summary(self):
        return summarize(self.lesson_id, self.content, self.store.lesson(self.lesson_id))

    def refresh(self, _lesson_id=None):
        s = self.summary
        self.message.value = note(html.escape(self.store.message), "warn") if self.store.message else ""
        self.lesson_html.value = f"<b>This lesson</b> {_bar(s.fraction)}<br>{html.escape(s.line())}"
        everything = course_summaries(self.store)
        done, total = sum(x.done for x in everything), sum(x.total for x in everything)
        badges = sum(x.badge for x in everything)
        schedule = ReviewSchedule(self.store)
        self.due_html.value = due_line(schedule, schedule.due(), self.lesson_id)
        self.course_html.value = (
            f"<b>Whole course</b> {_bar(done / total if total else 0)} &middot; badges {badges} / {len(everything)}"
            + (f" &middot; &#127891; <b>{html.escape(COURSE_BADGE)}</b>"
               if everything and badges == len(everything) else "")
        )


def all_badges_earned(store):
    """True when every lesson with content has its challenge badge (the course badge)."""
    summaries = course_summaries(store)
    return bool(summaries) and all(s.badge for s in summaries)


class ProgressDashboard(ipw.VBox):
    """The course overview: a bar per lesson, badges, what is due for review today (and the review itself),
    and export / import of the progress file."""

    def __init__(self, store=None, lesson_ids=None):
        self.store = store if store is not None else default_store()
        self.lesson_ids = lesson_ids
        self.table = ipw.HTML()
        self.message = ipw.HTML()
        self.refresh_button = button("Refresh")
        self.refresh_button.on_click(lambda _: self.refresh(reload=True))
        self.review = ReviewPanel(self.store, extra_buttons=(self.refresh_button,))
        self.due_html, self.review_button, self.review_box = (
            self.review.due_html, self.review.review_button, self.review.review_box)
        self.transfer = _TransferBox(self.store, self.refresh)
        self.store.observe(self.refresh)
        super().__init__([self.message, self.table, self.review, self.transfer])
        self.refresh()

    def due(self):
        """What is due for review today, across lessons."""
        return self.review.due()

    def start_review(self):
        return self.review.start_review()

    @property
    def summaries(self):
        return course_summaries(self.store, self.lesson_ids)

    def refresh(self, _lesson_id=None, reload=False):
        if reload:
            self.store.load()  # pick up what other notebooks saved
        self.message.value = note(html.escape(self.store.message), "warn") if self.store.message else ""
        rows = []
        for s in self.summaries:
            rows.append(
                f"<tr><td style='padding-right:12px' title='{html.escape(s.lesson_id)}'>{html.escape(s.lesson_id[:2])} "
                f"{html.escape(s.title)}</td><td>{_bar(s.fraction, 160)}</td>"
                f"<td style='padding-left:12px;font-size:90%'>{html.escape(s.line())}</td></tr>"
            )
        summaries = self.summaries
        done, total = sum(s.done for s in summaries), sum(s.total for s in summaries)
        badges = sum(s.badge for s in summaries)
        course_badge = (f" &middot; &#127891; <b>{html.escape(COURSE_BADGE)}</b>"
                        if summaries and badges == len(summaries) else "")
        self.review.recount()
        self.table.value = (
            f"<b>Course progress</b> {_bar(done / total if total else 0)} &middot; badges {badges} / {len(summaries)}"
            + course_badge
            + f"<table style='margin-top:6px'>{''.join(rows)}</table>"
            + ("" if rows else note("No lesson content found.", "warn"))
        )
