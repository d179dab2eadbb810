"""The model chooser's chart: what each model costs here (latency or size on disk, log scale) against its accuracy on
the new task, with the learner's budget drawn as a line. A model whose accuracy was not measured on this task sits
on a strip of its own below the axis, never at a made-up height."""

import contextlib

import plotly.graph_objects as go

from .style import PALETTE, layout

__all__ = ["cost_accuracy_figure", "update_cost_accuracy", "readable"]

NOT_MEASURED = -0.12  # the strip's height: below 0%, labelled in words
WITHIN, OVER, UNKNOWN = PALETTE[0], PALETTE[3], "#555555"


def cost_accuracy_figure(widget=False, title="What each model costs here, against its accuracy on the new task"):
    figure = go.FigureWidget() if widget else go.Figure()
    figure.update_layout(**layout(title=title, height=440, margin=dict(l=110, r=20, t=60, b=60)))
    figure.update_xaxes(type="log", title_text="cost")
    figure.update_yaxes(range=[NOT_MEASURED - 0.08, 1.05], tickvals=[NOT_MEASURED, 0, 0.25, 0.5, 0.75, 1.0],
                        ticktext=["not measured", "0%", "25%", "50%", "75%", "100%"],
                        title_text="head-only accuracy, digits")
    return figure


def update_cost_accuracy(figure, points, cost_title, budget=None):
    """``points``: ``[(model, cost, accuracy or None)]`` (models not yet costed are left out); ``budget``: the
    learner's limit on the same cost, drawn as a dashed line. Within budget: filled circles; over it: crosses;
    accuracy not measured: open diamonds on the bottom strip. Each point is labelled with its model's name."""
    groups = {"within your budget": ([], "circle", WITHIN), "over your budget": ([], "x", OVER),
              "accuracy not measured (random weights)": ([], "diamond-open", UNKNOWN)}
    for name, cost, accuracy in points:
        if cost is None:
            continue
        key = ("accuracy not measured (random weights)" if accuracy is None
               else "over your budget" if budget is not None and cost > budget else "within your budget")
        groups[key][0].append((name, cost, NOT_MEASURED if accuracy is None else accuracy))
    traces = [go.Scatter(x=[c for _, c, _ in found], y=[a for _, _, a in found], text=[n for n, _, _ in found],
                         mode="markers+text", textposition="top center", name=label, showlegend=bool(found),
                         marker=dict(symbol=symbol, color=colour, size=11, line=dict(width=2, color=colour)),
                         hovertemplate="%{text}: %{x:.3g}<extra></extra>")
              for label, (found, symbol, colour) in groups.items()]
    shapes, notes = [], []
    if budget is not None:
        shapes.append(dict(type="line", xref="x", yref="paper", x0=budget, x1=budget, y0=0, y1=1,
                           line=dict(color=OVER, dash="dash", width=2)))
        notes.append(dict(xref="x", yref="paper", x=_log10(budget), y=1.0, yanchor="bottom", showarrow=False,
                          text=f"your budget: {budget:g}", font=dict(color=OVER)))
    context = figure.batch_update() if hasattr(figure, "batch_update") else contextlib.nullcontext()
    with context:
        if len(figure.data) != len(traces):
            figure.data = []
            figure.add_traces(traces)
        else:
            for old, new in zip(figure.data, traces):
                old.update(new.to_plotly_json(), overwrite=True)
        figure.layout.xaxis.title.text = cost_title
        figure.layout.shapes = shapes
        figure.layout.annotations = notes
    return figure


def readable(value):
    """``3.5 M``, ``1.8 G``, ``12 k``: a count readable at a glance."""
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}"
    return f"{value:.3g}"


def _log10(value):
    """An annotation on a log axis is placed by the logarithm of its x (plotly's rule for log axes)."""
    import math

    return math.log10(value)
