"""Quiz: multiple choice with one right answer; after each answer, why the choice is right or wrong."""

import random
from dataclasses import dataclass

import ipywidgets as ipw

from ._html import difficulty_tag, md, note
from .store import default_store


@dataclass
class Feedback:
    """What the learner sees after choosing an option."""

    correct: bool
    chosen: int
    right: int
    chosen_text: str
    chosen_explanation: str
    right_text: str
    right_explanation: str

    def html(self):
        mark = "&#10003; Right." if self.correct else "&#10007; Not quite."
        parts = [f"<b>{mark}</b> {md(self.chosen_explanation)}"]
        if not self.correct:
            # option texts may end in a full stop: the explanation goes on a line of its own, never after a colon
            parts.append(f"<b>The answer:</b> {md(self.right_text)}<br><b>Why:</b> {md(self.right_explanation)}")
        return note("<br>".join(parts), "good" if self.correct else "bad")


def right_index(item):
    return next(k for k, option in enumerate(item["options"]) if option.get("correct") is True)


def check(item, chosen):
    """Feedback for choosing option ``chosen`` (0-based) of a quiz/challenge/practice item."""
    options = item["options"]
    if not isinstance(chosen, int) or not 0 <= chosen < len(options):
        raise ValueError(f"choose an option between 1 and {len(options)}")
    right = right_index(item)
    return Feedback(
        correct=chosen == right,
        chosen=chosen,
        right=right,
        chosen_text=options[chosen]["text"],
        chosen_explanation=options[chosen]["explanation"],
        right_text=options[right]["text"],
        right_explanation=options[right]["explanation"],
    )


class QuizSession:
    """One pass through the questions; each question is answered once per pass; a running score."""

    def __init__(self, questions):
        self.questions = list(questions)
        self.index = 0
        self.answers = {}  # question id -> Feedback

    @property
    def current(self):
        return self.questions[self.index] if self.index < len(self.questions) else None

    @property
    def finished(self):
        return self.index >= len(self.questions)

    def answer(self, chosen):
        item = self.current
        if item is None:
            raise RuntimeError("the quiz is over: restart it to go again")
        if item["id"] in self.answers:
            return self.answers[item["id"]]
        feedback = check(item, chosen)
        self.answers[item["id"]] = feedback
        return feedback

    def next(self):
        if not self.finished:
            self.index += 1
        return self.current

    @property
    def score(self):
        """(right, answered)."""
        return sum(f.correct for f in self.answers.values()), len(self.answers)

    def restart(self):
        self.index = 0
        self.answers = {}


def option_picker():
    return ipw.RadioButtons(options=[], value=None, layout=ipw.Layout(width="auto"), style={"description_width": "0px"})


def display_order(item):
    """The order options are shown in: shuffled, so the right one is not always in the same place, but the
    same order every time for a given item (seeded by its id), so a learner and a test see the same thing."""
    order = list(range(len(item["options"])))
    random.Random(str(item["id"])).shuffle(order)
    return order


def set_options(picker, item):
    """Show an item's options; the picker's value is the option's index in the content file."""
    picker.options = [(item["options"][k]["text"], k) for k in display_order(item)]
    picker.value = None


class Quiz(ipw.VBox):
    """The quiz as a widget: pick an option, "Check", read the explanations, "Next"."""

    def __init__(self, questions, lesson_id=None, store=None):
        self.lesson_id = lesson_id
        self.store = store if store is not None else (default_store() if lesson_id else None)
        self.session = QuizSession(questions)
        self.score_label = ipw.HTML()
        self.question = ipw.HTML()
        self.options = option_picker()
        self.feedback = ipw.HTML()
        self.check_button = ipw.Button(description="Check", button_style="primary")
        self.next_button = ipw.Button(description="Next")
        self.restart_button = ipw.Button(description="Start over")
        self.check_button.on_click(lambda _: self._check())
        self.next_button.on_click(lambda _: self._next())
        self.restart_button.on_click(lambda _: self._restart())
        self.buttons = ipw.HBox([self.check_button, self.next_button, self.restart_button])
        super().__init__([self.score_label, self.question, self.options, self.feedback, self.buttons])
        self._show_question()

    def choose(self, k):
        """Select option ``k`` (0-based), as a click would."""
        self.options.value = k

    def _check(self):
        if self.session.finished or self.session.current["id"] in self.session.answers:
            return
        if self.options.value is None:
            self.feedback.value = note("Pick an option first.", "warn")
            return
        item = self.session.current
        feedback = self.session.answer(self.options.value)
        if self.store is not None and self.lesson_id:
            self.store.record(self.lesson_id, "quiz", item["id"], {"chosen": feedback.chosen, "correct": feedback.correct})
        self.feedback.value = feedback.html()
        self._update()

    def _next(self):
        self.session.next()
        self._show_question()

    def _restart(self):
        self.session.restart()
        self._show_question()

    def _show_question(self):
        item = self.session.current
        self.feedback.value = ""
        if item is None:
            right, answered = self.session.score
            text = f"Quiz done: <b>{right} / {answered}</b> right. <b>Start over</b> to try again."
            self.question.value = note(text, "good" if right == answered else "info")
            self.children = [self.score_label, self.question, self.feedback, self.buttons]
        else:
            n = self.session.index + 1
            self.question.value = (
                f"{difficulty_tag(item['difficulty'])} Question {n} of {len(self.session.questions)}"
                f"<div style='margin-top:6px'>{md(item['question'])}</div>"
            )
            self.children = [self.score_label, self.question, self.options, self.feedback, self.buttons]
            set_options(self.options, item)
        self._update()

    def _update(self):
        right, answered = self.session.score
        self.score_label.value = f"Score: <b>{right} / {answered}</b>"
        answered_current = not self.session.finished and self.session.current["id"] in self.session.answers
        self.check_button.disabled = self.session.finished or answered_current
        self.options.disabled = answered_current
        self.next_button.disabled = self.session.finished
