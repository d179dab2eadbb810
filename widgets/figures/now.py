"""Lesson 08's figures: the freezing spectrum (what trains vs what it reaches, in and out of distribution) and
in-distribution against shifted accuracy for a few recipes."""

import plotly.graph_objects as go

from . import style


def _mean(values):
    return sum(values) / len(values)


def spectrum_figure(rows, title="The spectrum: trainable parameters vs accuracy (one dot per seed)", widget=False):
    """``rows``: ``{method: (trainable parameters, [in-distribution accuracy per seed], [shifted accuracy per
    seed])}``. Two series on a log x axis: the Digits-M test set (filled) and the shifted test set (open)."""
    figure = go.FigureWidget() if widget else go.Figure()
    figure.update_layout(**style.layout(title=title))
    update_spectrum(figure, rows)
    return figure


def update_spectrum(figure, rows):
    names = list(rows)
    traces = []
    for i, (label, key) in enumerate((("Digits-M test", 1), ("shifted test (smooth backgrounds)", 2))):
        xs = [rows[n][0] for n in names for _ in rows[n][key]]
        ys = [a for n in names for a in rows[n][key]]
        texts = [n for n in names for _ in rows[n][key]]
        symbol = style.marker(i)["symbol"] + ("" if i == 0 else "-open")
        traces.append(go.Scatter(x=xs, y=ys, mode="markers", name=label, text=texts,
                                 marker={**style.marker(i, size=9), "symbol": symbol},
                                 hovertemplate="%{text}: %{x:,} trainable, %{y:.1%}<extra>" + label + "</extra>"))
        traces.append(go.Scatter(x=[rows[n][0] for n in names], y=[_mean(rows[n][key]) for n in names],
                                 mode="lines+text" if i == 0 else "lines", line=style.line(i, width=1),
                                 text=names if i == 0 else None, textposition="top center", showlegend=False,
                                 hoverinfo="skip", name=f"{label} (mean)"))
    with figure.batch_update():
        figure.data = ()
        figure.add_traces(traces)
        figure.update_layout(**style.layout(xaxis=dict(title="trainable parameters (log scale)", type="log"),
                                            yaxis=dict(title="accuracy", range=[0, 1.05], tickformat=".0%")))
    return figure


def in_and_out_figure(runs, title="In distribution vs shifted, one dot per seed"):
    """``runs``: ``{name: ([in-distribution accuracy per seed], [shifted accuracy per seed])}``: one dot per seed,
    x the Digits-M test set, y the shifted one; the diagonal is "as good shifted as in distribution"."""
    figure = go.Figure()
    for i, (name, (in_acc, shifted)) in enumerate(runs.items()):
        figure.add_scatter(x=in_acc, y=shifted, mode="markers", name=name, marker=style.marker(i, size=11),
                           hovertemplate="in distribution %{x:.1%}, shifted %{y:.1%}<extra>" + name + "</extra>")
    figure.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color="#999", dash="dot", width=1),
                       showlegend=False, hoverinfo="skip")
    figure.update_layout(**style.layout(title=title,
                                        xaxis=dict(title="Digits-M test accuracy", range=[0, 1], tickformat=".0%"),
                                        yaxis=dict(title="shifted test accuracy", range=[0, 1], tickformat=".0%")))
    return figure
