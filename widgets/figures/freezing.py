"""Figures for the freezing lab: parameters per block, frozen and trainable; BatchNorm statistics drifting."""

import plotly.graph_objects as go

from .style import PALETTE, layout, line, marker

FROZEN_COLOUR = PALETTE[0]  # blue: ice
TRAINABLE_COLOUR = PALETTE[1]  # orange: warm, moving
FROZEN_PATTERN = "/"  # frozen bars are hatched too: the state never rests on colour alone

__all__ = ["FROZEN_COLOUR", "TRAINABLE_COLOUR", "freeze_figure", "update_freeze_figure", "batchnorm_drift_figure"]


def _bars(rows):
    """x, frozen y, trainable y and hover text for the blocks that hold parameters."""
    rows = [row for row in rows if row.parameters]
    names = [row.name for row in rows]
    frozen = [row.parameters - row.trainable for row in rows]
    trainable = [row.trainable for row in rows]
    hover = [f"{row.name} ({row.kind}): {row.parameters:,} parameters, {row.state}" for row in rows]
    return names, frozen, trainable, hover


def freeze_figure(rows, title="Parameters per block"):
    """Bars of :func:`widgets.engine.params.block_table` rows: frozen (blue, hatched) and trainable (orange).

    The parameter axis is logarithmic: block sizes span decades (ResNet18's 8-million-parameter ``layer4`` and its
    5,130-parameter head), and on a linear axis the small blocks vanish. Frozen and trainable parts of a block are
    side by side, so each bar's height reads straight off the axis (stacked bars on a log axis would not).
    """
    names, frozen, trainable, hover = _bars(rows)
    fig = go.Figure(
        [
            go.Bar(name="frozen", x=names, y=frozen, marker=dict(color=FROZEN_COLOUR, pattern_shape=FROZEN_PATTERN),
                   hovertext=hover, hoverinfo="text"),
            go.Bar(name="trainable", x=names, y=trainable, marker_color=TRAINABLE_COLOUR, hovertext=hover,
                   hoverinfo="text"),
        ]
    )
    fig.update_layout(**layout(
        title=title,
        barmode="group",
        yaxis=dict(title="parameters (log scale)", type="log", dtick=1, exponentformat="power"),
        xaxis_title="block (model order, input first)",
        margin=dict(l=60, r=20, t=60, b=60),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    ))
    return fig


def update_freeze_figure(fig, rows):
    """Refresh a figure made by :func:`freeze_figure` in place (works on a ``go.FigureWidget``): no rebuild."""
    names, frozen, trainable, hover = _bars(rows)
    with fig.batch_update():
        for trace, values in zip(fig.data, (frozen, trainable)):
            if tuple(trace.x or ()) != tuple(names):
                trace.x = names
            trace.y = values
            trace.hovertext = hover


def batchnorm_drift_figure(series, title="BatchNorm running mean: change since the start"):
    """One line per setting: ``series`` maps a label to the drift after each batch (from ``batchnorm_drift``)."""
    fig = go.Figure()
    for i, (label, drift) in enumerate(series.items()):
        fig.add_scatter(x=list(range(1, len(drift) + 1)), y=drift, mode="lines+markers", name=label,
                        line=line(i), marker=marker(i))
    fig.update_layout(**layout(
        title=title,
        xaxis_title="batches seen in train mode (no weight updated)",
        yaxis_title="mean |change| of running_mean",
        height=340,
    ))
    return fig
