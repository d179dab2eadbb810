"""Timed challenges as a widget: pick a problem, Start its clock (the question appears), answer; a few
pauses (the question hides while paused); a hint that costs time; a named badge when every problem of the
badge round is solved. The rules are in :mod:`widgets.modes.challenge_set`.

The set's state lives in the progress store, saved at every change, so re-running the cell, opening another
view or restarting the kernel resumes it. Each save checks the set's revision under the store's lock: a view
that read an older state (a forgotten view whose clock ran out) overwrites nothing; it re-reads the set."""

import time

import ipywidgets as ipw

from ..accessible import LiveHTML
from .base import HintBox, ModeView, button
from .challenge_set import ChallengeSet
from .choice import ChoiceQuestion, check
from .content import COURSE_BADGE
from .markup import escape, md, note
from .progress import record as progress_record
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
        super().__init__(lesson_id, store, clock)
        self.set = ChallengeSet(problems, clock=clock, wall=self.store.clock if self.saving else time.time)
        self.index = 0
        self.title = title
        self.badge_name = badge
        self.course_badge = course_badge  # callable: True when every lesson's badge is earned
        self.rev = 0  # the revision of the saved set this view's state is based on
        self.retired = False  # a newer view of this challenge took over
        self.earned = False
        self._known = [s.status for s in self.set.states]  # statuses as last saved
        self._warned = set()
        self._pending = None  # an option chosen but not submitted when the problem was paused
        self.ticker = self.own(Ticker(self.refresh, interval=1.0, mode=tick))
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
        self.again_button.tooltip = "A practice round: it cannot earn the badge"
        self.badge = LiveHTML()
        self.picker.observe(self._pick, names="value")
        self.start_button.on_click(lambda _: self.start())
        self.pause_button.on_click(lambda _: self.pause())
        self.submit_button.on_click(lambda _: self.submit())
        self.hint_button.on_click(lambda _: self._hint())
        self.next_button.on_click(lambda _: self._next_problem())
        self.again_button.on_click(lambda _: self._again())
        self.question.on_enter(self.submit)
        self.buttons = ipw.HBox([self.start_button, self.pause_button, self.submit_button, self.hint_button,
                                 self.next_button, self.again_button], layout=ipw.Layout(flex_flow="row wrap"))
        self.children = [self.header, self.rules, self.picker, self.clock_label, self.question, self.buttons,
                         self.hint, self.feedback, self.badge]
        self.claim()
        self._reload() if self.saving else self._show()

    # actions a click triggers (also called by tests)
    @property
    def options(self):
        return self.question.options

    def choose(self, k):
        self.question.value = k

    def go_to(self, i):
        self.picker.value = i

    def start(self):
        if self.retired:
            return
        self.set.start(self.index)
        self._commit()
        self.ticker.start()
        self._show()
        self.question.focus()

    def pause(self):
        if self.retired:
            return
        state = self.set.state(self.index)
        if state.status == "paused":
            self.set.resume(self.index)
            self._commit()
            self.ticker.start()
            self._show()
            if self._pending is not None and self.set.state(self.index).status == "running":
                self.question.value, self._pending = self._pending, None
            self.question.focus()
            return
        pending = self.question.value
        if not self.set.pause(self.index):
            self.feedback.value = note("No pauses left in this set: the clock keeps running.", "warn")
            self.refresh()
            return
        self._pending = pending
        self._commit()
        self._show()
        self.feedback.value = note("Paused: the question is hidden until you resume.", "info")

    def submit(self):
        if self.retired:
            return
        i = self.index
        state = self.set.state(i)
        chosen = self.question.value
        if state.status == "running" and chosen is None:
            self.feedback.value = note("Pick an option first.", "warn")
            return
        tried = len(state.tries)
        outcome = self.set.submit(i, chosen)
        state = self.set.states[i]
        entry = None
        if len(state.tries) > tried:  # an answer was given (in time, or too late): it goes in the log
            late = state.status == "failed" and state.reason == "time" and not outcome.feedback
            entry = progress_record.answer_entry(
                "challenges", self.set.problems[i]["id"], chosen, check(self.set.problems[i], chosen).correct,
                at=self.set.wall(), seconds=state.countdown.elapsed, practice=self.set.practice, late=late,
                round=self.set.round)
        if not self._commit(entry):
            return
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
        if self.retired:
            return
        try:
            self.set.show_hint(self.index)
        except RuntimeError as err:
            self.feedback.value = note(escape(err), "warn")
        self._commit()
        self._show()

    def _next_problem(self):
        following = self.set.next_open(self.index)
        if following is not None:
            self.go_to(following)
            self.start_button.focus()

    def _again(self):
        """A practice round: the badge round happens once, so trying again cannot earn the badge."""
        if self.retired:
            return
        self.set.practice_round()
        self._known = [None] * len(self.set.problems)
        self._warned.clear()
        self._commit()
        self.go_to(0)
        self._show()

    def _pick(self, change):
        self.index = change["new"]  # the clock of the problem left behind keeps running
        self._show()

    # ---- saving and resuming -------------------------------------------------------------------------
    def _commit(self, entry=None):
        """Save the set (and an answer) if the saved set is still the one this view read; otherwise re-read it
        and say so. Returns whether it was saved. A problem newly solved or failed goes on the spaced-review
        schedule (right as Good, wrong as Again)."""
        statuses = [self.set.state(k).status for k in range(len(self.set.problems))]
        finished = [k for k, s in enumerate(statuses) if s in ("solved", "failed") and self._known[k] != s]
        if not self.saving:
            self._known, self.earned = statuses, self.earned or self.set.badge
            return True
        snapshot, ids, rev, at = self.set.snapshot(), [p["id"] for p in self.set.problems], self.rev, self.store.stamp()

        def change(lesson):
            if progress_record.challenge_rev(lesson) != rev:
                return False
            progress_record.put_challenge_round(lesson, rev + 1, **snapshot)
            if entry is not None:
                progress_record.append_answer(lesson, entry)
            if not lesson.get("badge") and not self.set.practice and progress_record.badge_backed(lesson, ids):
                lesson["badge"] = progress_record.badge_record(at, ids)  # written by the code that checked it
            return {"earned": progress_record.badge_earned(lesson, ids)}

        saved = self.store.change_lesson(self.lesson_id, change)
        if saved is False:
            self._reload("This challenge changed in another view (a cell run again, another notebook), so "
                         "nothing was saved here; this is its saved state now.")
            return False
        self.rev, self._known, self.earned = rev + 1, statuses, saved["earned"]
        for k in finished:
            self.answered(self.set.problems[k]["id"], statuses[k] == "solved")
        return True

    def _reload(self, message=""):
        """Take the set's state from the store (a re-run cell, a kernel restart, or a newer save elsewhere)."""
        self.store.load()
        lesson = self.store.lesson(self.lesson_id)
        saved = progress_record.challenge_round(lesson)
        self.set.restore(saved)
        self.rev = saved["rev"]
        self._known = [s.status for s in self.set.states]
        self.earned = progress_record.badge_earned(lesson, [p["id"] for p in self.set.problems])
        states = self.set.states
        index = next((k for k, s in enumerate(states) if s.status in ("running", "paused")), None)
        index = index if index is not None else (self.set.next_open(len(states) - 1) or 0)
        if self.picker.value != index:
            self.picker.value = index  # redraws
        else:
            self._show()
        if message:
            self.feedback.value = note(message, "warn")
        if any(s.status == "running" for s in states):
            self.ticker.start()

    def superseded(self):
        """A newer view of this challenge opened in the kernel: this one stops its clock and hands over."""
        super().superseded()
        self.retired = True
        for control in (*self.buttons.children, self.picker):
            control.disabled = True
        self.question.disabled = True
        self.feedback.value = note("This challenge continues in the newer view (the cell was run again).", "info")

    def close(self):
        self.retired = True
        super().close()

    # ---- drawing -------------------------------------------------------------------------------------
    def _show(self):
        p = self.set.problems[self.index]
        state = self.set.state(self.index)
        heading = f"Problem {self.index + 1} of {len(self.set.problems)}"
        hidden = state.status in ("new", "paused")  # a pause must not buy reading time
        self.question.show(p, heading, category=p["category"], hidden=hidden)
        if hidden:
            why = ("Press <b>Start</b>: the question appears and its clock starts." if state.status == "new"
                   else "Paused: the question is hidden until you press <b>Resume</b>.")
            self.question.prompt.value += f"<div><i>{why}</i></div>"
        if state.tries and not hidden:
            self.question.value = state.tries[-1]
        self.feedback.value = ""
        if state.hint_shown and not hidden:
            self.hints.show(p["hint"])
        else:
            self.hints.clear()
        if state.finished:
            kind = "good" if state.status == "solved" else "bad"
            self.feedback.value = note(md(self.set.final_message(self.index)), kind)
        self.refresh()

    def refresh(self):
        """Redraw the clock, buttons and badge, and save problems whose clock ran out; returns False once no
        clock runs (which stops the ticker)."""
        if self.retired:
            return False
        if [self.set.state(k).status for k in range(len(self.set.problems))] != self._known:  # a clock ran out
            current = self.set.states[self.index].status
            if not self._commit():
                return any(s.status == "running" for s in self.set.states)
            if current == "failed" and self.set.states[self.index].reason == "time":
                self.feedback.value = note(md(self.set.final_message(self.index)), "bad")
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
        can_pause = state.status == "running" and self.set.pauses_left
        self.pause_button.disabled = not (state.status == "paused" or can_pause)
        self.pause_button.description = "Resume" if state.status == "paused" else "Pause"
        self.submit_button.disabled = state.status != "running"
        self.hint_button.disabled = state.status != "running" or state.hint_shown
        self.next_button.disabled = self.set.next_open(self.index) is None
        self.question.disabled = state.status != "running"
        self._draw_header()
        return any(s.status == "running" for s in self.set.states)

    def _draw_header(self):
        n = len(self.set.problems)
        marks = {"solved": "&#10003;", "failed": "&#10007;"}
        row = " ".join(f"{k + 1}{marks.get(self.set.states[k].status, '')}" for k in range(n))
        what = (f"practice round {self.set.round - 1} (it cannot earn the badge)" if self.set.practice
                else f"for the <b>{escape(self.badge_name)}</b> badge")
        self.header.value = f"<b>{escape(self.title)}</b> {what}: {self.set.solved} / {n} solved &middot; {row}"
        if self.earned:
            course = ""
            if self.course_badge is not None and self.course_badge():
                course = f"<br>&#127891; Every lesson's badge: you are a <b>{escape(COURSE_BADGE)}</b>."
            self.badge.value = note(f"&#127942; <b>Badge earned: {escape(self.badge_name)}</b>. "
                                    f"Every challenge of this lesson solved.{course}", "good")
        elif self.set.done:
            self.badge.value = note("Set finished. The badge counts the first round only; <b>Try the set again</b> "
                                    "for a practice round.", "info")
        else:
            self.badge.value = ""
