"""How long a lesson's core path takes a learner, estimated the same way for every lesson.

    python -m widgets.sitting            # one line per lesson, the table the instructor guide shows

The core path is what a learner must do before the learning modes: every cell above the one that calls
``widgets.learning_modes(...)``, minus optional sections whose heading starts with "Deep dive". Its time is

- reading: its text at 150 words a minute (technical prose, read to be understood), and its code at half that
  speed (code is read slowly); plus what the cells print for the learner to read: 15 s for each check line
  (``widgets.check``) and each evidence line (``widgets.evidence``), 30 s for each figure;
- running: the lesson's run time on one core, as measured in the instructor guide's "Time per lesson" table
  (``benchmarks/memory.py``); 45 s, the course's budget, for a lesson the table does not list;
- doing: 2 minutes for each interactive step (a cell that shows a live widget, or a "Try this" prompt; not the
  Reproduce button, which reruns the evidence in the background while the learner reads on).

A lesson fits one sitting when the total is at most 25 minutes.

The learning modes come after the core path and are estimated from the lesson's content file: 15 s a recall card,
45 s a quiz question, each timed challenge at half its time limit, 90 s a practice problem, 30 s a diagnostic
question (both forms: one before, one after), 3 minutes an explain-in-your-own-words prompt, 1 minute for the
cheat sheet. Doing them all takes 20 to 35 minutes: a second sitting, or homework.
"""

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .modes.content.schema import DEFAULT_TIME_LIMIT

WORDS_PER_MINUTE = 150
RUN_SECONDS = 45
MINUTES_PER_STEP = 2
MINUTES_PER_LINE = 0.25  # a check or evidence line the learner reads
MINUTES_PER_FIGURE = 0.5
SITTING_MINUTES = 25
#: minutes per item of each learning mode (challenges: half their time limit, from the content file)
MODE_MINUTES = {"cards": 0.25, "quiz": 0.75, "practice": 1.5, "diagnostic": 0.5, "explain": 3.0}
CHEATSHEET_MINUTES = 1.0
COURSE = Path(__file__).resolve().parents[1] / "course"
GUIDE = COURSE.parent / "docs" / "instructor.md"

_WORD = re.compile(r"[A-Za-z0-9_]+")
_SHOWS_WIDGET = re.compile(r"^(\w+|widgets\.[A-Z]\w*\(.*\)|display\(\w+\))\s*$")
_TRY = re.compile(r"\bTry( this| it)?\b\W*:", re.I)
_LINE = re.compile(r"\bwidgets\.(check|evidence)\(")
_FIGURE = re.compile(r"\b(\w+_figure|show_images|show_samples)\(")


@dataclass(frozen=True)
class Sitting:
    lesson: str
    words: int  # prose words, plus code words counted twice
    steps: int
    reading_minutes: float  # the words, and the check lines and figures the cells show
    running_minutes: float
    doing_minutes: float
    modes_minutes: float = 0.0  # the learning modes, after the core path

    @property
    def minutes(self):
        """The core path: reading, running and doing (the learning modes are a sitting of their own)."""
        return self.reading_minutes + self.running_minutes + self.doing_minutes

    @property
    def fits(self):
        return self.minutes <= SITTING_MINUTES

    def line(self):
        return (f"| {self.lesson} | {self.words:,} | {self.reading_minutes:.0f} | {self.running_minutes:.1f} | "
                f"{self.steps} | {self.doing_minutes:.0f} | **{self.minutes:.0f}** | {self.modes_minutes:.0f} |")


def core_cells(notebook):
    """The cells of the core path: up to the learning modes, without "Deep dive" sections."""
    cells, skipping = [], False
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "code" and "learning_modes(" in text:
            break
        if cell["cell_type"] == "markdown" and text.lstrip().startswith("#"):
            skipping = bool(re.match(r"#+\s*(\d+\.\s*)?Deep dive", text.lstrip(), re.I))
        if not skipping:
            cells.append(cell)
    return cells


def is_step(cell):
    """A cell the learner works with: one that shows a live widget, or a "Try this" prompt."""
    text = "".join(cell["source"]).strip()
    if cell["cell_type"] == "markdown":
        return bool(_TRY.search(text))
    last = text.splitlines()[-1].strip() if text else ""
    # a widget built and displayed before the cell goes on to run it: ``lab = widgets.SpectrumLab(); display(lab)``
    built = re.findall(r"^(\w+) = widgets\.[A-Z]\w*\(", text, re.M)
    shown_early = any(re.search(rf"^display\({name}\)", text, re.M) for name in built)
    # Reproduce is an offer, not a step: it reruns the evidence in the background while the learner reads on
    offered = last.startswith(("print", "check", "widgets.Reproduce("))
    return shown_early or (bool(_SHOWS_WIDGET.match(last)) and not offered)


def measured_run_seconds(guide=GUIDE):
    """``{lesson: seconds on one core}`` from the guide's ``lesson-times`` table (``{}`` without the guide)."""
    try:
        text = Path(guide).read_text(encoding="utf-8")
    except OSError:
        return {}
    block = re.search(r"<!-- lesson-times: start -->(.*?)<!-- lesson-times: end -->", text, re.S)
    rows = re.findall(r"^\| `([^`]+)` \| (\d+(?:\.\d+)?) s \|", block.group(1) if block else "", re.M)
    return {lesson: float(seconds) for lesson, seconds in rows}


def modes_minutes(lesson):
    """Minutes to do every learning mode of ``lesson`` (0 for a lesson without a content file)."""
    from .modes.content import load_lesson_content

    try:
        content = load_lesson_content(lesson, validate=False)
    except (FileNotFoundError, KeyError, ValueError):
        return 0.0
    items = {mode: content.get(mode) or [] for mode in MODE_MINUTES}
    items["diagnostic"] = [q for form in (content.get("diagnostic") or {}).values() for q in form]
    minutes = sum(MODE_MINUTES[mode] * len(found) for mode, found in items.items())
    minutes += sum(c.get("time_limit", DEFAULT_TIME_LIMIT) / 120 for c in content.get("challenges") or [])
    return minutes + (CHEATSHEET_MINUTES if content.get("cheatsheet") else 0.0)


def estimate(path, run_seconds=None):
    """The sitting for the lesson at ``path``; ``run_seconds``: its run time (default: as measured, else 45 s)."""
    if run_seconds is None:
        run_seconds = measured_run_seconds().get(Path(path).stem, RUN_SECONDS)
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = core_cells(notebook)
    # a code word counts twice: read at half the speed of prose
    words = sum(len(_WORD.findall("".join(c["source"]))) * (2 if c["cell_type"] == "code" else 1) for c in cells)
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    reading = (words / WORDS_PER_MINUTE + len(_LINE.findall(code)) * MINUTES_PER_LINE
               + len(_FIGURE.findall(code)) * MINUTES_PER_FIGURE)
    steps = sum(is_step(c) for c in cells)
    return Sitting(Path(path).stem, words, steps, reading, run_seconds / 60, steps * MINUTES_PER_STEP,
                   modes_minutes(Path(path).stem))


def course_table(folder=COURSE):
    lines = ["| lesson | words | reading (min) | running (min) | interactive steps | doing (min) | core path (min) "
             "| learning modes (min) |",
             "|---|---|---|---|---|---|---|---|"]
    return "\n".join(lines + [estimate(p).line() for p in sorted(Path(folder).glob("*.ipynb"))])


if __name__ == "__main__":
    print(course_table(sys.argv[1] if len(sys.argv) > 1 else COURSE))
