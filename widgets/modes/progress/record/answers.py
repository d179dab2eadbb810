"""The answer log and what it backs: every answer in order (:func:`answer_entry`), first tries, the badge
(written by the code that checked it, counted only when the log backs it) and the challenge set's saved
state (a round, its problems, a revision that makes a stale view's write fail)."""

import copy

from .form import ANSWER_MODES, INSTANT, PROBLEM_STATUSES, is_count, is_seconds


def answer_entry(mode, item_id, chosen, correct, at=None, seconds=None, **marks):
    """One answer as the log keeps it. ``at``: seconds since the epoch; ``seconds``: time taken (None when not
    timed); ``marks``: ``practice`` (a practice round), ``late`` (after the time ran out), ``round``. A right
    answer in under :data:`INSTANT` seconds is flagged."""
    entry = {"item": str(item_id), "mode": mode, "chosen": chosen, "correct": bool(correct),
             "at": None if at is None else round(float(at), 3),
             "seconds": None if seconds is None else round(float(seconds), 1)}
    if correct and seconds is not None and seconds < INSTANT:
        entry["flag"] = "0.0 s"
    entry.update((key, value) for key, value in marks.items() if value)
    return entry


def append_answer(lesson, entry):
    """Append ``entry`` to the lesson's log, numbered (``attempt``) after the item's earlier answers."""
    entry = dict(entry, attempt=1 + len(answers(lesson, entry["mode"], entry["item"])))
    lesson.setdefault("log", []).append(entry)
    return entry


def answers(lesson, mode=None, item_id=None):
    """The lesson's logged answers, oldest first, of one mode (and one item) when given."""
    return [e for e in lesson.get("log") or [] if (mode is None or e["mode"] == mode)
            and (item_id is None or e["item"] == str(item_id))]


def first_tries(lesson, mode):
    """``{item id: right or wrong}`` of each item's first logged answer: the score that counts."""
    out = {}
    for entry in sorted(answers(lesson, mode), key=lambda e: e["attempt"]):
        out.setdefault(entry["item"], entry["correct"])
    return out


def backfill_log(lesson):
    """Answers saved before the log existed (a version-1 file), or by a writer that does not log, get a log
    entry marked ``migrated`` from the section's record; items the log already knows are left alone."""
    logged = {(e["mode"], e["item"]) for e in lesson["log"]}

    def add(mode, item_id, chosen, correct, seconds=None):
        append_answer(lesson, answer_entry(mode, item_id, chosen, correct, seconds=seconds, migrated=True))

    for mode in ANSWER_MODES:
        for item_id, value in lesson[mode].items():
            if (mode, item_id) in logged or mode == "review":
                continue
            if mode == "cards" and value in ("known", "review"):
                add(mode, item_id, value, value == "known")
            elif mode == "challenges" and value.get("status") in ("solved", "failed"):
                tries = value.get("chosen") if isinstance(value.get("chosen"), list) else []
                seconds = value.get("seconds") if is_seconds(value.get("seconds")) else None
                for k, chosen in enumerate(tries or [None]):
                    last = k == max(len(tries) - 1, 0)
                    add(mode, item_id, chosen, last and value["status"] == "solved", seconds if last else None)
            elif mode != "cards" and isinstance(value.get("correct"), bool):
                add(mode, item_id, value.get("chosen"), value["correct"])



# ---- badges and the challenge set ---------------------------------------------------------------------------
def counted_solve(entry):
    """A logged solve that can back a badge: a challenge, right, in the badge round, in time, not flagged."""
    return (entry["mode"] == "challenges" and entry["correct"] and not entry.get("practice")
            and not entry.get("late") and not entry.get("flag"))


def badge_backed(lesson, challenge_ids):
    """True when the answer log shows every one of ``challenge_ids`` solved in the badge round."""
    solved = {e["item"] for e in answers(lesson, "challenges") if counted_solve(e)}
    ids = [str(i) for i in challenge_ids]
    return bool(ids) and all(i in solved for i in ids)


def badge_earned(lesson, challenge_ids):
    """The lesson's badge counts only when it was written and the answer log backs it (a hand-edited
    ``"badge": "anything"`` earns nothing)."""
    return bool(lesson.get("badge")) and badge_backed(lesson, challenge_ids)


def badge_record(at_text, challenge_ids):
    return {"at": at_text, "items": sorted(str(i) for i in challenge_ids)}


def challenge_round(lesson):
    """The challenge set's saved state: ``{"rev", "round", "pauses_left", "problems": {id: problem}, "tried"}``.
    Round 1 is the badge round (its problems live in the ``challenges`` section, which the class report reads);
    later rounds are practice (their problems live in ``challenge_set``). ``tried``: the problems the answer
    log shows answered in the badge round. Where a record and the log disagree, the log wins: a problem
    recorded as solved whose badge-round answers were all wrong is failed."""
    saved = lesson.get("challenge_set") or {}
    number = saved.get("round", 1)
    problems = copy.deepcopy(lesson.get("challenges", {}) if number == 1 else saved.get("problems", {}))
    badge_round = [e for e in answers(lesson, "challenges") if not e.get("practice")]
    tried, right = {e["item"] for e in badge_round}, {e["item"] for e in badge_round if e["correct"]}
    for item_id, problem in problems.items() if number == 1 else ():
        if isinstance(problem, dict) and problem.get("status") == "solved" and item_id in tried - right:
            problem.update(status="failed", reason="attempts")
    return {"rev": saved.get("rev", 0), "round": number, "pauses_left": saved.get("pauses_left"),
            "problems": problems, "tried": tried}


def put_challenge_round(lesson, rev, number, pauses_left, problems):
    """Save the set's state (see :func:`challenge_round`); only problems that were started are written."""
    started = {pid: p for pid, p in problems.items() if p["status"] != "new"}
    state = {"rev": rev, "round": number, "pauses_left": pauses_left}
    if number == 1:
        lesson.setdefault("challenges", {}).update(started)
    else:
        state["problems"] = started
    lesson["challenge_set"] = state


def challenge_rev(lesson):
    """The set's revision: every saved change raises it, so a view that read an older one knows it is stale."""
    return (lesson.get("challenge_set") or {}).get("rev", 0)


def read_problem(value):
    """A saved problem, with safe types whatever the file held: status, reason, tries, seconds used, whether
    its hint was taken, when its clock last started (``since``, seconds since the epoch) and was first started."""
    value = value if isinstance(value, dict) else {}

    def number(key):
        got = value.get(key)
        return float(got) if is_seconds(got) and got is not None else None

    status = value.get("status") if value.get("status") in PROBLEM_STATUSES else "new"
    tries = [t for t in value.get("chosen", []) if is_count(t)] if isinstance(value.get("chosen"), list) else []
    return {"status": status, "reason": str(value.get("reason") or ""), "chosen": tries,
            "seconds": number("seconds") or 0.0, "hint": value.get("hint") is True,
            "since": number("since"), "started_at": number("started_at"), "flag": value.get("flag")}
