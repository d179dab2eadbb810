"""The spaced review as a widget: every item due today, across all lessons, one at a time; and the panel that
counts what is due and starts the review, in the course dashboard and in every lesson's Review tab.

Quiz questions and challenge problems come back as questions (no clock), their options in a new order at each
review; cards come back as cards, graded Again, Hard, Good or Easy. Each answer reschedules the item with FSRS
(:mod:`widgets.modes.progress.spaced`)."""

import html
import random

import ipywidgets as ipw
from fsrs import Rating

from ..accessible import LiveHTML
from .base import button, grade_buttons
from .choice import ChoiceQuestion, check
from .content import ContentError, load_lesson_content
from .markup import escape, md, note
from .progress.spaced import ReviewSchedule, choice_rating
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


def review_order(due, item):
    """The order a review shows an item's options in: a new one at each review, so the answer is recalled and
    not its place, yet the same whenever that review is shown again (seeded by the item and the review)."""
    order = list(range(len(item["options"])))
    random.Random(due.seed).shuffle(order)
    return order


class SpacedReview(ipw.VBox):
    """Today's review. ``on_change`` is called after each answer (the dashboard recounts what is due)."""

    def __init__(self, store=None, on_change=None):
        self.store = store if store is not None else default_store()
        self.schedule = ReviewSchedule(self.store)
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
        self.grade_buttons = grade_buttons()
        self.again_button, self.hard_button, self.good_button, self.easy_button = self.grade_buttons.values()
        self.next_button = button("Next")
        self.check_button.on_click(lambda _: self.check())
        self.reveal_button.on_click(lambda _: self.reveal())
        for rating, grade in self.grade_buttons.items():
            grade.on_click(lambda _, rating=rating: self.grade_card(rating))
        self.next_button.on_click(lambda _: self.next())
        self.question.on_enter(self.check)
        self._answered = False
        super().__init__()
        self._show()

    @property
    def current(self):
        return self.queue[self.position] if self.position < len(self.queue) else (None, None)

    @property
    def options(self):
        """The current question's option texts, in the order shown."""
        return list(self.question.options.labels)

    def choose(self, k):
        """Pick option ``k`` (its index in the content file, whatever order it is shown in)."""
        self.question.value = k

    def check(self):
        due, item = self.current
        if due is None or due.kind == "cards" or self._answered:
            return
        if self.question.value is None:
            self.feedback.value = note("Pick an option first.", "warn")
            return
        feedback = check(item, self.question.value)
        self._grade(due, choice_rating(feedback.correct), feedback.chosen)
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
        for rating, days in self.schedule.preview(due).items():  # say what each grade does, as Anki does
            self.grade_buttons[rating].description = f"{rating.name} ({days} d)"
            self.grade_buttons[rating].disabled = False
        self.good_button.focus()

    def grade_card(self, rating):
        """Grade the revealed card Again, Hard, Good or Easy (a :class:`fsrs.Rating`) and go on."""
        due, _ = self.current
        if due is None or due.kind != "cards" or self._answered or not self.reveal_button.disabled:
            return
        self._grade(due, rating)
        self.next()

    def _grade(self, due, rating, chosen=None):
        self._answered = True
        self.right += rating != Rating.Again
        self.store.answer(due.lesson_id, "review", due.key, None, rating.name if chosen is None else chosen,
                          rating != Rating.Again)  # every answer goes in the answer log
        self.schedule.review(due, rating)
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
        where = f"{escape(due.lesson_id)} &middot; {escape(due.kind)} &middot; review {due.reviews + 1}"
        self.header.value = f"<b>Review {self.position + 1} of {len(self.queue)}</b> <small>({where})</small>"
        if due.kind == "cards":
            self.card.value = f"<div style='border:1px solid #dadce0;padding:8px'>{md(item['question'])}</div>"
            self.reveal_button.disabled = False
            for rating, grade in self.grade_buttons.items():
                grade.description, grade.disabled = rating.name, True
            buttons = ipw.HBox([self.reveal_button, *self.grade_buttons.values()],
                               layout=ipw.Layout(flex_flow="row wrap"))
            self.children = [self.header, self.card, buttons, self.feedback]
        else:
            self.question.show(item, "")
            self.question.order = review_order(due, item)
            self.question.options.labels = [item["options"][k]["text"] for k in self.question.order]
            self.question.disabled = False
            self.check_button.disabled = False
            self.children = [self.header, self.question, ipw.HBox([self.check_button, self.next_button]), self.feedback]


class ReviewPanel(ipw.VBox):
    """What is due today across the course (and from ``lesson_id``, when given), and a button that starts the
    review below it. The count follows every answer saved in this kernel."""

    def __init__(self, store=None, lesson_id=None, extra_buttons=()):
        self.store = store if store is not None else default_store()
        self.lesson_id = lesson_id
        self.due_html = ipw.HTML()
        self.review_button = button("Start today's review", primary=True)
        self.review_button.on_click(lambda _: self.start_review())
        self.review_box = ipw.VBox()
        self.store.observe(lambda _lesson_id: self.recount())
        super().__init__([self.due_html, ipw.HBox([self.review_button, *extra_buttons]), self.review_box])
        self.recount()

    def due(self):
        return ReviewSchedule(self.store).due()

    def start_review(self):
        review = SpacedReview(self.store)  # the panel recounts on every answer saved, through the store
        self.review_box.children = [review]
        if review.queue and review.queue[0][0].kind != "cards":
            review.question.focus()
        else:
            (review.reveal_button if review.queue else review.header).focus()
        return review

    def recount(self):
        due = self.due()
        self.due_html.value = due_line(ReviewSchedule(self.store), due, self.lesson_id)
        self.review_button.disabled = not due


def due_line(schedule, due, lesson_id=None):
    """One line of HTML: how many items are ``due`` for review today, per lesson (and from this lesson)."""
    if not due:
        later = schedule.next_date()
        return "<b>Due today for review: 0</b>" + (f" &middot; next on {later.isoformat()}" if later else "")
    per_lesson = {}
    for item in due:
        per_lesson[item.lesson_id] = per_lesson.get(item.lesson_id, 0) + 1
    listed = ", ".join(f"{html.escape(lid[:2])}: {n}" for lid, n in sorted(per_lesson.items()))
    here = f" &middot; from this lesson: {per_lesson.get(lesson_id, 0)}" if lesson_id else ""
    return f"<b>Due today for review: {len(due)}</b> ({listed}){here}"
