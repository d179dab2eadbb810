"""A made-up class, for trying the class report (and for its tests and screenshot): ``learners`` progress
files as the Progress tab's Export writes them, with the learners' names and an answer log (every answer, with
its time), plus a few files a real folder collects (a note, a damaged export, some other JSON), which the report
must skip and list.

The class holds the learners the report exists to find: one who got every quiz question wrong, restarted and
answered again (first tries: none right), two whose last two answers were misses in one section, two with no
activity for over a week, and two who never gave a name (the report shows their file name).
"""

import random
import time
from pathlib import Path

from ..choice import check, right_index
from ..content import available_lessons, diagnostic_items, items_by_id, level, load_lesson_content
from ..progress.record import dumps, empty, empty_lesson

NAMES = ("Ada", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kofi", "Lena", "Mateo", "Nia",
         "Omar", "Pia", "Quinn", "Ravi", "Sara", "Tom", "Uma", "Vic", "Wen", "Xavi", "Yara", "Zoe")
_HARDNESS = {"easy": 0.0, "medium": 0.12, "hard": 0.25}
DAY = 86400.0
#: the learners with a part to play, by their place in the class (a smaller class has the first ones)
RESTARTER, STUCK, IDLE, NAMELESS = (2,), (4, 15), (7, 20), (10, 24)


def _choose(rng, item, skill):
    """The option a learner picks: right with a chance that falls with the level; when wrong, the first wrong
    option is the tempting one (chosen more often), so the report has a "most chosen wrong answer" to show.
    An item answered with a number gets its value, or the number of its first listed misconception."""
    if "numeric" in item:
        spec = item["numeric"]
        misses = [m["value"] for m in spec.get("misses") or []] or [spec["value"] * 10]
        return spec["value"] if rng.random() < skill - _HARDNESS[level(item)] else misses[0]
    right = right_index(item)
    if rng.random() < skill - _HARDNESS[level(item)]:
        return right
    wrong = [k for k in range(len(item["options"])) if k != right]
    return wrong[0] if rng.random() < 0.6 else rng.choice(wrong)


class _Writer:
    """One learner's lesson record being written, answer by answer, with a clock."""

    def __init__(self, rng, at):
        self.rng, self.at, self.record = rng, at, empty_lesson()
        self.record["log"] = []

    def log(self, mode, item, chosen, seconds=None):
        self.at += self.rng.uniform(20, 90)
        attempt = 1 + sum(1 for e in self.record["log"] if e["item"] == item["id"] and e["mode"] == mode)
        entry = {"item": item["id"], "mode": mode, "chosen": chosen, "correct": check(item, chosen).correct,
                 "at": round(self.at, 3), "seconds": seconds, "attempt": attempt}
        self.record["log"].append(entry)
        return entry["correct"]

    def diagnostic(self, items, skill, form):
        started = self.at
        run = {k["id"]: self.answer("diagnostic", k, _choose(self.rng, k, skill)) for k in items}
        key = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started))
        self.record["diagnostic"][f"run-{key}-{form}"] = {
            "form": form, "started": key, "finished": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.at)),
            "answers": run, "score": [sum(a["correct"] for a in run.values()), len(run)]}

    def answer(self, mode, item, chosen):
        return {"chosen": chosen, "correct": self.log(mode, item, chosen)}


def _forms(content):
    """The diagnostic's two forms: (A, B) where the content has them, else its one list taken twice."""
    forms = content.get("diagnostic")
    if isinstance(forms, dict):
        known = items_by_id(content)
        resolve = [[known.get(i, i) if isinstance(i, str) else i for i in forms.get(f) or []] for f in ("A", "B")]
        return [[i for i in items if isinstance(i, dict)] for items in resolve]
    items = diagnostic_items(content)
    return items, items


def _lesson_record(rng, content, skill, at, role, last_lesson):
    w = _Writer(rng, at)
    record = w.record
    form_a, form_b = _forms(content)
    pre = form_a and rng.random() < 0.7
    if pre:
        w.diagnostic(form_a, skill - 0.15, "A")
    for card in content["cards"]:
        if rng.random() < 0.8:
            record["cards"][card["id"]] = "known" if rng.random() < skill else "review"
    quiz = content["quiz"]
    if role == "restarter":  # every question wrong, then "Start over" and every question right: 0 right first time
        for item in quiz:
            w.answer("quiz", item, (right_index(item) + 1) % len(item["options"]))
        for item in quiz:
            record["quiz"][item["id"]] = w.answer("quiz", item, right_index(item))
    elif role == "stuck" and last_lesson:  # the quiz's last two answers wrong, and nothing since
        for k, item in enumerate(quiz):
            chosen = _choose(rng, item, skill) if k < len(quiz) - 2 else (right_index(item) + 1) % len(item["options"])
            record["quiz"][item["id"]] = w.answer("quiz", item, chosen)
        return record, w.at
    else:
        for item in quiz:
            if rng.random() < 0.95:
                record["quiz"][item["id"]] = w.answer("quiz", item, _choose(rng, item, skill))
    for item in content["practice"]:
        if rng.random() < 0.9:
            hint = rng.random() < 0.25
            answer = w.answer("practice", item, _choose(rng, item, skill + 0.1 * hint))
            record["practice"][item["id"]] = dict(answer, steps_seen=rng.randint(0, len(item["steps"])), hint=hint)
    solved_all = True
    for item in content["challenges"]:
        hint = rng.random() < 0.3
        seconds = round(rng.uniform(20, 110), 1)
        tries = [_choose(rng, item, skill + 0.1 * hint)]
        if tries[0] != right_index(item):
            tries.append(_choose(rng, item, skill + 0.1 * hint))
        for chosen in tries:
            w.log("challenges", item, chosen, seconds)
        solved = tries[-1] == right_index(item)
        timed_out = not solved and rng.random() < 0.3
        reason = "" if solved else ("timed out" if timed_out else "attempts")
        record["challenges"][item["id"]] = {
            "status": "solved" if solved else "failed", "reason": reason, "attempts_used": len(tries),
            "seconds": 120.0 if timed_out else seconds, "hint": hint, "chosen": tries}
        solved_all &= solved
    record["badge"] = time.strftime("%Y-%m-%d %H:%M", time.localtime(w.at)) if solved_all else None
    for prompt in content["explain"]:
        if rng.random() < 0.75:
            sentences = [s.strip() + "." for s in prompt["model_answer"].split(".") if s.strip()]
            kept = [s for s in sentences if rng.random() < skill] or sentences[:1]
            record["explain"][prompt["id"]] = {"text": " ".join(kept), "covered": [], "of": len(prompt["concepts"])}
    if pre and form_b and rng.random() < 0.75:
        w.diagnostic(form_b, skill + 0.1, "B")
    return record, w.at


def _role(k):
    for role, places in (("restarter", RESTARTER), ("stuck", STUCK), ("idle", IDLE)):
        if k in places:
            return role
    return "regular"


def write_demo_class(folder, learners=30, seed=0, now=None):
    """Write a made-up class of ``learners`` progress files (and three files to skip) into ``folder``.
    ``now`` (seconds since the epoch) is when the class last looked: the idle learners stopped over a week before."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    now = time.time() if now is None else now
    lessons = [(lesson_id, load_lesson_content(lesson_id)) for lesson_id in available_lessons()]
    paths = []
    for k in range(learners):
        role = _role(k)
        name = NAMES[k % len(NAMES)] + (f" {k // len(NAMES) + 1}" if k >= len(NAMES) else "")
        skill = rng.uniform(0.55, 0.95)
        reached = rng.randint(2, len(lessons)) if role != "restarter" else max(2, len(lessons) // 2)
        last = now - (rng.uniform(9, 20) if role == "idle" else rng.uniform(0.05, 2)) * DAY
        at = last - reached * DAY
        data = empty()
        for n, (lesson_id, content) in enumerate(lessons[:reached]):
            at = max(at, last - (reached - n) * DAY)
            data["lessons"][lesson_id], at = _lesson_record(
                rng, content, skill, at, role if (role != "restarter" or n == 1) else "regular", n == reached - 1)
        if k not in NAMELESS:
            data["learner"] = name
        path = folder / f"progress-{k + 1:02d}.json"
        path.write_text(dumps(data), encoding="utf-8")
        paths.append(path)
    (folder / "README.txt").write_text("Progress files collected from the class.\n", encoding="utf-8")
    (folder / "broken.json").write_text('{"lessons": {"01_why_fine_tune": ', encoding="utf-8")
    (folder / "settings.json").write_text('{"theme": "dark"}', encoding="utf-8")
    return paths
