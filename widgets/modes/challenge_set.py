"""The rules of a timed challenge set, without any widget: a clock per problem, attempts, pauses, hints.

The standard of a timed test: the question stays hidden until its clock starts; a started clock keeps
running when you look at another problem; pauses are few (:data:`PAUSES` per set); a hint costs
:data:`HINT_COST` seconds of the clock, and the rules say so before you start; an answer given after the
time ran out counts as timed out. ``clock`` (seconds, monotonic) is injectable, so tests move time by hand.

Round 1 is the badge round, and there is one: "try again" starts a practice round (:meth:`practice_round`),
which cannot earn the badge. The whole state saves and restores (:meth:`snapshot`, :meth:`restore`), so
re-running the cell or restarting the kernel resumes the set: a clock that was running kept running
(``wall``, seconds since the epoch, measures the time in between).
"""

import time
from dataclasses import dataclass, field

from .choice import check, right_index
from .content.schema import DEFAULT_ATTEMPTS, DEFAULT_TIME_LIMIT
from .progress import record as progress_record
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
    started_at: float = None  # wall clock at the first Start

    @property
    def finished(self):
        return self.status in ("solved", "failed")

    @property
    def flagged(self):
        """Solved faster than anyone reads the question: flagged, and it does not count toward the badge."""
        return self.status == "solved" and self.countdown.elapsed < progress_record.INSTANT

    def record(self, wall_now=None):
        """What the progress file keeps about this problem (:func:`~.progress.record.read_problem` reads it back).
        ``since``: the wall clock at this save while the clock runs, so a restore adds the time in between."""
        return {
            "status": self.status,
            "reason": "timed out" if self.reason == "time" else self.reason,
            "attempts_used": len(self.tries),
            "seconds": round(self.countdown.elapsed, 3),
            "hint": self.hint_shown,
            "chosen": list(self.tries),
            "since": wall_now if self.status == "running" else None,
            "started_at": self.started_at,
            **({"flag": "0.0 s"} if self.flagged else {}),
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
                 pauses=PAUSES, hint_cost=HINT_COST, wall=time.time):
        self.problems = list(problems)
        self.clock = clock
        self.wall = wall
        self.time_limit = time_limit
        self.attempts = attempts
        self.pause_allowance = pauses
        self.hint_cost = hint_cost
        self.round = 1
        self.reset()

    @property
    def practice(self):
        """A practice round: after the badge round, it cannot earn the badge."""
        return self.round > 1

    def reset(self):
        """This round again from the start (fresh clocks, attempts and pauses)."""
        self.pauses_left = self.pause_allowance
        self.states = [
            ProblemState(
                countdown=Countdown(p.get("time_limit", self.time_limit), clock=self.clock),
                attempts_left=p.get("attempts", self.attempts),
            )
            for p in self.problems
        ]

    def practice_round(self):
        """Start the next round, a practice round."""
        self.round += 1
        self.reset()

    def snapshot(self):
        """The set's state, as :func:`~.progress.record.put_challenge_round` saves it."""
        now = self.wall()
        return {"number": self.round, "pauses_left": self.pauses_left,
                "problems": {p["id"]: s.record(now) for p, s in zip(self.problems, self.states)}}

    def restore(self, saved):
        """Go on from a saved state (:func:`~.progress.record.challenge_round`). A clock that was running has
        kept running since it was saved; a problem of the badge round that the answer log shows tried but whose
        record is gone counts as failed, so deleting a record by hand buys no second try."""
        self.round = saved["round"]
        self.reset()
        if saved["pauses_left"] is not None:
            self.pauses_left = min(saved["pauses_left"], self.pause_allowance)
        now = self.wall()
        for problem, state in zip(self.problems, self.states):
            value = saved["problems"].get(problem["id"])
            if value is None:
                if not self.practice and problem["id"] in saved["tried"]:
                    state.status, state.reason = "failed", "attempts"
                continue
            got = progress_record.read_problem(value)
            state.status, state.tries, state.hint_shown = got["status"], got["chosen"], got["hint"]
            state.reason = "time" if got["reason"] in ("timed out", "time") else got["reason"]
            state.started_at = got["started_at"]
            state.attempts_left = max(0, state.attempts_left - sum(t != right_index(problem) for t in state.tries))
            running = state.status == "running"
            since = got["since"] if running and got["since"] is not None else now
            state.countdown.restore(got["seconds"] + max(0.0, now - since), running=running)

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
            s.started_at = self.wall()
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
        if s.status == "solved" and s.flagged:
            return f"Solved in {s.countdown.elapsed:.1f} s: flagged, as nobody reads a question that fast; it does " \
                   "not count toward the badge."
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
        """True when every problem of the badge round is solved in time and none is flagged (a view that saves
        asks the answer log instead: :func:`~.progress.record.badge_earned`)."""
        return (not self.practice and bool(self.problems) and self.solved == len(self.problems)
                and not any(s.flagged for s in self.states))

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
