"""The spaced review as a widget: every item due today, across all lessons, one at a time.

Quiz questions and challenge problems come back as questions (no clock); cards come back as cards. Each
answer moves the item between Leitner boxes (:mod:`widgets.modes.progress.spaced`)."""

import ipywidgets as ipw

from ..accessible import LiveHTML
from .base import button
from .choice import ChoiceQuestion, check
from .content import ContentError, load_lesson_content
from .markup import escape, md, note
from .progress.spaced import Leitner
from .progress.store import default_store


def _find(item, contents):
    """The content item a due entry points at (None when the lesson or the item is gone)."""
    if item.lesson_id not in contents:
        try:
            contents[item.lesson_id] = load_lesson_content(item.lesson_id)
        except ContentError:
            contents[item.lesson_id] = None
    content = contents[item.lesson_id]
    if content is None:
        return None
    return next((c for c in content.get(item.kind) or [] if c.get("id") == item.item_id), None)


class SpacedReview(ipw.VBox):
    """Today's review. ``on_change`` is called after each answer (the dashboard recounts what is due)."""

    def __init__(self, store=None, on_change=None):
        self.store = store if store is not None else default_store()
        self.schedule = Leitner(self.store)
        self.on_change = on_change
        contents = {}
        self.queue = [(due, found) for due in self.schedule.due() if (found := _find(due, contents)) is not None]
        self.position = 0
        self.right = 0
        self.header = LiveHTML()
        self.question = ChoiceQuestion()
        self.card = ipw.HTML()
        self.feedback = LiveHTML()
        self.check_button = button("Check", primary=True)
        self.reveal_button = button("Show answer", primary=True)
        self.got_button = button("Got it")
        self.again_button = button("Review again")
        self.next_button = button("Next")
        self.check_button.on_click(lambda _: self.check())
        self.reveal_button.on_click(lambda _: self.reveal())
        self.got_button.on_click(lambda _: self.grade_card(True))
        self.again_button.on_click(lambda _: self.grade_card(False))
        self.next_button.on_click(lambda _: self.next())
        self.question.on_enter(self.check)
        self._answered = False
        super().__init__()
        self._show()

    @property
    def current(self):
        return self.queue[self.position] if self.position < len(self.queue) else (None, None)

    def choose(self, k):
        self.question.value = k

    def check(self):
        due, item = self.current
        if due is None or due.kind == "cards" or self._answered:
            return
        if self.question.value is None:
            self.feedback.value = note("Pick an option first.", "warn")
            return
        feedback = check(item, self.question.value)
        self._grade(due, feedback.correct)
        self.feedback.value = feedback.html()
        self.question.disabled = True
        self.check_button.disabled = True
        self.next_button.focus()

    def reveal(self):
        due, item = self.current
        if due is None or due.kind != "cards":
            return
        self.card.value += note(md(item["answer"]))
        self.reveal_button.disabled = True
        self.got_button.disabled = self.again_button.disabled = False
        self.got_button.focus()

    def grade_card(self, known):
        due, _ = self.current
        if due is None or due.kind != "cards" or self._answered or not self.reveal_button.disabled:
            return
        self._grade(due, known)
        self.next()

    def _grade(self, due, right):
        self._answered = True
        self.right += bool(right)
        self.schedule.answered(due, right)
        if self.on_change is not None:
            self.on_change()

    def next(self):
        self.position += 1
        self._show()
        if self.position >= len(self.queue):
            self.header.focus()
        elif self.current[0].kind == "cards":
            self.reveal_button.focus()
        else:
            self.question.focus()

    def _show(self):
        self._answered = False
        self.feedback.value = ""
        due, item = self.current
        if due is None:
            later = self.schedule.next_date()
            when = f" Next review: <b>{later.isoformat()}</b>." if later else ""
            done = f"Review done: <b>{self.right} / {len(self.queue)}</b> right.{when}" if self.queue else \
                f"Nothing is due today.{when}"
            self.header.value = note(done, "good")
            self.children = [self.header]
            return
        where = f"{escape(due.lesson_id)} &middot; {escape(due.kind)} &middot; box {due.box}"
        self.header.value = f"<b>Review {self.position + 1} of {len(self.queue)}</b> <small>({where})</small>"
        if due.kind == "cards":
            self.card.value = f"<div style='border:1px solid #dadce0;padding:8px'>{md(item['question'])}</div>"
            self.reveal_button.disabled = False
            self.got_button.disabled = self.again_button.disabled = True
            buttons = ipw.HBox([self.reveal_button, self.got_button, self.again_button])
            self.children = [self.header, self.card, buttons, self.feedback]
        else:
            self.question.show(item, "")
            self.question.disabled = False
            self.check_button.disabled = False
            self.children = [self.header, self.question, ipw.HBox([self.check_button, self.next_button]), self.feedback]
