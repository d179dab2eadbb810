"""Two lessons open at once in one JupyterLab, as learners do: two notebooks, two kernels, one progress file.
Answers given in both reach the file, and neither notebook erases the other's."""

import json
from pathlib import Path

import pytest
import yaml
from labpage import LabPage, button

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSONS = ("02_freezing_layers", "04_learning_rate")


def first_question_right_option(lesson_id):
    question = yaml.safe_load(
        (REPO / "widgets" / "modes" / "content" / "lessons" / f"{lesson_id}.yaml").read_text())["quiz"][0]
    return question["id"], next(o["text"] for o in question["options"] if o.get("correct") is True)


def test_two_notebooks_save_progress_to_the_same_file(lab, jupyter_server):
    for lesson_id in LESSONS:
        if not (REPO / "course" / f"{lesson_id}.ipynb").exists():
            pytest.skip(f"course/{lesson_id}.ipynb is not written yet")
    jupyter_server["progress"].unlink(missing_ok=True)
    second = LabPage(lab.page.context.new_page(), lab.url, lab.token, lab.screenshots)
    pages = dict(zip(LESSONS, (lab, second)))
    for lesson_id, page in pages.items():  # both open before anyone answers: two kernels, both stores loaded
        page.open(f"course/{lesson_id}.ipynb")
        page.run_cell("import widgets")
        page.run_cell("learning_modes(")
        page.wait_for_widgets()
        assert page.problems(all_cells_ran=False) == []

    for lesson_id, page in pages.items():
        page.page.bring_to_front()
        modes = page.cell_output("learning_modes(")
        modes.get_by_role("tab", name="Quiz").click()
        _, right = first_question_right_option(lesson_id)
        modes.get_by_role("radio", name=right, exact=True).check()
        button(modes, "Check").click()
        modes.get_by_text("Right.").wait_for()

    saved = json.loads(jupyter_server["progress"].read_text())["lessons"]
    for lesson_id in LESSONS:
        question_id, _ = first_question_right_option(lesson_id)
        assert saved[lesson_id]["quiz"][question_id]["correct"] is True, (lesson_id, saved.get(lesson_id))
    kernels = lab._api("GET", "/api/kernels")
    assert len(kernels) == 2, "each notebook runs its own kernel"
