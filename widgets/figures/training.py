"""Plotly figures for training: loss curves per learning rate, the forgetting meter, the LR finder, schedules,
per-block rates, and train-vs-validation curves.

Each ``*_figure`` builds a figure (a ``go.FigureWidget`` with ``widget=True``); each ``update_*`` refreshes one
in place, so a live plot in a widget is updated, never rebuilt.
"""

import contextlib

import plotly.graph_objects as go

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
LAYOUT = dict(template="plotly_white", height=340, margin=dict(l=60, r=20, t=50, b=50))


def _make(widget, **layout):
    fig = go.FigureWidget() if widget else go.Figure()
    fig.update_layout(**{**LAYOUT, **layout})
    return fig


def _batch(fig):
    return fig.batch_update() if hasattr(fig, "batch_update") else contextlib.nullcontext()


def _set_traces(fig, traces):
    """Replace the figure's traces with ``traces``, reusing the existing ones when the count matches."""
    with _batch(fig):
        if len(fig.data) != len(traces):
            fig.data = []
            fig.add_traces(traces)
            return
        for old, new in zip(fig.data, traces):
            old.update(new.to_plotly_json(), overwrite=True)


def rate_label(lr):
    return f"lr {lr:.0e}".replace("e-0", "e-").replace("e+0", "e")


# --------------------------------------------------------------------------------------------- LR explorer


def loss_curves_figure(widget=False, title="Training loss for each learning rate"):
    return _make(widget, title=title, xaxis_title="step", yaxis_title="loss (cross-entropy)", legend_title="rate")


def update_loss_curves(fig, lrs, losses, status=None, best=None):
    """One line per rate; diverged rates dashed (their line ends where they blew up), the best one thicker."""
    status = status or ["done"] * len(lrs)
    traces = []
    for i, (lr, loss) in enumerate(zip(lrs, losses)):
        diverged = i < len(status) and status[i] == "diverged"
        name = rate_label(lr) + (" (diverged)" if diverged else "") + (" (best)" if i == best else "")
        traces.append(
            go.Scatter(
                x=list(range(1, len(loss) + 1)),
                y=list(loss),
                mode="lines",
                name=name,
                line=dict(color=COLOURS[i % len(COLOURS)], width=4 if i == best else 2, dash="dash" if diverged else "solid"),
            )
        )
    _set_traces(fig, traces)
    return fig


def accuracy_bars_figure(widget=False, title="After training: new task vs old task (the forgetting meter)"):
    return _make(widget, title=title, yaxis_title="accuracy", yaxis_range=[0, 1.05], barmode="group",
                 yaxis_tickformat=".0%")


def update_accuracy_bars(fig, lrs, target_acc, source_acc=None, source_before=None):
    """Bars per rate: accuracy on the new task, and on the OLD task with the original head (forgetting)."""
    labels = [rate_label(lr) for lr in lrs]
    traces = [go.Bar(x=labels, y=[a if a is not None else 0 for a in target_acc], name="new task (validation)",
                     marker_color="#1f77b4", text=[f"{a:.0%}" if a is not None else "" for a in target_acc])]
    if source_acc is not None and any(a is not None for a in source_acc):
        traces.append(go.Bar(x=labels, y=[a or 0 for a in source_acc], name="old task (what it knew)",
                             marker_color="#ff7f0e", text=[f"{a:.0%}" if a is not None else "" for a in source_acc]))
    if source_before is not None and labels:
        # a line trace, not a shape: it shows in the legend and needs no axis arithmetic
        traces.append(go.Scatter(x=labels, y=[source_before] * len(labels), mode="lines", name=f"old task before: {source_before:.0%}",
                                 line=dict(color="#ff7f0e", dash="dot")))
    _set_traces(fig, traces)
    return fig


# --------------------------------------------------------------------------------------------- LR finder


def finder_figure(result=None, widget=False, title="LR range test: loss as the rate grows"):
    fig = _make(widget, title=title, xaxis_title="learning rate (log scale)", yaxis_title="loss", xaxis_type="log")
    if result is not None:
        update_finder(fig, result)
    return fig


def update_finder(fig, result):
    """Raw and smoothed loss against the rate, with the two suggested rates as vertical lines."""
    top = min(max(result.smoothed), 3 * min(result.smoothed)) * 1.1 if result.smoothed else 1
    traces = [
        go.Scatter(x=result.lrs, y=result.losses, mode="lines", name="loss per batch", line=dict(color="#c7c7c7")),
        go.Scatter(x=result.lrs, y=result.smoothed, mode="lines", name="smoothed", line=dict(color="#1f77b4", width=3)),
    ]
    # vertical lines as traces: shapes on a log axis would need log10 coordinates
    for x, text, colour in ((result.steepest, "steepest", "#2ca02c"), (result.min_over_10, "lowest / 10", "#d62728")):
        traces.append(go.Scatter(x=[x, x], y=[0, top], mode="lines", name=f"{text}: {x:.0e}",
                                 line=dict(color=colour, dash="dash")))
    with _batch(fig):
        _set_traces(fig, traces)
        fig.update_yaxes(range=[0, top])
    return fig


# --------------------------------------------------------------------------------------------- schedules


def schedule_figure(curves=None, highlight=None, widget=False, title="Learning rate at each step"):
    fig = _make(widget, title=title, xaxis_title="step", yaxis_title="learning rate", legend_title="schedule")
    if curves:
        update_schedule(fig, curves, highlight)
    return fig


def update_schedule(fig, curves, highlight=None):
    """``curves``: ``{name: [rate per step]}``; ``highlight``'s line is drawn bold, the others faint."""
    traces = []
    for i, (name, curve) in enumerate(curves.items()):
        bold = highlight is None or name == highlight
        traces.append(go.Scatter(x=list(range(len(curve))), y=list(curve), mode="lines", name=name,
                                 opacity=1.0 if bold else 0.3,
                                 line=dict(color=COLOURS[i % len(COLOURS)], width=4 if name == highlight else 2)))
    _set_traces(fig, traces)
    return fig


# --------------------------------------------------------------------------------------------- per-block rates


def rates_figure(rates=None, widget=False, title="Learning rate per block"):
    fig = _make(widget, title=title, yaxis_title="learning rate (log scale)", yaxis_type="log")
    if rates:
        update_rates(fig, rates)
    return fig


def update_rates(fig, rates, uniform=None):
    """Bars of ``{block: rate}`` (a frozen block has rate 0 and no bar); a dotted line at the ``uniform`` rate."""
    names = list(rates)
    values = [rates[n] if rates[n] else None for n in names]
    text = [f"{v:.0e}" if v else "frozen" for v in values]
    traces = [go.Bar(x=names, y=values, text=text, textposition="outside", marker_color="#1f77b4",
                     name="discriminative")]
    if uniform is not None:
        traces.append(go.Scatter(x=names, y=[uniform] * len(names), mode="lines", name=f"uniform: {uniform:.0e}",
                                 line=dict(color="#d62728", dash="dot")))
    _set_traces(fig, traces)
    return fig


# --------------------------------------------------------------------------------------------- train vs validation


def train_val_figure(widget=False, title="Accuracy: training set vs validation set"):
    return _make(widget, title=title, xaxis_title="step", yaxis_title="accuracy", yaxis_range=[0, 1.05],
                 yaxis_tickformat=".0%")


def update_train_val(fig, runs):
    """``runs``: ``{label: History}``; per run a solid training line and a dashed validation line."""
    traces = []
    for i, (label, history) in enumerate(runs.items()):
        colour = COLOURS[i % len(COLOURS)]
        traces.append(go.Scatter(x=history.eval_steps[: len(history.train_acc)], y=history.train_acc, mode="lines+markers",
                                 name=f"{label}: train", line=dict(color=colour)))
        if history.val_acc:
            traces.append(go.Scatter(x=history.eval_steps[: len(history.val_acc)], y=history.val_acc,
                                     mode="lines+markers", name=f"{label}: validation", line=dict(color=colour, dash="dash")))
    _set_traces(fig, traces)
    return fig
