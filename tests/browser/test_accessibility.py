"""axe-core on every lesson after Run All, scoped to the course's outputs (cell outputs: the widgets, figures,
tables and messages the course draws): no serious or critical violation."""

from pathlib import Path

import pytest
from labpage import axe_violations

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted(path.relative_to(REPO).as_posix() for path in (REPO / "course").glob("*.ipynb"))
OUTPUTS = ".jp-Notebook .jp-OutputArea-output"


@pytest.mark.parametrize("lesson", LESSONS, ids=[Path(lesson).stem for lesson in LESSONS])
def test_no_serious_accessibility_violation_in_a_lesson(lab, lesson):
    lab.open(lesson)
    lab.run_all(timeout=300)
    lab.wait_for_widgets()
    assert lab.problems() == []
    found = axe_violations(lab.page, OUTPUTS)
    assert found == [], "\n".join(found)


def test_axe_catches_a_violation(lab):
    """The check can fail: an image without a text alternative, drawn into an output, is reported."""
    lab.open("course/00_start_here.ipynb")
    lab.run_cell("import widgets")
    lab.page.evaluate(
        """() => { const out = document.querySelector('.jp-Notebook .jp-OutputArea-output')
                 || document.querySelector('.jp-Notebook .jp-Cell');
                 const probe = document.createElement('div'); probe.className = 'jp-OutputArea-output';
                 probe.innerHTML = "<img src='data:image/png;base64,iVBORw0KGgo='>";
                 out.parentNode.appendChild(probe); }"""
    )
    assert any(line.startswith("image-alt") for line in axe_violations(lab.page, OUTPUTS))
