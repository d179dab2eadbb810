"""Every lesson's core path fits one sitting, by the course's stated estimate, and the instructor guide says so."""

import json
from pathlib import Path

import pytest

from widgets import sitting

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "course").glob("*.ipynb"))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_the_core_path_fits_a_sitting(lesson):
    estimate = sitting.estimate(lesson)
    assert estimate.fits, f"{lesson.stem}: {estimate.minutes:.0f} min (reading {estimate.reading_minutes:.0f}, " \
                          f"{estimate.steps} interactive steps); move a part to a deep dive after the learning modes"


def test_the_estimate_counts_reading_running_and_doing(tmp_path):
    cells = [
        {"cell_type": "markdown", "source": ["word " * 400 + "\n**Try this:** change it."]},
        {"cell_type": "code", "source": ["explorer = widgets.LRExplorer()\n", "explorer"]},
        {"cell_type": "markdown", "source": ["## Deep dive: more\n", "word " * 4000]},
        {"cell_type": "code", "source": ["widgets.learning_modes('x')"]},
        {"cell_type": "markdown", "source": ["word " * 9000]},
    ]
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    estimate = sitting.estimate(path, run_seconds=60)
    # 400 + 4 prose words ("Try this: change it"), 4 code words counted twice; the deep dive and the learning
    # modes onwards are not the core path
    assert estimate.words == 400 + 4 + 2 * 4
    assert estimate.steps == 2 and estimate.running_minutes == 1
    assert estimate.minutes == pytest.approx(412 / 200 + 1 + 4)


def test_running_is_the_lessons_measured_time_on_one_core():
    """The guide's measured one-core seconds, not the 45 s budget: the heaviest lessons take longer than that."""
    measured = sitting.measured_run_seconds()
    assert set(measured) == {lesson.stem for lesson in LESSONS}
    for lesson in LESSONS:
        assert sitting.estimate(lesson).running_minutes == measured[lesson.stem] / 60


def test_the_instructor_guide_states_each_lessons_estimate():
    guide = (ROOT / "docs" / "instructor.md").read_text(encoding="utf-8")
    for lesson in LESSONS:
        assert sitting.estimate(lesson).line() in guide, f"docs/instructor.md: update {lesson.stem}'s row " \
                                                         "(python -m widgets.sitting prints the table)"
