"""What every learning-mode view shares: its lesson, the progress store, saving answers and logging them (only
when there is a lesson to save them to) and scheduling their spaced review, the background jobs it owns, a live
status line, a hint box, and buttons that stay readable (the four grade buttons among them)."""

import threading
import time
import weakref

import ipywidgets as ipw

from ..accessible import LiveHTML
from .markup import md, note
from .progress.spaced import GRADES, ReviewSchedule, choice_rating
from .progress.store import default_store

# Button colours with a contrast ratio of at least 4.5 against white text (ipywidgets' own styles fall short).
PRIMARY = {"button_color": "#1a5fb4", "text_color": "white"}


def button(description, primary=False, width=None):
    """A button; ``primary`` marks the main action of a view."""
    layout = ipw.Layout(width=width or "auto", min_width="80px")
    return ipw.Button(description=description, layout=layout, style=PRIMARY if primary else {})


# What each grade means, said on its button's tooltip: the learner's own judgment of how the recall went.
GRADE_MEANINGS = {"Again": "I did not know it", "Hard": "I knew it, with effort", "Good": "I knew it",
                  "Easy": "I knew it at once"}


def grade_buttons():
    """The four grade buttons, Again to Easy, each saying what it means."""
    buttons = {}
    for rating in GRADES:
        buttons[rating] = button(rating.name)
        buttons[rating].tooltip = f"{rating.name}: {GRADE_MEANINGS[rating.name]}"
    return buttons


class HintBox(ipw.VBox):
    """A "Hint" button and the hint it reveals. ``cost`` says up front what a hint costs (e.g. "-30 s")."""

    def __init__(self, cost=""):
        self.cost = cost
        self.button = button(f"Hint ({cost})" if cost else "Hint")
        self.text = LiveHTML()
        self.shown = False
        super().__init__([self.text])

    def show(self, hint):
        self.shown = True
        self.text.value = note("<b>Hint:</b> " + md(hint), "warn")

    def clear(self):
        self.shown = False
        self.text.value = ""


_newest = {}  # (progress file, lesson id, section) -> the newest view of it in this kernel (a weak reference)
_newest_lock = threading.Lock()


class ModeView(ipw.VBox):
    """The base of the quiz, challenge, practice ... views. ``section`` is where answers go in the progress
    file; with no ``lesson_id`` (a view built from a list of items) nothing is saved. ``clock`` (monotonic
    seconds) times answers; tests inject a fake one.

    Background jobs (a clock's ticker) belong to their view (:meth:`own`): they stop when the view is closed
    and when a newer view of the same lesson's section opens in the kernel (the cell was run again, see
    :meth:`claim`), so no forgotten view keeps writing."""

    section = None

    def __init__(self, lesson_id=None, store=None, clock=time.monotonic):
        self.lesson_id = lesson_id
        self.store = store if store is not None else (default_store() if lesson_id else None)
        self.clock = clock
        self.jobs = []
        self.status = LiveHTML()  # results and messages, announced to screen readers
        super().__init__()

    @property
    def saving(self):
        return self.store is not None and bool(self.lesson_id)

    def saved(self):
        """This view's answers saved so far ({} when nothing is saved)."""
        return self.store.lesson(self.lesson_id)[self.section] if self.saving else {}

    def keep(self, item_id, value):
        """Save an item's state that is not an answer (steps seen, a card's box)."""
        if self.saving:
            self.store.record(self.lesson_id, self.section, item_id, value)

    def record_answer(self, item_id, value, chosen, correct, seconds=None, **marks):
        """Save an answer's record and append it to the answer log, in one write; returns the log entry (None
        when nothing is saved)."""
        if self.saving:
            return self.store.answer(self.lesson_id, self.section, item_id, value, chosen, correct, seconds, **marks)
        return None

    def save(self, item_id, value):
        """Save an item; an answer record (``{"chosen", "correct"}``) is logged as well, so a view that saves
        answers this way has every answer in the log too."""
        if isinstance(value, dict) and isinstance(value.get("correct"), bool) and "chosen" in value:
            self.record_answer(item_id, value, value["chosen"], value["correct"])
        else:
            self.keep(item_id, value)

    def graded(self, item_id, rating):
        """Put this item on the spaced-review schedule, or move it: ``rating`` is Again, Hard, Good or Easy."""
        if self.saving:
            ReviewSchedule(self.store).grade(self.lesson_id, self.section, item_id, rating)

    def answered(self, item_id, right):
        """A multiple-choice answer goes on the spaced-review schedule: right as Good, wrong as Again."""
        self.graded(item_id, choice_rating(right))

    def missed(self, item_id):
        self.answered(item_id, False)

    def tell(self, html, kind="info"):
        self.status.value = note(html, kind) if html else ""

    # ---- background jobs -----------------------------------------------------------------------------
    def own(self, job):
        """Make ``job`` (anything with ``stop()``) this view's: stopped with the view."""
        self.jobs.append(job)
        return job

    def stop_jobs(self):
        for job in self.jobs:
            job.stop()

    def claim(self):
        """Be the newest view of this lesson's section in the kernel; the view it replaces is superseded."""
        if not self.saving:
            return
        key = (str(self.store.path), self.lesson_id, self.section)
        with _newest_lock:
            older = _newest.get(key)
            _newest[key] = weakref.ref(self)
        older = older() if older is not None else None
        if older is not None and older is not self:
            older.superseded()

    def superseded(self):
        """A newer view of the same lesson's section opened: stop this one's background jobs."""
        self.stop_jobs()

    def close(self):
        self.stop_jobs()
        super().close()
