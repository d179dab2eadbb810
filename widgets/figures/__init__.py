"""Plotly figure builders. Each takes plain data from the engine, the kit and the labs and returns a ``go.Figure``."""

import sys


def _import_plotly_renderers():
    """Import plotly's notebook renderers without jsonschema's IRI parsers: 2 s less before a lesson's first figure.

    Showing a figure (or building a ``FigureWidget``) imports ``plotly.io._renderers``, which imports nbformat, which
    imports jsonschema. jsonschema then imports ``rfc3987_syntax`` for its optional ``iri`` format check, and that
    package builds 38 Lark parsers as it is imported: about 2 s of one CPU and 16 MB in every lesson kernel, for a
    check no notebook ever asks for (https://github.com/python-jsonschema/jsonschema/issues/1428). Hidden for this
    one import, jsonschema goes without that check; ``rfc3987_syntax`` itself stays importable.
    """
    hide = "rfc3987_syntax" not in sys.modules
    if hide:
        sys.modules["rfc3987_syntax"] = None  # `import rfc3987_syntax` raises ImportError, which jsonschema skips
    try:
        import plotly.io._renderers  # noqa: F401
    finally:
        if hide:
            del sys.modules["rfc3987_syntax"]


_import_plotly_renderers()
