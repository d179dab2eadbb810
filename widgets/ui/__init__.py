"""Interactive widgets: ipywidgets wiring only; the logic they show lives in ``widgets.engine``, ``widgets.kit``
and ``widgets.labs``."""
