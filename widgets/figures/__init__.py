"""Plotly figure builders. Each takes plain data from ``widgets.core`` and returns a ``go.Figure``."""
