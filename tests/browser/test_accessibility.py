"""axe-core, scoped to the course's outputs (cell outputs: the widgets, figures, tables and messages the course
draws). Every lesson is checked after Run All in test_lessons.py (one Run All per lesson serves both); here, that
the check can fail."""

import pytest
from labpage import axe_violations

pytestmark = pytest.mark.browser

OUTPUTS = ".jp-Notebook .jp-OutputArea-output"


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
