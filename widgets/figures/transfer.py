"""Figures for the transfer lessons: pre-trained vs scratch, accuracy vs labels, and the layer drift meter."""

import plotly.graph_objects as go

COLOURS = {"scratch": "#d62728", "pre-trained": "#1f77b4"}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def _colour(name, i):
    return COLOURS.get(name, PALETTE[i % len(PALETTE)])


def seeds_figure(accuracies, chance=None, title="Test accuracy, one dot per seed"):
    """``{name: [accuracy per seed]}`` as dots, with each mean as a bar behind them."""
    figure = go.Figure()
    for i, (name, values) in enumerate(accuracies.items()):
        colour = _colour(name, i)
        figure.add_bar(x=[name], y=[sum(values) / len(values)], marker_color=colour, opacity=0.35,
                       name=f"{name} (mean)", showlegend=False)
        figure.add_scatter(x=[name] * len(values), y=values, mode="markers", marker=dict(size=11, color=colour),
                           name=name, showlegend=False)
    if chance is not None:
        figure.add_hline(y=chance, line_dash="dot", annotation_text="chance", annotation_position="top right")
    figure.update_layout(title=title, yaxis=dict(title="test accuracy", range=[0, 1], tickformat=".0%"),
                         height=360, width=520, margin=dict(t=50, b=40))
    return figure


def labels_curve_figure(n_per_class, curves, chance=None, title="Test accuracy vs labelled images per class"):
    """``curves``: ``{name: [accuracy for each n in n_per_class]}``."""
    figure = go.Figure()
    for i, (name, values) in enumerate(curves.items()):
        figure.add_scatter(x=list(n_per_class), y=values, mode="lines+markers", name=name,
                           line=dict(color=_colour(name, i), width=3), marker=dict(size=9))
    if chance is not None:
        figure.add_hline(y=chance, line_dash="dot", annotation_text="chance", annotation_position="bottom right")
    figure.update_layout(title=title, xaxis=dict(title="labelled images per class", type="log",
                                                 tickvals=list(n_per_class)),
                         yaxis=dict(title="test accuracy", range=[0, 1], tickformat=".0%"),
                         height=380, width=620, margin=dict(t=50, b=40))
    return figure


def drift_figure(steps, drift, stages=(), title="Layer drift meter: how far each block moved"):
    """``drift``: ``{block: [relative change at each of steps]}``; ``stages``: ``[(step, label)]`` markers."""
    figure = go.Figure()
    for i, (block, values) in enumerate(drift.items()):
        figure.add_scatter(x=list(steps), y=values, mode="lines+markers", name=block,
                           line=dict(color=PALETTE[i % len(PALETTE)], width=3))
    for step, label in stages:
        figure.add_vline(x=step, line_dash="dot", annotation_text=label, annotation_position="top left")
    figure.update_layout(title=title, xaxis_title="training step",
                         yaxis_title="relative change ||w - w0|| / ||w0||", height=380, width=680,
                         margin=dict(t=50, b=40))
    return figure
