"""The rules of a timed challenge set, without any widget: a clock per problem, attempts, pauses, hints.

The standard of a timed test: the question stays hidden until its clock starts; a started clock keeps
running when you look at another problem; pauses are few (:data:`PAUSES` per set); a hint costs
:data:`HINT_COST` seconds of the clock, and the rules say so before you start; an answer given after the
time ran out counts as timed out. ``clock`` (seconds, monotonic) is injectable, so tests move time by hand.
"""

import time
from dataclasses import dataclass, field

from .choice import check, right_index
from .content.schema import DEFAULT_ATTEMPTS, DEFAULT_TIME_LIMIT
from .timer import Countdown

PAUSES = 2  # per set
HINT_COST = 30  # seconds


@dataclass
class ProblemState:
    countdown: Countdown
    attempts_left: int
    status: str = "new"  # new -> running/paused -> solved | failed
    reason: str = ""  # why it failed: "attempts" or "time"
    hint_shown: bool = False
    tries: list = field(default_factory=list)  # option indices tried

    @property
    def finished(self):
        return self.status in ("solved", "failed")

    def record(self):
        """What the progress file keeps about this problem."""
        return {
            "status": self.status,
            "reason": "timed out" if self.reason == "time" else self.reason,
            "attempts_used": len(self.tries),
            "seconds": round(self.countdown.elapsed, 1),
            "hint": self.hint_shown,
            "chosen": list(self.tries),
        }


@dataclass
class Outcome:
    correct: bool
    status: str
    attempts_left: int
    message: str
    feedback: object = None  # choice.Feedback when an option was checked in time


class ChallengeSet:
    """The state of a lesson's challenge set."""

    def __init__(self, problems, clock=time.monotonic, time_limit=DEFAULT_TIME_LIMIT, attempts=DEFAULT_ATTEMPTS,
                 pauses=PAUSES, hint_cost=HINT_COST):
        self.problems = list(problems)
        self.clock = clock
        self.time_limit = time_limit
        self.attempts = attempts
        self.pause_allowance = pauses
        self.hint_cost = hint_cost
        self.reset()

    def reset(self):
        self.pauses_left = self.pause_allowance
        self.states = [
            ProblemState(
                countdown=Countdown(p.get("time_limit", self.time_limit), clock=self.clock),
                attempts_left=p.get("attempts", self.attempts),
            )
            for p in self.problems
        ]

    def rules(self):
        """The rules in one sentence, shown before the first Start."""
        limit = self.problems[0].get("time_limit", self.time_limit) if self.problems else self.time_limit
        return (
            f"{len(self.problems)} problems, {limit // 60}:{limit % 60:02d} each, {self.attempts} attempts each. "
            f"The question appears when you press Start; its clock keeps running if you switch problems. "
            f"{self.pause_allowance} pauses for the whole set. A hint costs {self.hint_cost} seconds of the clock."
        )

    def state(self, i):
        """Problem ``i``'s state, after noticing a clock that ran out."""
        s = self.states[i]
        if s.status in ("running", "paused") and s.countdown.expired:
            s.status, s.reason = "failed", "time"
            s.countdown.stop()
        return s

    def start(self, i):
        s = self.state(i)
        if s.status == "new":
            s.countdown.start()
            s.status = "running"
        return s

    def pause(self, i):
        """Pause a running problem; False when no pause is left (the clock goes on)."""
        s = self.state(i)
        if s.status != "running" or self.pauses_left <= 0:
            return False
        s.countdown.pause()
        s.status = "paused"
        self.pauses_left -= 1
        return True

    def resume(self, i):
        s = self.state(i)
        if s.status == "paused":
            s.countdown.resume()
            s.status = "running"
        return s

    def show_hint(self, i):
        """The hint; the first time, its price comes off the clock (only while the problem runs)."""
        s = self.state(i)
        if s.status not in ("running", "paused") and not s.hint_shown:
            raise RuntimeError("start the problem before asking for its hint")
        if not s.hint_shown:
            s.hint_shown = True
            s.countdown.penalize(self.hint_cost)
            self.state(i)  # the price may have used the last seconds
        return self.problems[i]["hint"]

    def submit(self, i, chosen):
        s = self.state(i)
        if s.status == "failed" and s.reason == "time" and chosen is not None and chosen not in s.tries:
            s.tries.append(chosen)  # answered too late: kept, and it counts as timed out
        if s.finished:
            return Outcome(s.status == "solved", s.status, s.attempts_left, self.final_message(i))
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
        return Outcome(feedback.correct, s.status, s.attempts_left, self.final_message(i), feedback)

    def final_message(self, i):
        s = self.states[i]
        if s.status == "solved":
            return f"Solved in {s.countdown.elapsed:.0f} s."
        if s.status == "failed":
            why = "Time's up: timed out." if s.reason == "time" else "No attempts left."
            right = self.problems[i]["options"][right_index(self.problems[i])]
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
        return all(self.state(i).finished for i in range(len(self.problems)))

    def next_open(self, after):
        """The next problem not finished yet, after ``after`` (wrapping round); None when all are finished."""
        n = len(self.problems)
        for k in range(1, n + 1):
            j = (after + k) % n
            if not self.state(j).finished:
                return j
        return None
