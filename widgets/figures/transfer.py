"""Figures for the transfer lessons: one dot per seed for each start, accuracy vs labels, and the capstone's two
stages (the layer drift meter is in drift.py)."""

import plotly.graph_objects as go

from . import style

PALETTE = style.PALETTE


def _mean(values):
    return sum(values) / len(values)


def seeds_figure(accuracies, chance=None, title="Test accuracy, one dot per seed"):
    """``{name: [accuracy per seed]}``: each seed a dot, each mean a pale bar behind them (and its value)."""
    figure = go.Figure()
    for i, (name, values) in enumerate(accuracies.items()):
        figure.add_bar(x=[name], y=[_mean(values)], marker_color=style.colour(i), opacity=0.3, showlegend=False,
                       name=f"{name} (mean)", text=[f"{_mean(values):.0%}"], textposition="outside",
                       hoverinfo="skip")
        figure.add_scatter(x=[name] * len(values), y=values, mode="markers", marker=style.marker(i, size=11),
                           name=name, showlegend=False, hovertemplate="%{y:.1%}<extra>" + name + "</extra>")
    if chance is not None:
        figure.add_hline(y=chance, line_dash="dot", annotation_text="chance", annotation_position="top right")
    figure.update_layout(**style.layout(title=title, yaxis=dict(title="test accuracy", range=[0, 1.05],
                                                                   tickformat=".0%")))
    return figure


def labels_curve_figure(n_per_class, curves, chance=None, title="Test accuracy vs labelled images per class"):
    """``curves``: ``{name: [accuracy for each n]}``, or ``{name: [[accuracy per seed] for each n]}``: then the
    line joins the means, each seed is a small dot, and the bar spans the seeds (lowest to highest)."""
    figure = go.Figure()
    for i, (name, values) in enumerate(curves.items()):
        per_seed = all(isinstance(v, (list, tuple)) for v in values)
        means = [_mean(v) for v in values] if per_seed else list(values)
        error = None
        if per_seed:
            error = dict(type="data", symmetric=False, array=[max(v) - m for v, m in zip(values, means)],
                         arrayminus=[m - min(v) for v, m in zip(values, means)], color=style.colour(i), width=4)
        figure.add_scatter(x=list(n_per_class), y=means, mode="lines+markers", name=name, line=style.line(i, width=3),
                           marker=style.marker(i, size=10), error_y=error)
    if chance is not None:
        figure.add_hline(y=chance, line_dash="dot", annotation_text="chance", annotation_position="bottom right")
    figure.update_layout(**style.layout(
        title=title, xaxis=dict(title="labelled images per class (log scale)", type="log", tickvals=list(n_per_class)),
        yaxis=dict(title="test accuracy", range=[0, 1], tickformat=".0%")))
    return figure


def stages_figure(stages, title="Validation accuracy, stage by stage"):
    """``stages``: ``[(label, history)]`` for runs made one after the other on the same model. Each stage's
    validation curve on one step axis, a dotted line where a stage starts, and a big marker for the model each
    stage LEFT (``history.final``: after early stopping, the restored best model, not the curve's last point)."""
    figure = go.Figure()
    offset = 0
    for i, (label, history) in enumerate(stages):
        steps = [offset + s for s in history.eval_steps]
        figure.add_scatter(x=steps, y=history.val_acc, mode="lines+markers", name=label,
                           line=style.line(i), marker=style.marker(i, size=6))
        final = history.final
        if "val_acc" in final:
            figure.add_scatter(x=[steps[-1] if steps else offset], y=[final["val_acc"]], mode="markers+text",
                               marker=style.marker(i, size=15, line=dict(color="black", width=1)),
                               text=[f"{final['val_acc']:.0%}"], textposition="bottom center",
                               name=f"{label}: the model it leaves", showlegend=True)
        if i:
            figure.add_vline(x=offset, line_dash="dot", line_color="grey")
        offset = steps[-1] if steps else offset
    figure.update_layout(**style.layout(title=title, height=440, xaxis=dict(title="training step"),
                                        yaxis=dict(title="validation accuracy", range=[0, 1], tickformat=".0%")))
    return figure
