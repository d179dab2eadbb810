"""Practice: a worked problem. Answer, then reveal the solution one step at a time; hint and common mistakes."""

import ipywidgets as ipw

from ._html import code_block, difficulty_tag, md, note
from .quiz import check, option_picker, set_options
from .store import default_store


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


class Practice(ipw.VBox):
    """The practice problems as a widget, one at a time."""

    def __init__(self, problems, lesson_id=None, store=None):
        self.lesson_id = lesson_id
        self.store = store if store is not None else (default_store() if lesson_id else None)
        self.problems = [PracticeProblem(item) for item in problems]
        self.index = 0
        self.picker = ipw.ToggleButtons(options=[(f"{k + 1}", k) for k in range(len(problems))], style={"button_width": "48px"})
        self.problem = ipw.HTML()
        self.options = option_picker()
        self.feedback = ipw.HTML()
        self.steps = ipw.HTML()
        self.extra = ipw.HTML()
        self.check_button = ipw.Button(description="Check", button_style="primary")
        self.step_button = ipw.Button(description="Next step")
        self.hint_button = ipw.Button(description="Hint")
        self.mistakes_button = ipw.Button(description="Common mistakes", layout=ipw.Layout(width="auto"))
        self.picker.observe(lambda change: self.go_to(change["new"]), names="value")
        self.check_button.on_click(lambda _: self.check())
        self.step_button.on_click(lambda _: self.next_step())
        self.hint_button.on_click(lambda _: self._extra("hint"))
        self.mistakes_button.on_click(lambda _: self._extra("mistakes"))
        buttons = ipw.HBox([self.check_button, self.step_button, self.hint_button, self.mistakes_button])
        super().__init__([self.picker, self.problem, self.options, buttons, self.feedback, self.steps, self.extra])
        self._show()

    @property
    def current(self):
        return self.problems[self.index]

    def choose(self, k):
        self.options.value = k

    def go_to(self, i):
        self.index = i
        if self.picker.value != i:
            self.picker.value = i  # calls back here once more; harmless
        self._show()

    def check(self):
        if self.options.value is None:
            self.feedback.value = note("Pick an option first.", "warn")
            return
        feedback = self.current.answer(self.options.value)
        self._save()
        self.feedback.value = feedback.html() + note(f"<b>Quick check:</b> {md(self.current.item['quick_check'])}")
        self._render_steps()

    def next_step(self):
        self.current.next_step()
        if self.current.all_steps_shown:
            self._save()
        self._render_steps()

    def _extra(self, which):
        p = self.current
        parts = []
        if which == "hint" or p.hint_shown:
            parts.append(note("<b>Hint:</b> " + md(p.show_hint()), "warn"))
        if which == "mistakes" or p.mistakes_shown:
            items = "".join(f"<li>{md(m)}</li>" for m in p.show_mistakes())
            parts.append(note(f"<b>Common mistakes</b><ul style='margin:2px 0'>{items}</ul>", "bad"))
        self.extra.value = "".join(parts)

    def _save(self):
        if self.store is None or not self.lesson_id:
            return
        p = self.current
        self.store.record(
            self.lesson_id, "practice", p.item["id"],
            {"correct": p.feedback.correct if p.feedback else None, "steps_seen": p.steps_shown},
        )

    def _render_steps(self):
        p = self.current
        shown = p.steps[: p.steps_shown]
        html = "".join(f"<li>{md(s)}</li>" for s in shown)
        out = f"<b>Solution</b> ({p.steps_shown} / {len(p.steps)} steps)<ol style='margin:2px 0'>{html}</ol>" if shown else ""
        if p.final_answer is not None and p.all_steps_shown:
            out += note(f"<b>Final answer:</b> {md(p.final_answer)}", "good")
        self.steps.value = out
        self.step_button.disabled = p.all_steps_shown

    def _show(self):
        p = self.current
        item = p.item
        self.problem.value = (
            f"{difficulty_tag(item['difficulty'])} Problem {self.index + 1} of {len(self.problems)}"
            f"<div style='margin-top:6px'>{md(item['problem'])}</div>" + (code_block(item["code"]) if item.get("code") else "")
        )
        set_options(self.options, item)
        if p.feedback is not None:
            self.options.value = p.feedback.chosen
            self.feedback.value = p.feedback.html() + note(f"<b>Quick check:</b> {md(item['quick_check'])}")
        else:
            self.feedback.value = ""
        self.extra.value = ""
        if p.hint_shown or p.mistakes_shown:
            self._extra(None)
        self._render_steps()
