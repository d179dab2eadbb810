"""What every learning-mode view shares: its lesson, the progress store, saving answers (only when there is
a lesson to save them to), a live status line, a hint box, and buttons that stay readable."""

import ipywidgets as ipw

from ..accessible import LiveHTML
from .markup import md, note
from .progress.spaced import Leitner
from .progress.store import default_store

# Button colours with a contrast ratio of at least 4.5 against white text (ipywidgets' own styles fall short).
PRIMARY = {"button_color": "#1a5fb4", "text_color": "white"}


def button(description, primary=False, width=None):
    """A button; ``primary`` marks the main action of a view."""
    layout = ipw.Layout(width=width or "auto", min_width="80px")
    return ipw.Button(description=description, layout=layout, style=PRIMARY if primary else {})


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


class ModeView(ipw.VBox):
    """The base of the quiz, challenge, practice ... views. ``section`` is where answers go in the progress
    file; with no ``lesson_id`` (a view built from a list of items) nothing is saved."""

    section = None

    def __init__(self, lesson_id=None, store=None):
        self.lesson_id = lesson_id
        self.store = store if store is not None else (default_store() if lesson_id else None)
        self.status = LiveHTML()  # results and messages, announced to screen readers
        super().__init__()

    @property
    def saving(self):
        return self.store is not None and bool(self.lesson_id)

    def saved(self):
        """This view's answers saved so far ({} when nothing is saved)."""
        return self.store.lesson(self.lesson_id)[self.section] if self.saving else {}

    def save(self, item_id, value):
        if self.saving:
            self.store.record(self.lesson_id, self.section, item_id, value)

    def missed(self, item_id):
        """Bring this item back later (spaced review): the learner got it wrong."""
        if self.saving:
            Leitner(self.store).missed(self.lesson_id, self.section, item_id)

    def tell(self, html, kind="info"):
        self.status.value = note(html, kind) if html else ""
