"""Figures for the layer drift meter and its controls: drift over training, and any per-block measure (drift,
feature similarity) for several models side by side, one marker per seed."""

import statistics

import plotly.graph_objects as go

from .style import MARKERS, colour, layout, line, marker

__all__ = ["drift_figure", "per_block_figure"]


def drift_figure(steps, drift, stages=(), title="Layer drift meter: how far each block moved"):
    """``drift``: ``{block: [relative change at each of steps]}``; ``stages``: ``[(step, label)]`` markers."""
    figure = go.Figure()
    for i, (block, values) in enumerate(drift.items()):
        figure.add_scatter(x=list(steps), y=list(values), mode="lines+markers", name=block, line=line(i),
                           marker=marker(i))
    for step, label in stages:
        figure.add_vline(x=step, line_dash="dot", line_color="#777777", annotation_text=label,
                         annotation_position="top right")
    figure.update_layout(**layout(title=title, xaxis_title="training step",
                                  yaxis_title="relative change ‖w − w₀‖ / ‖w₀‖", margin=dict(l=60, r=20, t=80, b=50)))
    return figure


def per_block_figure(series, title, yaxis_title, log=False, y_range=None, hover_format=".3f", chance=None):
    """``series``: ``{label: {block: [value per seed]}}``. Each label is a line through its per-block means (its own
    colour, dash and marker), with small markers for the seeds and an error bar for the spread (half the range).
    ``chance``: a dotted reference line (an accuracy a guess would get)."""
    figure = go.Figure()
    blocks = list(next(iter(series.values())))
    width = 0.12
    for i, (label, per_block) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        x = [k + offset for k in range(len(blocks))]
        means = [statistics.fmean(per_block[b]) for b in blocks]
        spreads = [(max(per_block[b]) - min(per_block[b])) / 2 for b in blocks]
        figure.add_scatter(x=x, y=means, mode="lines+markers", name=label, line=line(i), marker=marker(i, size=10),
                           error_y=dict(type="data", array=spreads, visible=True, color=colour(i)),
                           customdata=blocks, hovertemplate=f"{label}, %{{customdata}}: mean %{{y:{hover_format}}}"
                           "<extra></extra>")
        seeds_x = [x[k] for k, b in enumerate(blocks) for _ in per_block[b]]
        seeds_y = [v for b in blocks for v in per_block[b]]
        figure.add_scatter(x=seeds_x, y=seeds_y, mode="markers", name=f"{label}, each seed", showlegend=False,
                           marker=dict(color=colour(i), symbol=MARKERS[i % len(MARKERS)] + "-open", size=6),
                           hovertemplate=f"{label}, one seed: %{{y:{hover_format}}}<extra></extra>")
    if chance is not None:
        figure.add_hline(y=chance, line_dash="dot", line_color="#777777", annotation_text="chance",
                         annotation_position="bottom right")
    yaxis = dict(title=yaxis_title, type="log" if log else "linear")
    if y_range is not None:
        yaxis["range"] = y_range
    figure.update_layout(**layout(title=title, yaxis=yaxis,
                                  xaxis=dict(title="block (input first)", tickvals=list(range(len(blocks))),
                                             ticktext=blocks, range=[-0.5, len(blocks) - 0.5]),
                                  margin=dict(l=60, r=20, t=80, b=50)))
    return figure
