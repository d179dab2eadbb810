"""Figures for the freezing lab: parameters per block, frozen and trainable; BatchNorm statistics drifting."""

import plotly.graph_objects as go

FROZEN_COLOUR = "#4c78a8"  # blue: ice
TRAINABLE_COLOUR = "#f58518"  # orange: warm, moving

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
    """A stacked bar chart of :func:`widgets.core.params.block_table` rows: frozen (blue) and trainable (orange).

    A block that is partly frozen shows both colours.
    """
    names, frozen, trainable, hover = _bars(rows)
    fig = go.Figure(
        [
            go.Bar(name="frozen", x=names, y=frozen, marker_color=FROZEN_COLOUR, hovertext=hover, hoverinfo="text"),
            go.Bar(name="trainable", x=names, y=trainable, marker_color=TRAINABLE_COLOUR, hovertext=hover,
                   hoverinfo="text"),
        ]
    )
    fig.update_layout(
        title=title,
        barmode="stack",
        yaxis_title="parameters",
        xaxis_title="block (model order, input first)",
        height=340,
        margin=dict(l=60, r=20, t=50, b=60),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
    )
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
    for label, drift in series.items():
        fig.add_scatter(x=list(range(1, len(drift) + 1)), y=drift, mode="lines+markers", name=label)
    fig.update_layout(
        title=title,
        xaxis_title="batches seen in train mode (no weight updated)",
        yaxis_title="mean |change| of running_mean",
        height=320,
        margin=dict(l=60, r=20, t=50, b=50),
    )
    return fig
