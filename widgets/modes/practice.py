"""Practice: a worked problem. Answer, then reveal the solution one step at a time; hint and common mistakes.
A new view (the cell run again, a kernel restart) shows what was saved: the answer, the steps seen, the hint."""

import time

import ipywidgets as ipw

from ..accessible import LiveHTML
from .base import HintBox, ModeView, button
from .choice import ChoiceQuestion, check
from .markup import escape, md, note


class PracticeProblem:
    """One problem's state: the chosen answer, how many solution steps are shown, hint and mistakes shown."""

    def __init__(self, item):
        self.item = item
        self.steps_shown = 0
        self.feedback = None
        self.hint_shown = False
        self.mistakes_shown = False

    @property
    def steps(self):
        return list(self.item["steps"])

    @property
    def all_steps_shown(self):
        return self.steps_shown >= len(self.item["steps"])

    def answer(self, chosen):
        self.feedback = check(self.item, chosen)
        return self.feedback

    def next_step(self):
        """Reveal one more step; returns the steps shown so far."""
        if not self.all_steps_shown:
            self.steps_shown += 1
        return self.steps[: self.steps_shown]

    def show_hint(self):
        self.hint_shown = True
        return self.item["hint"]

    def show_mistakes(self):
        self.mistakes_shown = True
        return list(self.item["mistakes"])

    @property
    def final_answer(self):
        """The final answer, shown once every step is revealed (or the learner answered)."""
        if self.all_steps_shown or self.feedback is not None:
            return self.item["answer"]
        return None

    @property
    def done(self):
        return self.feedback is not None or self.all_steps_shown

    def record(self):
        """What the progress file keeps about this problem."""
        return {"correct": self.feedback.correct if self.feedback else None,
                "chosen": self.feedback.chosen if self.feedback else None, "steps_seen": self.steps_shown,
                "hint": self.hint_shown, "mistakes": self.mistakes_shown}

    def resume(self, saved):
        """Take back a saved record (see :meth:`record`); what does not fit this problem is ignored."""
        if not isinstance(saved, dict):
            return
        try:
            self.feedback = check(self.item, saved.get("chosen"))
        except ValueError:
            self.feedback = None
        steps = saved.get("steps_seen")
        if isinstance(steps, int) and not isinstance(steps, bool):
            self.steps_shown = max(0, min(steps, len(self.item["steps"])))
        self.hint_shown = saved.get("hint") is True
        self.mistakes_shown = saved.get("mistakes") is True


class Practice(ModeView):
    """The practice problems as a widget, one at a time."""

    section = "practice"

    def __init__(self, problems, lesson_id=None, store=None, clock=time.monotonic):
        super().__init__(lesson_id, store, clock)
        self.problems = [PracticeProblem(item) for item in problems]
        saved = self.saved()
        for problem in self.problems:
            problem.resume(saved.get(problem.item["id"]))
        self._shown_at = clock()
        self.index = 0
        self.picker = ipw.ToggleButtons(options=[(f"{k + 1}", k) for k in range(len(problems))],
                                        tooltips=[f"Problem {k + 1}" for k in range(len(problems))],
                                        style={"button_width": "48px"})
        self.question = ChoiceQuestion()
        self.feedback = self.status
        self.steps = LiveHTML()
        self.hints = HintBox()
        self.mistakes = LiveHTML()
        self.check_button = button("Check", primary=True)
        self.step_button = button("Next step")
        self.hint_button = self.hints.button
        self.mistakes_button = button("Common mistakes")
        self.picker.observe(lambda change: self.go_to(change["new"]), names="value")
        self.check_button.on_click(lambda _: self.check())
        self.step_button.on_click(lambda _: self.next_step())
        self.hint_button.on_click(lambda _: self._hint())
        self.mistakes_button.on_click(lambda _: self._show_mistakes())
        self.question.on_enter(self.check)
        buttons = ipw.HBox([self.check_button, self.step_button, self.hint_button, self.mistakes_button],
                           layout=ipw.Layout(flex_flow="row wrap"))
        self.children = [self.picker, self.question, buttons, self.feedback, self.steps, self.hints, self.mistakes]
        self._show()

    @property
    def current(self):
        return self.problems[self.index]

    @property
    def options(self):
        return self.question.options

    @property
    def extra(self):
        """The hint and the common mistakes, as one text (for tests and screen captures)."""
        return self.hints.text.value + self.mistakes.value

    def choose(self, k):
        self.question.value = k

    def go_to(self, i):
        self.index = i
        if self.picker.value != i:
            self.picker.value = i  # calls back here once more; harmless
        self._show()

    def check(self):
        if self.question.value is None:
            self.feedback.value = note(escape(self.question.missing), "warn")  # no option, or no number typed
            return
        feedback = self.current.answer(self.question.value)
        self.record_answer(self.current.item["id"], self.current.record(), feedback.chosen, feedback.correct,
                           seconds=self.clock() - self._shown_at)
        self.feedback.value = feedback.html() + note(f"<b>Quick check:</b> {md(self.current.item['quick_check'])}")
        self._render_steps()
        self.step_button.focus() if not self.step_button.disabled else self.question.focus()

    def next_step(self):
        self.current.next_step()
        self._save()
        self._render_steps()
        if self.step_button.disabled:
            self.mistakes_button.focus()

    def _hint(self):
        self.hints.show(self.current.show_hint())
        self._save()

    def _mistakes(self):
        items = "".join(f"<li>{md(m)}</li>" for m in self.current.show_mistakes())
        self.mistakes.value = note(f"<b>Common mistakes</b><ul style='margin:2px 0'>{items}</ul>", "bad")

    def _show_mistakes(self):
        self._mistakes()
        self._save()

    def _save(self):
        self.keep(self.current.item["id"], self.current.record())

    def _render_steps(self):
        p = self.current
        shown = p.steps[: p.steps_shown]
        html = "".join(f"<li>{md(s)}</li>" for s in shown)
        out = (f"<b>Solution</b> ({p.steps_shown} / {len(p.steps)} steps)<ol style='margin:2px 0'>{html}</ol>"
               if shown else "")
        if p.final_answer is not None and p.all_steps_shown:
            out += note(f"<b>Final answer:</b> {md(p.final_answer)}", "good")
        self.steps.value = out
        self.step_button.disabled = p.all_steps_shown

    def _show(self):
        p = self.current
        item = p.item
        self._shown_at = self.clock()
        self.question.show(item, f"Problem {self.index + 1} of {len(self.problems)}", category=item.get("category"))
        if p.feedback is not None:
            self.question.value = p.feedback.chosen
            self.feedback.value = p.feedback.html() + note(f"<b>Quick check:</b> {md(item['quick_check'])}")
        else:
            self.feedback.value = ""
        if p.hint_shown:
            self.hints.show(item["hint"])
        else:
            self.hints.clear()
        if p.mistakes_shown:
            self._mistakes()
        else:
            self.mistakes.value = ""
        self._render_steps()
