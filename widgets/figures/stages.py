"""The stage planner's live meters: accuracy on the new task and on the old one (the forgetting meter) above, the
drift of each block below, one shared step axis, and a dotted line where each stage starts."""

import contextlib

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .style import PALETTE, colour, layout, line, marker

__all__ = ["stage_meters_figure", "update_stage_meters"]

NEW_TASK, OLD_TASK = PALETTE[0], PALETTE[1]
BOUNDARY = "#555555"  # 7.5:1 on white


def stage_meters_figure(widget=False, title="Live meters: accuracy (top) and layer drift (bottom)"):
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, row_heights=[0.55, 0.45])
    if widget:
        figure = go.FigureWidget(figure)
    figure.update_layout(**layout(title=title, height=560, margin=dict(l=70, r=20, t=70, b=50)))
    figure.update_yaxes(title_text="accuracy", range=[0, 1.05], tickformat=".0%", row=1, col=1)
    figure.update_yaxes(title_text="drift ‖w − w₀‖ / ‖w₀‖", rangemode="tozero", row=2, col=1)
    figure.update_xaxes(title_text="training step", row=2, col=1)
    return figure


def update_stage_meters(figure, steps, digits, letters, drift, stages=()):
    """``steps``: the evaluations' steps; ``digits`` and ``letters``: the new task's and the old task's accuracy
    there; ``drift``: ``{block: [drift there]}``; ``stages``: ``[(first step, label)]``, a line at each but the
    first. Traces are updated in place when their number is unchanged (a live widget does not flicker)."""
    steps = list(steps)
    traces = [go.Scatter(x=steps, y=list(digits), name="new task: digits test accuracy", mode="lines+markers",
                         line=dict(color=NEW_TASK, width=2), marker=dict(color=NEW_TASK, symbol="circle"),
                         xaxis="x", yaxis="y"),
              go.Scatter(x=steps, y=list(letters), name="old task: letters (forgetting meter)", mode="lines+markers",
                         line=dict(color=OLD_TASK, width=2, dash="dash"), marker=dict(color=OLD_TASK, symbol="square"),
                         xaxis="x", yaxis="y")]
    for i, (block, values) in enumerate(drift.items(), start=2):
        traces.append(go.Scatter(x=steps, y=list(values), name=f"drift: {block}", mode="lines+markers", line=line(i),
                                 marker=marker(i, size=6), xaxis="x2", yaxis="y2"))
    boundaries = [step for step, _ in stages][1:]
    shapes = [dict(type="line", xref="x", yref="paper", x0=step, x1=step, y0=0, y1=1,
                   line=dict(color=BOUNDARY, dash="dot", width=1.5)) for step in boundaries]
    labels = [dict(xref="x", yref="paper", x=step, y=1.0, yanchor="bottom", xanchor="left", showarrow=False,
                   text=label, font=dict(size=11, color=colour(7))) for step, label in stages]
    context = figure.batch_update() if hasattr(figure, "batch_update") else contextlib.nullcontext()
    with context:
        if len(figure.data) != len(traces):
            figure.data = []
            figure.add_traces(traces)
        else:
            for old, new in zip(figure.data, traces):
                old.update(new.to_plotly_json(), overwrite=True)
        figure.layout.shapes = shapes
        figure.layout.annotations = labels
    return figure

