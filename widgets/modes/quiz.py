"""Quiz: multiple choice with one right answer; after each answer, why the choice is right or wrong; at the
end, a review of every question with the learner's answer, the right one and why. A new view (the cell run
again, a kernel restart) shows the answers already given and goes on from the first question not answered."""

import time

import ipywidgets as ipw

from ..accessible import LiveHTML
from .base import ModeView, button
from .choice import ChoiceQuestion, check, right_index  # noqa: F401  (right_index: also importable from here)
from .markup import escape, md, note


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

    def review(self):
        """Every question with the learner's answer: (item, Feedback or None when skipped)."""
        return [(item, self.answers.get(item["id"])) for item in self.questions]

    def restart(self):
        self.index = 0
        self.answers = {}

    def resume(self, saved):
        """Take back saved answers (``{question id: {"chosen": k, ...}}``) and go to the first question not
        answered (past the end when all are: the review shows)."""
        for item in self.questions:
            record = saved.get(item["id"])
            try:
                self.answers[item["id"]] = check(item, record.get("chosen"))
            except (AttributeError, ValueError):
                continue  # not answered, or not an answer to this version of the question
        self.index = next((k for k, item in enumerate(self.questions) if item["id"] not in self.answers),
                          len(self.questions))


def review_html(session):
    """The end-of-quiz review: each question, the learner's answer, the right one and why."""
    rows = []
    for item, feedback in session.review():
        right = next(o for o in item["options"] if o.get("correct") is True)
        if feedback is None:
            mine, mark = "<i>not answered</i>", "&#8212;"
        else:
            mine = escape(feedback.chosen_text)
            mark = "&#10003;" if feedback.correct else "&#10007;"
        why = md(right["explanation"])
        mistake = "" if feedback is None or feedback.correct else f"<br>Your choice: {md(feedback.chosen_explanation)}"
        rows.append(
            f"<li style='margin-bottom:6px'><b>{mark} {md(item['question'])}</b><br>Your answer: {mine}"
            f"<br>Right answer: {escape(right['text'])}<br>Why: {why}{mistake}</li>"
        )
    return f"<b>Review</b><ol style='margin:4px 0'>{''.join(rows)}</ol>"


class Quiz(ModeView):
    """The quiz as a widget: pick an option, "Check" (or Enter), read the explanations, "Next"."""

    section = "quiz"

    def __init__(self, questions, lesson_id=None, store=None, clock=time.monotonic):
        super().__init__(lesson_id, store, clock)
        self.session = QuizSession(questions)
        self.session.resume(self.saved())
        self._shown_at = clock()
        self.score_label = self.status  # the running score is announced with each result
        self.question = ChoiceQuestion()
        self.feedback = LiveHTML()
        self.check_button = button("Check", primary=True)
        self.next_button = button("Next")
        self.restart_button = button("Start over")
        self.check_button.on_click(lambda _: self._check())
        self.next_button.on_click(lambda _: self._next())
        self.restart_button.on_click(lambda _: self._restart())
        self.question.on_enter(self._check)
        self.summary = ipw.HTML()
        self.buttons = ipw.HBox([self.check_button, self.next_button, self.restart_button])
        self._show_question()

    @property
    def options(self):
        return self.question.options

    def choose(self, k):
        """Select option ``k`` (0-based, content order), as a click would. Raises ValueError for anything but
        an option's number (``True`` is not option 1, ``1.0`` and ``"1"`` are not numbers of options)."""
        n = len(self.session.current["options"]) if self.session.current else 0
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < n:
            raise ValueError(f"choose() takes an option's number, a whole number from 0 to {n - 1} (0-based, in "
                             f"the content file's order), not {k!r}" if n else "the quiz is over: nothing to choose")
        self.question.value = k

    def _check(self):
        if self.session.finished or self.session.current["id"] in self.session.answers:
            return
        if self.question.value is None:
            self.feedback.value = note("Pick an option first.", "warn")
            return
        item = self.session.current
        feedback = self.session.answer(self.question.value)
        self.record_answer(item["id"], {"chosen": feedback.chosen, "correct": feedback.correct}, feedback.chosen,
                           feedback.correct, seconds=self.clock() - self._shown_at)
        self.answered(item["id"], feedback.correct)  # right or wrong, it comes back in the spaced review
        self.feedback.value = feedback.html()
        self._update()
        self.next_button.focus()  # Check is now disabled: keep the focus on the next thing to do

    def _next(self):
        self.session.next()
        self._show_question()
        if self.session.finished:
            self.restart_button.focus()
        else:
            self.question.focus()

    def _restart(self):
        self.session.restart()
        self._show_question()
        self.question.focus()

    def _show_question(self):
        item = self.session.current
        self.feedback.value = ""
        self._shown_at = self.clock()
        if item is None:
            right, answered = self.session.score
            total = len(self.session.questions)
            text = f"Quiz done: <b>{right} / {answered}</b> right ({total - answered} skipped)."
            self.summary.value = note(text + " Read the review below, or <b>Start over</b>.",
                                      "good" if right == total else "info") + review_html(self.session)
            self.children = [self.score_label, self.summary, self.buttons]
        else:
            n = self.session.index + 1
            self.question.show(item, f"Question {n} of {len(self.session.questions)}")
            self.children = [self.score_label, self.question, self.buttons, self.feedback]
        self._update()

    def _update(self):
        right, answered = self.session.score
        self.score_label.value = f"Score: <b>{right} / {answered}</b>"
        answered_current = not self.session.finished and self.session.current["id"] in self.session.answers
        self.check_button.disabled = self.session.finished or answered_current
        self.question.disabled = answered_current
        self.next_button.disabled = self.session.finished
