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
        {"cell_type": "code", "source": ["widgets.check(lab.run(seeds=[0]))\n", "widgets.evidence('x')"]},
        {"cell_type": "code", "source": ["widgets.seeds_figure(runs)"]},
        {"cell_type": "markdown", "source": ["## Deep dive: more\n", "word " * 4000]},
        {"cell_type": "code", "source": ["widgets.learning_modes('x')"]},
        {"cell_type": "markdown", "source": ["word " * 9000]},
    ]
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    estimate = sitting.estimate(path, run_seconds=60)
    # 400 + 4 prose words ("Try this: change it"), code words counted twice; the deep dive and the learning
    # modes onwards are not the core path
    code_words = 4 + 9 + 3
    assert estimate.words == 400 + 4 + 2 * code_words
    assert estimate.steps == 2 and estimate.running_minutes == 1
    # two lines to read (a check, an evidence line) and one figure
    reading = estimate.words / 150 + 2 * 0.25 + 0.5
    assert estimate.minutes == pytest.approx(reading + 1 + 4)


def test_the_learning_modes_are_timed_from_the_lessons_content():
    from widgets.modes.content import load_lesson_content

    content = load_lesson_content("06_reading_the_metrics")
    diagnostic = sum(len(form) for form in content["diagnostic"].values())
    limits = sum(c.get("time_limit", 120) for c in content["challenges"])
    expected = (0.25 * len(content["cards"]) + 0.75 * len(content["quiz"]) + 1.5 * len(content["practice"])
                + 0.5 * diagnostic + 3 * len(content["explain"]) + limits / 120 + 1)
    assert sitting.modes_minutes("06_reading_the_metrics") == pytest.approx(expected)
    assert 20 <= expected <= 40  # a second sitting, as the instructor guide budgets it
    assert sitting.modes_minutes("00_start_here") == 0  # no learning modes there


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


def test_a_widget_shown_before_the_cell_runs_it_is_a_step():
    shown_first = {"cell_type": "code",
                   "source": ["lab = widgets.SpectrumLab()\n", "display(lab)\n", "mine = lab.run()"]}
    evidence = {"cell_type": "code", "source": ["long = widgets.evidence('x')\n", "display(long)\n", "long.per_seed()"]}
    assert sitting.is_step(shown_first) and not sitting.is_step(evidence)
