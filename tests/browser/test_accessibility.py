"""axe-core on every lesson after Run All, scoped to the course's outputs (cell outputs: the widgets, figures,
tables and messages the course draws): no serious or critical violation."""

from pathlib import Path

import pytest
from labpage import axe_violations

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
OUTPUTS = ".jp-Notebook .jp-OutputArea-output"
# Known violations, in widgets/ui (not the learning modes): ipywidgets' slider handles have no accessible name
# (aria-input-field-name), and the RecipeBuilder's script preview scrolls without keyboard access
# (scrollable-region-focusable). strict: the day they are fixed, these markers must go.
KNOWN = {
    "04_learning_rate": "LRExplorer / LRFinder sliders: aria-input-field-name",
    "06_reading_the_metrics": "MetricsExplorer slider: aria-input-field-name",
    "07_capstone": "RecipeBuilder sliders (aria-input-field-name) and script preview (scrollable-region-focusable)",
}
LESSONS = [
    pytest.param(path.relative_to(REPO).as_posix(), id=path.stem,
                 marks=[pytest.mark.xfail(strict=True, reason=KNOWN[path.stem])] if path.stem in KNOWN else [])
    for path in sorted((REPO / "course").glob("*.ipynb"))
]


@pytest.mark.parametrize("lesson", LESSONS)
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
