"""Plotly figures for training: loss curves per learning rate, the forgetting meter, the LR finder, schedules,
per-block rates, and train-vs-validation curves.

Each ``*_figure`` builds a figure (a ``go.FigureWidget`` with ``widget=True``); each ``update_*`` refreshes one
in place, so a live plot in a widget is updated, never rebuilt. Every series has its own colour (Okabe-Ito), dash
and marker (:mod:`widgets.figures.style`); values that span decades (losses that blow up, rates) are on log axes.
A rate that diverged is drawn as diverged: its loss curve up to the blow-up with a cross where it blew up, and its
bars hatched and labelled "diverged", measured where it blew up.
"""

import contextlib

import plotly.graph_objects as go

from .style import PALETTE, colour, layout, line, marker

DIVERGED_PATTERN = "x"  # hatched bars: a diverged rate never rests on colour alone
NEW_TASK, OLD_TASK = PALETTE[0], PALETTE[1]
TRAIN_DASH, VALIDATION_DASH = "solid", "dash"  # train vs validation: the dash tells them apart, the run the colour


def _make(widget, **settings):
    fig = go.FigureWidget() if widget else go.Figure()
    fig.update_layout(**layout(**settings))
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
    return _make(widget, title=title, xaxis_title="step", yaxis_title="loss (log scale)", yaxis_type="log",
                 legend_title="rate")


def update_loss_curves(fig, lrs, losses, status=None, best=None, blowups=None, names=None):
    """One line per rate (its own colour, dash and marker). A diverged rate's line runs up to the step where it blew
    up and ends in a large cross at the loss that blew up (``blowups[i]``: ``{"step", "loss"}``); the y axis is
    logarithmic, so that point and the others stay readable together. ``best``'s line is thicker."""
    status = status or ["done"] * len(lrs)
    blowups = blowups or [None] * len(lrs)
    traces = []
    for i, (lr, loss) in enumerate(zip(lrs, losses)):
        diverged = i < len(status) and status[i] == "diverged"
        blowup = blowups[i] if i < len(blowups) else None
        label = names[i] if names else rate_label(lr)
        name = label + (f" (diverged at step {blowup['step']})" if diverged and blowup else
                        " (diverged)" if diverged else "") + (" (best)" if i == best else "")
        x, y = list(range(1, len(loss) + 1)), list(loss)
        symbols = [marker(i)["symbol"]] * len(y)
        sizes = [7] * len(y)
        if diverged and blowup:
            x, y = x + [blowup["step"]], y + [blowup["loss"]]
            symbols, sizes = symbols + ["x"], sizes + [14]
        traces.append(go.Scatter(
            x=x, y=y, mode="lines+markers", name=name, legendgroup=str(i),
            line=line(i, width=4 if i == best else 2),
            marker=dict(color=colour(i), symbol=symbols, size=sizes, maxdisplayed=0 if diverged else 12)))
    _set_traces(fig, traces)
    return fig


def accuracy_bars_figure(widget=False, title="After training: new task vs old task (the forgetting meter)"):
    return _make(widget, title=title, yaxis_title="accuracy", yaxis_range=[0, 1.1], barmode="group",
                 yaxis_tickformat=".0%")


def update_accuracy_bars(fig, lrs, target_acc, source_acc=None, source_before=None, status=None, labels=None):
    """Bars per rate: accuracy on the new task, and on the OLD task with the original head (forgetting).

    A rate that diverged is measured where it blew up (never at its restored start): its bars are hatched and
    labelled "diverged". ``labels`` names the bars (default: the rates)."""
    labels = labels or [rate_label(lr) for lr in lrs]
    status = status or ["done"] * len(labels)
    diverged = [i < len(status) and status[i] == "diverged" for i in range(len(labels))]
    patterns = [DIVERGED_PATTERN if d else "" for d in diverged]

    def text(values):
        return [("diverged: " if d else "") + (f"{a:.0%}" if a is not None else "") for a, d in zip(values, diverged)]

    traces = [go.Bar(x=labels, y=[a if a is not None else 0 for a in target_acc], name="new task (validation)",
                     marker=dict(color=NEW_TASK, pattern_shape=patterns), text=text(target_acc))]
    if source_acc is not None and any(a is not None for a in source_acc):
        traces.append(go.Bar(x=labels, y=[a or 0 for a in source_acc], name="old task (what it knew)",
                             marker=dict(color=OLD_TASK, pattern_shape=["/" if p else "" for p in patterns]),
                             text=text(source_acc)))
    if source_before is not None and labels:
        # a line trace, not a shape: it shows in the legend and needs no axis arithmetic
        traces.append(go.Scatter(x=labels, y=[source_before] * len(labels), mode="lines+markers",
                                 name=f"old task before: {source_before:.0%}", line={**line(1), "dash": "dot"},
                                 marker={**marker(1), "symbol": "line-ew-open", "size": 12}))
    _set_traces(fig, traces)
    return fig


# --------------------------------------------------------------------------------------------- LR finder


def finder_figure(result=None, widget=False, title="LR range test: loss as the rate grows"):
    fig = _make(widget, title=title, xaxis_title="learning rate (log scale)", yaxis_title="loss", xaxis_type="log")
    if result is not None:
        update_finder(fig, result)
    return fig


def update_finder(fig, result):
    """Raw and smoothed loss against the rate, with the steepest fall and the suggestion as vertical lines."""
    top = min(max(result.smoothed), 3 * min(result.smoothed)) * 1.1 if result.smoothed else 1
    traces = [
        go.Scatter(x=result.lrs, y=result.losses, mode="lines", name="loss per batch",
                   line=dict(color="#999999", width=1)),
        go.Scatter(x=result.lrs, y=result.smoothed, mode="lines+markers", name="smoothed", line=line(0, width=3),
                   marker=marker(0, maxdisplayed=15)),
    ]
    # vertical lines as traces: shapes on a log axis would need log10 coordinates
    for i, (x, text) in enumerate(((result.steepest, "steepest"), (result.min_over_10, "lowest / 10")), start=2):
        traces.append(go.Scatter(x=[x, x], y=[0, top], mode="lines+markers", name=f"{text}: {x:.0e}",
                                 line={**line(i + 1), "dash": "dash" if i == 2 else "dot"}, marker=marker(i + 1)))
    with _batch(fig):
        _set_traces(fig, traces)
        fig.update_yaxes(range=[0, top])
    return fig


# --------------------------------------------------------------------------------------------- schedules


def schedule_figure(curves=None, highlight=None, widget=False, title="Learning rate at each step (log scale)"):
    fig = _make(widget, title=title, xaxis_title="step", yaxis_title="learning rate", yaxis_type="log",
                legend_title="schedule")
    if curves:
        update_schedule(fig, curves, highlight)
    return fig


def update_schedule(fig, curves, highlight=None):
    """``curves``: ``{name: [rate per step]}``; ``highlight``'s line is drawn bold, the others faint. The rate axis
    is logarithmic: decays reach a thousandth of the start, warm-up starts at a tenth."""
    traces = []
    for i, (name, curve) in enumerate(curves.items()):
        bold = highlight is None or name == highlight
        traces.append(go.Scatter(x=list(range(len(curve))), y=[max(v, 1e-12) for v in curve], mode="lines+markers",
                                 name=name, opacity=1.0 if bold else 0.35,
                                 line=line(i, width=4 if name == highlight else 2),
                                 marker=marker(i, maxdisplayed=8)))
    _set_traces(fig, traces)
    return fig


def validation_loss_figure(widget=False, title="Validation loss: constant rate vs the schedule"):
    return _make(widget, title=title, xaxis_title="step", yaxis_title="validation loss", legend_title="run")


def update_validation_loss(fig, runs):
    """``runs``: ``{label: History}``; the validation loss at each evaluation, one line (dash, marker) per run."""
    traces = [go.Scatter(x=h.eval_steps[: len(h.val_loss)], y=h.val_loss, mode="lines+markers", name=label,
                         line=line(i), marker=marker(i)) for i, (label, h) in enumerate(runs.items())]
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
    traces = [go.Bar(x=names, y=values, text=text, textposition="outside", marker_color=colour(0),
                     name="discriminative")]
    if uniform is not None:
        traces.append(go.Scatter(x=names, y=[uniform] * len(names), mode="lines+markers",
                                 name=f"uniform: {uniform:.0e}",
                                 line={**line(3), "dash": "dot"}, marker=marker(3)))
    _set_traces(fig, traces)
    return fig


# --------------------------------------------------------------------------------------------- train vs validation


def train_val_figure(widget=False, title="Accuracy: training set (solid) vs validation set (dashed)"):
    return _make(widget, title=title, xaxis_title="step", yaxis_title="accuracy", yaxis_range=[0, 1.05],
                 yaxis_tickformat=".0%")


def update_train_val(fig, runs, held_out="validation"):
    """``runs``: ``{label: History}``; per run a solid training line and a dashed line for the held-out images
    (``held_out`` names them: the validation set, or the test set), both in the run's colour and marker. A run that
    stopped early ends where it stopped."""
    traces = []
    for i, (label, history) in enumerate(runs.items()):
        traces.append(go.Scatter(x=history.eval_steps[: len(history.train_acc)], y=history.train_acc,
                                 mode="lines+markers", name=f"{label}: train", legendgroup=label,
                                 line={**line(i), "dash": TRAIN_DASH}, marker=marker(i)))
        if history.val_acc:
            traces.append(go.Scatter(x=history.eval_steps[: len(history.val_acc)], y=history.val_acc,
                                     mode="lines+markers", name=f"{label}: {held_out}", legendgroup=label,
                                     line={**line(i), "dash": VALIDATION_DASH},
                                     marker={**marker(i), "symbol": marker(i)["symbol"] + "-open"}))
    _set_traces(fig, traces)
    return fig
