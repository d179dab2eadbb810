"""Timed challenges as a widget: pick a problem, Start its clock (the question appears), answer; a few
pauses; a hint that costs time; a named badge when every problem is solved. The rules are in
:mod:`widgets.modes.challenge_set`."""

import time

import ipywidgets as ipw

from ..accessible import LiveHTML
from .base import HintBox, ModeView, button
from .challenge_set import ChallengeSet
from .choice import ChoiceQuestion
from .content import COURSE_BADGE
from .markup import escape, md, note
from .timer import Ticker

WARN_AT = 15  # seconds left when the clock turns red and says so


class Challenge(ModeView):
    """The challenge set as a widget.

    ``tick``: how the clock display refreshes (see :class:`~widgets.modes.timer.Ticker`); ``None`` for tests,
    which call :meth:`refresh` themselves. ``badge``: the name of the lesson's badge.
    """

    section = "challenges"

    def __init__(self, problems, lesson_id=None, store=None, clock=time.monotonic, tick="auto", title="Challenge",
                 badge="Challenge badge", course_badge=None):
        super().__init__(lesson_id, store)
        self.set = ChallengeSet(problems, clock=clock)
        self.index = 0
        self.title = title
        self.badge_name = badge
        self.course_badge = course_badge  # callable: True when every lesson's badge is earned
        self._saved = set()  # problems whose final state is saved in this round
        self._warned = set()
        self.ticker = Ticker(self.refresh, interval=1.0, mode=tick)
        self.header = ipw.HTML()
        self.rules = ipw.HTML(note("<b>Rules:</b> " + escape(self.set.rules())))
        self.picker = ipw.ToggleButtons(
            options=[(f"{k + 1}", k) for k in range(len(problems))],
            tooltips=[f"Problem {k + 1}: {p['category']}" for k, p in enumerate(problems)],
            style={"button_width": "48px"},
        )
        self.clock_label = LiveHTML(role="timer")
        self.question = ChoiceQuestion()
        self.feedback = self.status
        self.hints = HintBox(cost=f"-{self.set.hint_cost} s")
        self.hint = self.hints.text
        self.start_button = button("Start", primary=True)
        self.pause_button = button("Pause")
        self.submit_button = button("Submit", primary=True)
        self.hint_button = self.hints.button
        self.next_button = button("Next problem")
        self.again_button = button("Try the set again")
        self.badge = LiveHTML()
        self.picker.observe(self._pick, names="value")
        self.start_button.on_click(lambda _: self.start())
        self.pause_button.on_click(lambda _: self.pause())
        self.submit_button.on_click(lambda _: self.submit())
        self.hint_button.on_click(lambda _: self._hint())
        self.next_button.on_click(lambda _: self._next_problem())
        self.again_button.on_click(lambda _: self._again())
        self.question.on_enter(self.submit)
        buttons = ipw.HBox([self.start_button, self.pause_button, self.submit_button, self.hint_button,
                            self.next_button, self.again_button], layout=ipw.Layout(flex_flow="row wrap"))
        self.children = [self.header, self.rules, self.picker, self.clock_label, self.question, buttons,
                         self.hint, self.feedback, self.badge]
        self._show()

    # actions a click triggers (also called by tests)
    @property
    def options(self):
        return self.question.options

    def choose(self, k):
        self.question.value = k

    def go_to(self, i):
        self.picker.value = i

    def start(self):
        self.set.start(self.index)
        self.ticker.start()
        self._show()
        self.question.focus()

    def pause(self):
        state = self.set.state(self.index)
        if state.status == "paused":
            self.set.resume(self.index)
            self.ticker.start()
            self.refresh()
            self.question.focus()
            return
        if not self.set.pause(self.index):
            self.feedback.value = note("No pauses left in this set: the clock keeps running.", "warn")
        self.refresh()

    def submit(self):
        i = self.index
        state = self.set.state(i)
        chosen = self.question.value
        if state.status == "running" and chosen is None:
            self.feedback.value = note("Pick an option first.", "warn")
            return
        outcome = self.set.submit(i, chosen)
        kind = "good" if outcome.correct else ("bad" if outcome.status == "failed" else "warn")
        if outcome.feedback is not None and not outcome.correct:
            text = f"{md(outcome.feedback.chosen_explanation)}<br>{md(outcome.message)}"
        elif outcome.feedback is not None:
            text = f"<b>&#10003; Right.</b> {md(outcome.feedback.chosen_explanation)} {escape(outcome.message)}"
        else:
            text = md(outcome.message)
        self.feedback.value = note(text, kind)
        self.refresh()
        if self.set.state(i).finished:
            self.next_button.focus() if not self.next_button.disabled else self.again_button.focus()
        else:
            self.question.focus()

    def _hint(self):
        try:
            self.hints.show(self.set.show_hint(self.index))
        except RuntimeError as err:
            self.feedback.value = note(escape(err), "warn")
        self.refresh()

    def _next_problem(self):
        following = self.set.next_open(self.index)
        if following is not None:
            self.go_to(following)
            self.start_button.focus()

    def _again(self):
        self.set.reset()
        self._saved.clear()
        self._warned.clear()
        self._show()

    def _pick(self, change):
        self.index = change["new"]  # the clock of the problem left behind keeps running
        self._show()

    def _save(self, i):
        if i in self._saved:
            return
        self._saved.add(i)
        state = self.set.states[i]
        self.save(self.set.problems[i]["id"], state.record())
        self.answered(self.set.problems[i]["id"], state.status == "solved")  # both come back in the spaced review
        if self.set.badge and self.saving:
            self.store.set_badge(self.lesson_id)

    def _show(self):
        p = self.set.problems[self.index]
        state = self.set.state(self.index)
        heading = f"Problem {self.index + 1} of {len(self.set.problems)}"
        self.question.show(p, heading, category=p["category"], hidden=state.status == "new")
        if state.status == "new":
            self.question.prompt.value += ("<div><i>Press <b>Start</b>: the question appears "
                                           "and its clock starts.</i></div>")
        if state.tries:
            self.question.value = state.tries[-1]
        self.feedback.value = ""
        if state.hint_shown:
            self.hints.show(p["hint"])
        else:
            self.hints.clear()
        if state.finished:
            self.feedback.value = note(md(self.set.final_message(self.index)),
                                       "good" if state.status == "solved" else "bad")
        self.refresh()

    def refresh(self):
        """Redraw the clock, buttons and badge, and save problems whose clock ran out; returns False once no
        clock runs (which stops the ticker)."""
        for k in range(len(self.set.problems)):
            before = self.set.states[k].status
            after = self.set.state(k).status  # notices an expired clock
            if after in ("solved", "failed"):
                if before != after and k == self.index:
                    self.feedback.value = note(md(self.set.final_message(k)), "bad")
                self._save(k)
        state = self.set.states[self.index]
        remaining = state.countdown.remaining
        urgent = state.status == "running" and remaining <= WARN_AT
        if urgent and self.index not in self._warned:
            self._warned.add(self.index)
            self.feedback.value = note(f"{WARN_AT} seconds left.", "warn")
        colour = "#b3261e" if urgent else "#202124"
        words = {"new": "press Start", "running": "", "paused": "paused", "solved": "solved", "failed": "over"}
        self.clock_label.value = (
            f"<span style='font-size:150%;font-family:monospace;color:{colour}'>&#9201; {state.countdown}</span> "
            f"<i>{words[state.status]}</i> &middot; attempts left: <b>{state.attempts_left}</b> "
            f"&middot; pauses left: <b>{self.set.pauses_left}</b>"
        )
        self.start_button.disabled = state.status != "new"
        self.pause_button.disabled = not (state.status == "paused"
                                          or (state.status == "running" and self.set.pauses_left))
        self.pause_button.description = "Resume" if state.status == "paused" else "Pause"
        self.submit_button.disabled = state.status != "running"
        self.hint_button.disabled = state.status not in ("running", "paused") or state.hint_shown
        self.next_button.disabled = self.set.next_open(self.index) is None
        self.question.disabled = state.status != "running"
        n = len(self.set.problems)
        marks = {"solved": "&#10003;", "failed": "&#10007;"}
        row = " ".join(f"{k + 1}{marks.get(self.set.states[k].status, '')}" for k in range(n))
        self.header.value = (f"<b>{escape(self.title)}</b> for the <b>{escape(self.badge_name)}</b> badge: "
                             f"{self.set.solved} / {n} solved &middot; {row}")
        if self.set.badge:
            course = ""
            if self.course_badge is not None and self.course_badge():
                course = f"<br>&#127891; Every lesson's badge: you are a <b>{escape(COURSE_BADGE)}</b>."
            self.badge.value = note(f"&#127942; <b>Badge earned: {escape(self.badge_name)}</b>. "
                                    f"Every challenge of this lesson solved.{course}", "good")
        elif self.set.done:
            self.badge.value = note("Set finished. Solve all of them for the badge: <b>Try the set again</b>.", "info")
        else:
            self.badge.value = ""
        return any(s.status == "running" for s in self.set.states)
