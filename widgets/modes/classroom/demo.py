"""A made-up class, for trying the class report (and for its tests and screenshot): ``learners`` progress
files as the Progress tab's Export writes them, plus a few files a real folder collects (a note, a damaged
export, some other JSON), which the report must skip and list."""

import random
from pathlib import Path

from ..choice import check, right_index
from ..content import available_lessons, diagnostic_forms, level, load_lesson_content
from ..diagnostic import DiagnosticRun
from ..progress.record import dumps, empty, empty_lesson

NAMES = ("ada", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jo", "kofi", "lena", "mateo", "nia",
         "omar", "pia", "quinn", "ravi", "sara", "tom", "uma", "vic", "wen", "xavi", "yara", "zoe")
_HARDNESS = {"easy": 0.0, "medium": 0.12, "hard": 0.25}


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


def _lesson_record(rng, content, skill):
    record = empty_lesson()
    for card in content["cards"]:
        if rng.random() < 0.8:
            record["cards"][card["id"]] = "known" if rng.random() < skill else "review"
    for section in ("quiz", "practice"):
        for item in content[section]:
            if rng.random() < 0.9:
                chosen = _choose(rng, item, skill)
                record[section][item["id"]] = {"chosen": chosen, "correct": check(item, chosen).correct}
    started = 1_772_000_000 + rng.randint(0, 86400 * 30)
    for form, items in diagnostic_forms(content).items():  # form A before the lesson, form B after it (some learners)
        if rng.random() < (0.7 if form == "A" else 0.4):
            run = DiagnosticRun(items, content["sections"], form, started)
            for i, item in enumerate(items):
                run.answer(i, _choose(rng, item, skill - (0.1 if form == "A" else 0.0)))
            run.finish()
            saved = run.record(started + 600)
            record["diagnostic"][f"run-{saved['started']}-{form}"] = saved
            started += 86400 * 3
    solved_all = True
    for item in content["challenges"]:
        tries = [_choose(rng, item, skill) for _ in range(2)]
        tries = tries[:1] if tries[0] == right_index(item) else tries
        solved = tries[-1] == right_index(item)
        timed_out = not solved and rng.random() < 0.3
        seconds = 120.0 if timed_out else round(rng.uniform(20, 110), 1)
        record["challenges"][item["id"]] = {
            "status": "solved" if solved else "failed",
            "reason": "" if solved else ("timed out" if timed_out else "attempts"),
            "attempts_used": len(tries), "seconds": seconds, "hint": rng.random() < 0.3, "chosen": tries,
        }
        solved_all &= solved
    record["badge"] = "2026-03-02 10:00" if solved_all else None
    for prompt in content["explain"]:
        if rng.random() < 0.75:
            sentences = [s.strip() + "." for s in prompt["model_answer"].split(".") if s.strip()]
            kept = [s for s in sentences if rng.random() < skill] or sentences[:1]
            record["explain"][prompt["id"]] = {"text": " ".join(kept), "covered": [], "of": len(prompt["concepts"])}
    return record


def write_demo_class(folder, learners=30, seed=0):
    """Write a made-up class of ``learners`` progress files (and three files to skip) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    lessons = [(lesson_id, load_lesson_content(lesson_id)) for lesson_id in available_lessons()]
    paths = []
    for k in range(learners):
        name = NAMES[k % len(NAMES)] + (str(k // len(NAMES) + 1) if k >= len(NAMES) else "")
        skill = rng.uniform(0.45, 0.95)
        reached = rng.randint(1, len(lessons))  # how far into the course this learner got
        data = empty()
        for lesson_id, content in lessons[:reached]:
            data["lessons"][lesson_id] = _lesson_record(rng, content, skill)
        path = folder / f"{name}.json"
        path.write_text(dumps(data), encoding="utf-8")
        paths.append(path)
    (folder / "README.txt").write_text("Progress files collected from the class.\n", encoding="utf-8")
    (folder / "broken.json").write_text('{"lessons": {"01_why_fine_tune": ', encoding="utf-8")
    (folder / "settings.json").write_text('{"theme": "dark"}', encoding="utf-8")
    return paths
