"""A class's progress, for the instructor: read a folder of learners' exported progress files and sum it up.

Nothing leaves the machine: the files are read from the folder and the summary is plain data that
:mod:`widgets.modes.classroom.page` turns into one self-contained HTML page. A file that is not a progress file
(a note, a damaged export, some other JSON) is skipped and listed with the reason.
"""

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..content import ContentError, available_lessons, diagnostic_items, load_lesson_content
from ..content.concepts import covered
from ..dashboard import summarize
from ..diagnostic import diagnostic_answers
from ..progress.record import ProgressFileError, parse

MIN_ANSWERS = 3  # an item needs this many answers before it can be called worth reteaching


@dataclass
class Learner:
    name: str  # the file name, without .json
    lessons: dict  # lesson id -> lesson record


@dataclass
class ItemStats:
    lesson_id: str
    section: str  # quiz, diagnostic, practice or challenges
    item_id: str
    text: str
    answered: int = 0
    right: int = 0
    wrong_choices: Counter = field(default_factory=Counter)  # option text -> how many chose it
    seconds: list = field(default_factory=list)  # challenges: time used per learner
    timed_out: int = 0

    @property
    def share_right(self):
        return self.right / self.answered if self.answered else None

    @property
    def top_wrong(self):
        """The most chosen wrong option and how many chose it (None when nobody was wrong)."""
        return self.wrong_choices.most_common(1)[0] if self.wrong_choices else None

    @property
    def median_seconds(self):
        return statistics.median(self.seconds) if self.seconds else None


@dataclass
class LessonStats:
    lesson_id: str
    title: str
    badge_name: str
    started: int = 0
    completion: list = field(default_factory=list)  # one fraction per learner who started
    badges: int = 0
    items: list = field(default_factory=list)  # ItemStats
    concepts: dict = field(default_factory=dict)  # prompt id -> {"prompt", "answers", "covered": Counter}


@dataclass
class ClassSummary:
    folder: str
    learners: list
    skipped: list  # (file name, reason)
    lessons: list  # LessonStats, in course order

    def reteach(self, n=8):
        """The items most worth reteaching: lowest share right among items with enough answers."""
        items = [i for lesson in self.lessons for i in lesson.items
                 if i.answered >= MIN_ANSWERS and i.share_right is not None and i.share_right < 1]
        return sorted(items, key=lambda i: (i.share_right, -i.answered))[:n]


def read_folder(folder):
    """Every learner's progress file in ``folder`` (not its sub-folders): (learners, skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of progress files")
    learners, skipped = [], []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.suffix.lower() != ".json":
            skipped.append((path.name, "not a .json file"))
            continue
        try:
            data, notes = parse(path.read_bytes())
        except ProgressFileError as err:
            skipped.append((path.name, str(err)))
            continue
        except OSError as err:
            skipped.append((path.name, f"could not be read ({err.strerror or err})"))
            continue
        if not data["lessons"]:
            skipped.append((path.name, "a progress file with no lesson started"))
            continue
        if notes:
            skipped.append((path.name, "read in part: " + "; ".join(notes)))
        learners.append(Learner(path.stem, data["lessons"]))
    return learners, skipped


def _option_text(item, chosen):
    options = item.get("options") or []
    return options[chosen]["text"] if isinstance(chosen, int) and 0 <= chosen < len(options) else None


def _count_choice(stats, item, record):
    if not isinstance(record, dict) or not isinstance(record.get("correct"), bool):
        return
    stats.answered += 1
    stats.right += record["correct"]
    text = _option_text(item, record.get("chosen"))
    if not record["correct"] and text is not None:
        stats.wrong_choices[text] += 1


def _count_challenge(stats, item, record):
    if not isinstance(record, dict) or record.get("status") not in ("solved", "failed"):
        return
    stats.answered += 1
    stats.right += record["status"] == "solved"
    stats.timed_out += record.get("reason") in ("timed out", "time")
    if isinstance(record.get("seconds"), (int, float)):
        stats.seconds.append(float(record["seconds"]))
    right = next((k for k, o in enumerate(item["options"]) if o.get("correct")), None)
    tries = record.get("chosen") if isinstance(record.get("chosen"), list) else []
    for chosen in tries:
        text = _option_text(item, chosen)
        if text is not None and chosen != right:
            stats.wrong_choices[text] += 1


def summarize_class(folder):
    """Read ``folder`` and sum up the class, lesson by lesson."""
    learners, skipped = read_folder(folder)
    lessons = []
    for lesson_id in available_lessons():
        try:
            content = load_lesson_content(lesson_id)
        except ContentError:
            continue
        stats = LessonStats(lesson_id, str(content.get("title", lesson_id)), str(content.get("badge", "")))
        by_section = {}
        for section in ("diagnostic", "quiz", "practice", "challenges"):
            source = content["challenges"] if section == "challenges" else (
                diagnostic_items(content) if section == "diagnostic" else content[section])
            for item in source:
                text = item.get("question") or item.get("problem") or ""
                by_section[(section, item["id"])] = (item, ItemStats(lesson_id, section, item["id"], str(text)))
        prompts = {p["id"]: {"prompt": p["prompt"], "concepts": [c["concept"] for c in p["concepts"]],
                             "answers": 0, "covered": Counter()} for p in content["explain"]}
        for learner in learners:
            record = learner.lessons.get(lesson_id)
            if not record or not any(
                    record.get(s) for s in ("cards", "quiz", "challenges", "practice", "explain", "diagnostic")):
                continue
            stats.started += 1
            stats.completion.append(summarize(lesson_id, content, record).fraction)
            stats.badges += bool(record.get("badge"))
            answers = {section: record.get(section, {}) for section in ("quiz", "practice", "challenges")}
            answers["diagnostic"] = diagnostic_answers(record.get("diagnostic"))  # every finished run, latest wins
            for (section, item_id), (item, item_stats) in by_section.items():
                answer = answers[section].get(item_id)
                (_count_challenge if section == "challenges" else _count_choice)(item_stats, item, answer)
            for prompt in content["explain"]:
                answer = record.get("explain", {}).get(prompt["id"])
                if isinstance(answer, dict) and str(answer.get("text", "")).strip():
                    entry = prompts[prompt["id"]]
                    entry["answers"] += 1
                    entry["covered"].update(covered(str(answer["text"]), prompt["concepts"]))
        stats.items = [item_stats for _, item_stats in by_section.values()]
        stats.concepts = prompts
        lessons.append(stats)
    return ClassSummary(str(folder), learners, skipped, lessons)
