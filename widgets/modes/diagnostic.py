"""Test this pattern: a diagnostic of 10 questions drawn from the lesson's content, easy to hard, scored per
level, with a verdict that names the sections to read. Take it before the lesson to see where you stand, or
after it to check."""

from dataclasses import dataclass

import ipywidgets as ipw

from ..accessible import LiveHTML
from .base import ModeView, button
from .choice import ChoiceQuestion, check
from .content import LEVELS, level
from .markup import escape, note

STRONG_SHARE = 0.8  # of all questions, and at least half of each level


def section_anchor(number, title):
    """The id JupyterLab gives the heading ``## {number}. {title}`` (spaces become dashes)."""
    return f"{number}. {title}".replace(" ", "-")


@dataclass
class Verdict:
    strong: bool
    by_level: dict  # level -> (right, asked)
    review: list  # (section number, title) to read again, in lesson order

    def html(self, lesson_id=""):
        rows = "".join(f"<tr><td style='padding-right:12px'>{lvl}</td><td><b>{r} / {n}</b></td></tr>"
                       for lvl, (r, n) in self.by_level.items() if n)
        table = f"<table style='margin:4px 0'>{rows}</table>"
        if self.strong:
            text = "<b>Strong.</b> You know this pattern: skim the lesson, then take the challenge."
            return note(text + table, "good")
        links = ", ".join(
            f"<a href='#{escape(section_anchor(number, title))}'>section {number} ({escape(title)})</a>"
            for number, title in self.review
        )
        text = (f"<b>Review {links or 'the lesson'}</b>, then take the quiz." if self.review
                else "<b>Review the lesson</b>.")
        return note(text + table, "info")


class DiagnosticRun:
    """One pass through the diagnostic's items; ``sections`` are the lesson's section titles, in order."""

    def __init__(self, items, sections=()):
        self.items = list(items)
        self.sections = list(sections)
        self.answers = {}  # item id -> Feedback

    def answer(self, i, chosen):
        item = self.items[i]
        if item["id"] not in self.answers:
            self.answers[item["id"]] = check(item, chosen)
        return self.answers[item["id"]]

    @property
    def finished(self):
        return len(self.answers) == len(self.items)

    def by_level(self):
        counts = {lvl: [0, 0] for lvl in LEVELS}
        for item in self.items:
            feedback = self.answers.get(item["id"])
            if feedback is not None:
                counts[level(item)][1] += 1
                counts[level(item)][0] += feedback.correct
        return {lvl: tuple(v) for lvl, v in counts.items()}

    def verdict(self):
        scores = self.by_level()
        right = sum(r for r, _ in scores.values())
        asked = sum(n for _, n in scores.values())
        strong = asked > 0 and right >= STRONG_SHARE * asked and all(r * 2 >= n for r, n in scores.values())
        missed = sorted({item["section"] for item in self.items
                         if item["id"] in self.answers and not self.answers[item["id"]].correct and "section" in item})
        review = [(n, self.sections[n - 1]) for n in missed if 1 <= n <= len(self.sections)]
        return Verdict(strong, scores, review)


class Diagnostic(ModeView):
    """The diagnostic as a widget: ten questions, one at a time, then the score per level and the verdict."""

    section = "diagnostic"

    def __init__(self, items, sections=(), lesson_id=None, store=None):
        super().__init__(lesson_id, store)
        self.run = DiagnosticRun(items, sections)
        self.index = 0
        self.intro = ipw.HTML(note(
            f"<b>Test this pattern:</b> {len(self.run.items)} questions, easy to hard, before or after the lesson. "
            "You get a score per level and the sections worth reading."))
        self.question = ChoiceQuestion()
        self.feedback = LiveHTML()
        self.result = self.status
        self.check_button = button("Check", primary=True)
        self.next_button = button("Next")
        self.restart_button = button("Start over")
        self.check_button.on_click(lambda _: self.check())
        self.next_button.on_click(lambda _: self.next())
        self.restart_button.on_click(lambda _: self.restart())
        self.question.on_enter(self.check)
        self.buttons = ipw.HBox([self.check_button, self.next_button, self.restart_button])
        self._show()

    def choose(self, k):
        self.question.value = k

    def check(self):
        if self.index >= len(self.run.items) or self.run.items[self.index]["id"] in self.run.answers:
            return
        if self.question.value is None:
            self.feedback.value = note("Pick an option first.", "warn")
            return
        item = self.run.items[self.index]
        feedback = self.run.answer(self.index, self.question.value)
        self.save(item["id"], {"chosen": feedback.chosen, "correct": feedback.correct})
        self.feedback.value = feedback.html()
        self._update()
        self.next_button.focus()

    def next(self):
        self.index += 1
        self._show()
        (self.restart_button if self.index >= len(self.run.items) else self.question).focus()

    def restart(self):
        self.run.answers.clear()
        self.index = 0
        self._show()
        self.question.focus()

    def _show(self):
        self.feedback.value = ""
        if self.index >= len(self.run.items):
            self.result.value = self.run.verdict().html()
            self.children = [self.intro, self.result, self.buttons]
        else:
            item = self.run.items[self.index]
            self.question.show(item, f"Question {self.index + 1} of {len(self.run.items)}")
            self.result.value = ""
            self.children = [self.intro, self.question, self.buttons, self.feedback, self.result]
        self._update()

    def _update(self):
        finished = self.index >= len(self.run.items)
        answered = not finished and self.run.items[self.index]["id"] in self.run.answers
        self.check_button.disabled = finished or answered
        self.question.disabled = answered
        self.next_button.disabled = finished
