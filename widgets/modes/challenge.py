"""Timed challenges: each problem has a countdown (pausable), a few attempts and a hint; all right = a badge."""

import time
from dataclasses import dataclass, field

import ipywidgets as ipw

from ._html import code_block, difficulty_tag, md, note, tag
from .content import DEFAULT_ATTEMPTS, DEFAULT_TIME_LIMIT
from .quiz import check, option_picker, set_options
from .store import default_store
from .timer import Countdown, Ticker


@dataclass
class ProblemState:
    countdown: Countdown
    attempts_left: int
    status: str = "new"  # new -> running/paused -> solved | failed
    reason: str = ""  # why it failed: "attempts" or "time"
    hint_shown: bool = False
    tries: list = field(default_factory=list)  # option indices tried


@dataclass
class Outcome:
    correct: bool
    status: str
    attempts_left: int
    message: str
    feedback: object = None  # quiz.Feedback when an option was checked


class ChallengeSet:
    """The state of a lesson's challenge set. ``clock`` (seconds, monotonic) is injectable for tests."""

    def __init__(self, problems, clock=time.monotonic, time_limit=DEFAULT_TIME_LIMIT, attempts=DEFAULT_ATTEMPTS):
        self.problems = list(problems)
        self.clock = clock
        self.time_limit = time_limit
        self.attempts = attempts
        self.reset()

    def reset(self):
        self.states = [
            ProblemState(
                countdown=Countdown(p.get("time_limit", self.time_limit), clock=self.clock),
                attempts_left=p.get("attempts", self.attempts),
            )
            for p in self.problems
        ]

    def state(self, i):
        self._check_time(i)
        return self.states[i]

    def start(self, i):
        s = self.state(i)
        if s.status in ("new", "paused"):
            s.countdown.start()
            s.status = "running"
        return s

    def pause(self, i):
        s = self.state(i)
        if s.status == "running":
            s.countdown.pause()
            s.status = "paused"
        return s

    resume = start

    def show_hint(self, i):
        self.states[i].hint_shown = True
        return self.problems[i]["hint"]

    def submit(self, i, chosen):
        s = self.state(i)
        if s.status in ("solved", "failed"):
            return Outcome(s.status == "solved", s.status, s.attempts_left, self._final_message(i))
        if s.status != "running":
            return Outcome(False, s.status, s.attempts_left, "Start (or resume) the clock first.")
        feedback = check(self.problems[i], chosen)
        s.tries.append(chosen)
        if feedback.correct:
            s.status = "solved"
            s.countdown.stop()
        else:
            s.attempts_left -= 1
            if s.attempts_left <= 0:
                s.status, s.reason = "failed", "attempts"
                s.countdown.stop()
        return Outcome(feedback.correct, s.status, s.attempts_left, self._final_message(i), feedback)

    def _check_time(self, i):
        s = self.states[i]
        if s.status in ("running", "paused") and s.countdown.expired:
            s.status, s.reason = "failed", "time"

    def _final_message(self, i):
        s = self.states[i]
        if s.status == "solved":
            return "Solved."
        if s.status == "failed":
            why = "Time's up." if s.reason == "time" else "No attempts left."
            right = self.problems[i]["options"][next(k for k, o in enumerate(self.problems[i]["options"]) if o["correct"])]
            return f"{why} The answer: {right['text']}. {right['explanation']}"
        left = s.attempts_left
        return f"Not this one. {left} attempt{'s' if left != 1 else ''} left."

    @property
    def solved(self):
        return sum(self.state(i).status == "solved" for i in range(len(self.problems)))

    @property
    def badge(self):
        """True when every problem of the set is solved."""
        return bool(self.problems) and self.solved == len(self.problems)

    @property
    def done(self):
        return all(self.state(i).status in ("solved", "failed") for i in range(len(self.problems)))


class Challenge(ipw.VBox):
    """The challenge set as a widget: pick a problem, Start the clock, answer; Pause; Hint; a badge at the end.

    ``tick``: how the clock display refreshes (see :class:`~widgets.modes.timer.Ticker`); ``None`` for tests,
    which call :meth:`refresh` themselves.
    """

    def __init__(self, problems, lesson_id=None, store=None, clock=time.monotonic, tick="auto", title="Challenge"):
        self.lesson_id = lesson_id
        self.store = store if store is not None else (default_store() if lesson_id else None)
        self.set = ChallengeSet(problems, clock=clock)
        self.index = 0
        self.title = title
        self.ticker = Ticker(self.refresh, interval=1.0, mode=tick)
        self.header = ipw.HTML()
        self.picker = ipw.ToggleButtons(
            options=[(f"{k + 1}", k) for k in range(len(problems))],
            tooltips=[p["category"] for p in problems],
            style={"button_width": "48px"},
        )
        self.clock_label = ipw.HTML()
        self.problem = ipw.HTML()
        self.options = option_picker()
        self.feedback = ipw.HTML()
        self.hint = ipw.HTML()
        self.start_button = ipw.Button(description="Start", button_style="primary")
        self.pause_button = ipw.Button(description="Pause")
        self.submit_button = ipw.Button(description="Submit", button_style="success")
        self.hint_button = ipw.Button(description="Hint")
        self.again_button = ipw.Button(description="Try the set again", layout=ipw.Layout(width="auto"))
        self.badge = ipw.HTML()
        self.picker.observe(self._pick, names="value")
        self.start_button.on_click(lambda _: self.start())
        self.pause_button.on_click(lambda _: self.pause())
        self.submit_button.on_click(lambda _: self.submit())
        self.hint_button.on_click(lambda _: self._hint())
        self.again_button.on_click(lambda _: self._again())
        buttons = ipw.HBox([self.start_button, self.pause_button, self.submit_button, self.hint_button, self.again_button])
        super().__init__(
            [self.header, self.picker, self.clock_label, self.problem, self.options, buttons,
             self.hint, self.feedback, self.badge]
        )
        self._show()

    # actions a click triggers (also called by tests)
    def choose(self, k):
        self.options.value = k

    def go_to(self, i):
        self.picker.value = i

    def start(self):
        self.set.start(self.index)
        self.ticker.start()
        self.refresh()

    def pause(self):
        state = self.set.state(self.index)
        if state.status == "paused":
            self.set.resume(self.index)
            self.ticker.start()
        else:
            self.set.pause(self.index)
        self.refresh()

    def submit(self):
        state = self.set.state(self.index)
        if state.status == "running" and self.options.value is None:
            self.feedback.value = note("Pick an option first.", "warn")
            return
        chosen = self.options.value if self.options.value is not None else 0
        outcome = self.set.submit(self.index, chosen)
        kind = "good" if outcome.correct else ("bad" if outcome.status == "failed" else "warn")
        text = md(outcome.message)
        if outcome.feedback is not None and not outcome.correct:
            text = f"{md(outcome.feedback.chosen_explanation)}<br>{text}"
        elif outcome.feedback is not None:
            text = f"<b>&#10003; Right.</b> {md(outcome.feedback.chosen_explanation)}"
        self.feedback.value = note(text, kind)
        if outcome.feedback is not None:
            self._save(self.index)
        self.refresh()

    def _hint(self):
        self.hint.value = note("<b>Hint:</b> " + md(self.set.show_hint(self.index)), "warn")

    def _again(self):
        self.set.reset()
        self._show()

    def _pick(self, change):
        self.set.pause(self.index)  # one clock at a time: leaving a problem pauses it
        self.index = change["new"]
        self._show()

    def _save(self, i):
        if self.store is None or not self.lesson_id:
            return
        state = self.set.states[i]
        self.store.record(
            self.lesson_id, "challenges", self.set.problems[i]["id"],
            {"status": state.status, "attempts_used": len(state.tries), "reason": state.reason},
        )
        if self.set.badge:
            self.store.set_badge(self.lesson_id)

    def _show(self):
        p = self.set.problems[self.index]
        self.problem.value = (
            f"{tag(p['category'], '#7b1fa2')}{difficulty_tag(p['difficulty'])}"
            f"<div style='margin-top:6px'>{md(p['question'])}</div>" + (code_block(p["code"]) if p.get("code") else "")
        )
        set_options(self.options, p)
        self.feedback.value = ""
        state = self.set.states[self.index]
        self.hint.value = note("<b>Hint:</b> " + md(p["hint"]), "warn") if state.hint_shown else ""
        if state.status in ("solved", "failed"):
            self.feedback.value = note(md(self.set._final_message(self.index)), "good" if state.status == "solved" else "bad")
        self.refresh()

    def refresh(self):
        """Redraw the clock, buttons and badge; returns False once nothing is left to tick (stops the ticker)."""
        i = self.index
        before = self.set.states[i].status
        state = self.set.state(i)  # notices an expired clock
        if state.status == "failed" and before != "failed":
            self.feedback.value = note(md(self.set._final_message(i)), "bad")
            self._save(i)
        clock_text = str(state.countdown)
        colour = "#c5221f" if state.countdown.remaining <= 15 and state.status == "running" else "#202124"
        words = {"new": "press Start", "running": "", "paused": "paused", "solved": "solved", "failed": "over"}
        self.clock_label.value = (
            f"<span style='font-size:150%;font-family:monospace;color:{colour}'>&#9201; {clock_text}</span> "
            f"<i>{words[state.status]}</i> &middot; attempts left: <b>{state.attempts_left}</b>"
        )
        self.start_button.disabled = state.status != "new"
        self.pause_button.disabled = state.status not in ("running", "paused")
        self.pause_button.description = "Resume" if state.status == "paused" else "Pause"
        self.submit_button.disabled = state.status != "running"
        self.options.disabled = state.status != "running"
        n = len(self.set.problems)
        marks = {"solved": "&#10003;", "failed": "&#10007;"}
        row = " ".join(f"{k + 1}{marks.get(self.set.states[k].status, '')}" for k in range(n))
        self.header.value = f"<b>{self.title}</b>: {self.set.solved} / {n} solved &middot; {row}"
        if self.set.badge:
            self.badge.value = note("&#127942; <b>Badge earned:</b> every challenge of this lesson solved.", "good")
        elif self.set.done:
            self.badge.value = note("Set finished. Solve all of them for the badge: <b>Try the set again</b>.", "info")
        else:
            self.badge.value = ""
        return any(s.status == "running" for s in self.set.states)
