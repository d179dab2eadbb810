"""A lesson's first figure does not pay for jsonschema's IRI parsers (see
``widgets.figures._import_plotly_renderers``)."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # starts a kernel or a fresh Python: seconds each


pytest.importorskip("rfc3987_syntax", reason="jsonschema has no IRI parsers to skip here")

FIRST_FIGURE = """
import sys
import plotly.graph_objects as go
import widgets.figures
go.FigureWidget().to_dict()                      # what a lesson's first explorer does
print("rfc3987_syntax" in sys.modules)           # False: jsonschema was imported without the IRI parsers
import nbformat                                   # jsonschema still validates notebooks
nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]))
import rfc3987_syntax                             # and the package itself is still there for whoever asks
print(rfc3987_syntax.is_valid_syntax("iri", "https://example.org/é"))
"""


def test_the_first_figure_skips_the_iri_parsers_and_changes_nothing_else():
    out = subprocess.run([sys.executable, "-c", FIRST_FIGURE], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def test_without_the_guard_jsonschema_would_build_them():
    """Control: the same import without ``widgets.figures`` first loads ``rfc3987_syntax`` (else the guard is moot)."""
    code = "import sys, plotly.io._renderers; print('rfc3987_syntax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True"]
