"""A class's progress, for the person at the front: read a folder of learners' exported progress files and sum
it up, per learner (first tries per lesson, hints, failed challenges, who is stuck), per item (designed level
against the share right on the first try, the most chosen wrong option, how well it tells strong learners from
weak ones) and per lesson (completion, badges, the diagnostic's gain).

Nothing leaves the machine: the files are read from the folder and the summary is plain data that
:mod:`~widgets.modes.classroom.page` turns into one self-contained HTML page (and :mod:`~.export` into a CSV).
A file that is not a progress file (a note, a damaged export, some other JSON) is skipped and listed with the
reason; the report's own output files are not read at all. What a lesson record means is read through
:mod:`~widgets.modes.classroom.answers`.
"""

import datetime
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..content import ContentError, available_lessons, diagnostic_items, items_by_id, level, load_lesson_content
from ..content.concepts import MAX_TEXT, covered
from ..progress.record import ProgressFileError, parse
from . import answers

MIN_ANSWERS = 3  # an item needs this many answers before it can be called worth reteaching
IDLE_DAYS = 7  # a learner with no activity for this many days is flagged
MAX_FILE_BYTES = 20_000_000  # a progress file is a few hundred kB at most; a bigger one is not read
OUTPUT_NAMES = ("class_report.html", "class_report.csv")  # what the report writes: never read back as hand-ins
#: share right on the first try that each designed level expects; outside it, the level may be wrong
LEVEL_BANDS = {"easy": (0.7, 1.0), "medium": (0.4, 0.9), "hard": (0.0, 0.7)}
MIN_GROUP = 3  # learners in each of the top and bottom thirds before discrimination is worked out


@dataclass
class LessonRow:
    """One learner's lesson."""

    lesson_id: str
    right: int = 0  # first tries right (quiz, practice, challenges)
    answered: int = 0
    hints: int = 0
    failed: int = 0  # challenges failed in the badge round
    badge: bool = False
    done: int = 0
    total: int = 0
    gain: tuple = None  # (first diagnostic run's share right, latest run's) once two runs exist

    @property
    def share(self):
        return self.right / self.answered if self.answered else None


@dataclass
class Learner:
    name: str  # the name in the progress file, else the file name without .json
    file: str
    lessons: dict  # lesson id -> lesson record
    last_active: datetime.datetime = None
    active_from: str = "answers"  # where last_active comes from: "answers", or "file" (its date: no times inside)
    rows: dict = field(default_factory=dict)  # lesson id -> LessonRow, for the lessons with content
    idle_days: int = None  # whole days since last_active
    stuck: tuple = None  # (lesson id, section) where the last answers were two misses in a row

    @property
    def right(self):
        return sum(r.right for r in self.rows.values())

    @property
    def answered(self):
        return sum(r.answered for r in self.rows.values())

    @property
    def share(self):
        return self.right / self.answered if self.answered else None

    def flags(self, idle_after=IDLE_DAYS):
        """Why the learner may need a word: two misses in a row in a section, or no activity for a while."""
        out = [f"last two answers wrong: {self.stuck[0][:2]} {self.stuck[1]}"] if self.stuck else []
        if self.idle_days is not None and self.idle_days >= idle_after:
            out.append(f"no activity for {self.idle_days} days")
        return out


@dataclass
class ItemStats:
    lesson_id: str
    section: str  # quiz, diagnostic (first run), practice or challenges
    item_id: str
    text: str
    level: str = "medium"  # as designed
    answered: int = 0  # first tries
    right: int = 0
    wrong_choices: Counter = field(default_factory=Counter)  # option text -> how many chose it on the first try
    seconds: list = field(default_factory=list)  # challenges: time used per learner
    timed_out: int = 0
    by_learner: dict = field(default_factory=dict)  # learner index -> right on the first try
    discrimination: float = None  # share right in the top third of the class minus the bottom third

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

    @property
    def off_level(self):
        """True when enough learners answered and the share right is outside what the designed level expects."""
        low, high = LEVEL_BANDS.get(self.level, (0.0, 1.0))
        return self.answered >= MIN_ANSWERS and not low <= self.share_right <= high


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
    gains: list = field(default_factory=list)  # (first run share, latest run share) per learner with two runs

    @property
    def mean_gain(self):
        """(mean first run, mean latest run, learners) over the learners with two diagnostic runs, else None."""
        if not self.gains:
            return None
        return (statistics.mean(g[0] for g in self.gains), statistics.mean(g[1] for g in self.gains), len(self.gains))


@dataclass
class ClassSummary:
    folder: str
    learners: list
    skipped: list  # (file name, reason)
    lessons: list  # LessonStats, in course order
    now: datetime.datetime = None
    idle_after: int = IDLE_DAYS

    def reteach(self, n=8):
        """The items most worth reteaching: lowest share right among items with enough answers."""
        items = [i for lesson in self.lessons for i in lesson.items
                 if i.answered >= MIN_ANSWERS and i.share_right is not None and i.share_right < 1]
        return sorted(items, key=lambda i: (i.share_right, -i.answered))[:n]

    def stuck(self):
        return [learner for learner in self.learners if learner.flags(self.idle_after)]


def _cap(data):
    """Keep at most :data:`~widgets.modes.content.concepts.MAX_TEXT` characters of each written answer: the
    report reads no more, and a 3 MB paste must not cost it seconds."""
    for lesson in data["lessons"].values():
        for value in (lesson.get("explain") or {}).values():
            if isinstance(value, dict) and isinstance(value.get("text"), str):
                value["text"] = value["text"][:MAX_TEXT]


def read_folder(folder, ignore=()):
    """Every learner's progress file in ``folder`` (not its sub-folders): (learners, skipped). The report's own
    output files (:data:`OUTPUT_NAMES`, and the paths in ``ignore``) are passed over in silence."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of progress files")
    ignored = {Path(p).resolve() for p in ignore}
    learners, skipped = [], []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.name in OUTPUT_NAMES or path.resolve() in ignored:
            continue
        if path.suffix.lower() != ".json":
            skipped.append((path.name, "not a .json file"))
            continue
        try:
            stat = path.stat()
            if stat.st_size > MAX_FILE_BYTES:
                skipped.append((path.name, f"too large for a progress file ({stat.st_size / 1e6:.0f} MB)"))
                continue
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
        _cap(data)
        learner = Learner(data.get("learner") or path.stem, path.name, data["lessons"])
        times = [t for t in (answers.last_activity(r) for r in data["lessons"].values()) if t is not None]
        learner.last_active = max(times) if times else datetime.datetime.fromtimestamp(stat.st_mtime)
        learner.active_from = "answers" if times else "file"
        learner.stuck = answers.stuck_at(data["lessons"])
        learners.append(learner)
    return learners, skipped


def _option_text(item, chosen):
    options = item.get("options") or []
    ok = isinstance(chosen, int) and not isinstance(chosen, bool) and 0 <= chosen < len(options)
    return options[chosen]["text"] if ok else None


def _count(stats, item, learner_index, answer):
    stats.answered += 1
    stats.right += answer.correct
    stats.by_learner[learner_index] = answer.correct
    text = _option_text(item, answer.chosen)
    if not answer.correct and text is not None:
        stats.wrong_choices[text] += 1


def _discrimination(learners, items):
    """Each item's share right in the top third of the class (by first tries over every lesson) minus the
    bottom third's; None where either third has fewer than :data:`MIN_GROUP` answers to it."""
    ranked = sorted((k for k, lr in enumerate(learners) if lr.answered), key=lambda k: learners[k].share)
    third = len(ranked) // 3
    bottom, top = set(ranked[:third]), set(ranked[len(ranked) - third:])
    for item in items:
        low = [v for k, v in item.by_learner.items() if k in bottom]
        high = [v for k, v in item.by_learner.items() if k in top]
        if len(low) >= MIN_GROUP and len(high) >= MIN_GROUP:
            item.discrimination = sum(high) / len(high) - sum(low) / len(low)


def _item_stats(lesson_id, content):
    """``{(section, item id): (item, ItemStats)}`` for the lesson's quiz, practice, challenge and diagnostic items."""
    sections = {s: content.get(s) or [] for s in ("quiz", "practice", "challenges")}
    sections["diagnostic"] = diagnostic_items(content)
    return {(section, item["id"]): (item, ItemStats(lesson_id, section, item["id"], _text(item), level(item)))
            for section, items in sections.items() for item in items}


def _text(item):
    return str(item.get("question") or item.get("problem") or "")


def _count_learner(lesson_id, by_key, known, index, record):
    """Add one learner's first tries (and first diagnostic run, and challenge times) to the items' counts;
    returns (first tries right, first tries) over quiz, practice and challenges."""
    right = answered = 0
    for section in answers.ANSWERED:
        for item_id, answer in answers.first_tries(record, section).items():
            if (section, item_id) in by_key:
                right, answered = right + answer.correct, answered + 1
                _count(by_key[(section, item_id)][1], by_key[(section, item_id)][0], index, answer)
    runs = answers.diagnostic_runs(record)
    for item_id, answer in (runs[0]["answers"] if runs else {}).items():
        if ("diagnostic", item_id) not in by_key and item_id in known:  # a form the lesson's list does not name
            item = known[item_id]
            by_key[("diagnostic", item_id)] = (item, ItemStats(lesson_id, "diagnostic", item_id, _text(item),
                                                               level(item)))
        if ("diagnostic", item_id) in by_key:
            _count(by_key[("diagnostic", item_id)][1], by_key[("diagnostic", item_id)][0], index, answer)
    for item_id, value in (record.get("challenges") or {}).items():
        if ("challenges", item_id) not in by_key or not isinstance(value, dict):
            continue
        stats = by_key[("challenges", item_id)][1]
        if value.get("status") in ("solved", "failed"):
            stats.timed_out += value.get("reason") in ("timed out", "time")
            seconds = value.get("seconds")
            if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
                stats.seconds.append(float(seconds))
    return right, answered


def _lesson(lesson_id, content, learners):
    stats = LessonStats(lesson_id, str(content.get("title", lesson_id)), str(content.get("badge", "")))
    by_key, known = _item_stats(lesson_id, content), items_by_id(content)
    prompts = {p["id"]: {"prompt": p["prompt"], "concepts": [c["concept"] for c in p["concepts"]],
                         "answers": 0, "covered": Counter()} for p in content.get("explain") or []}
    for index, learner in enumerate(learners):
        record = learner.lessons.get(lesson_id)
        if not record or not answers.started(record):
            continue
        row = learner.rows.setdefault(lesson_id, LessonRow(lesson_id))
        row.right, row.answered = _count_learner(lesson_id, by_key, known, index, record)
        row.hints, row.failed = answers.hints(record), answers.failed_challenges(record)
        row.badge = bool(record.get("badge"))
        row.done, row.total = answers.done(record, content)
        row.gain = answers.diagnostic_gain(record)
        stats.started += 1
        stats.completion.append(row.done / row.total if row.total else 0.0)
        stats.badges += row.badge
        if row.gain is not None:
            stats.gains.append(row.gain)
        for prompt in content.get("explain") or []:
            answer = (record.get("explain") or {}).get(prompt["id"])
            if isinstance(answer, dict) and str(answer.get("text", "")).strip():
                prompts[prompt["id"]]["answers"] += 1
                prompts[prompt["id"]]["covered"].update(covered(str(answer["text"]), prompt["concepts"]))
    stats.items = [item_stats for _, item_stats in by_key.values()]
    stats.concepts = prompts
    return stats


def summarize_class(folder, now=None, idle_after=IDLE_DAYS, ignore=()):
    """Read ``folder`` and sum up the class, learner by learner, item by item and lesson by lesson. ``now``
    (a datetime) dates the "no activity" flag; ``ignore``: files in the folder the report itself wrote."""
    now = now or datetime.datetime.now()
    learners, skipped = read_folder(folder, ignore)
    for learner in learners:
        learner.idle_days = max(0, (now - learner.last_active).days) if learner.last_active else None
    lessons = []
    for lesson_id in available_lessons():
        try:
            content = load_lesson_content(lesson_id)
        except ContentError:
            continue
        lessons.append(_lesson(lesson_id, content, learners))
    _discrimination(learners, [item for lesson in lessons for item in lesson.items])
    return ClassSummary(str(folder), learners, skipped, lessons, now, idle_after)
