"""Interactive widgets: ipywidgets wiring only; the logic they show lives in ``widgets.core``."""
