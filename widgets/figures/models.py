"""Figures for choosing a model: its costs, as measured by :func:`widgets.kit.measure.measure`."""

from plotly.subplots import make_subplots

from . import style

__all__ = ["model_comparison_figure", "training_bill_figure"]


def _si(value, unit=""):
    """``3.5 M``, ``1.8 G``, ``12 k``: a count readable at a glance."""
    for factor, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".strip()


def model_comparison_figure(stats, title="What each model costs"):
    """Three panels of horizontal bars, one row per model: parameters and multiply-adds per image (counts: the
    same on every machine) and the CPU latency per image (a timing: measured here, now, the fastest repeat)."""
    names = [s.name for s in stats]
    threads = {getattr(s, "threads", None) for s in stats}
    thread_note = f", {threads.pop()} thread" if len(threads) == 1 and None not in threads else ""
    panels = [
        ("parameters (count)", [s.parameters for s in stats], _si),
        ("multiply-adds per image (count)", [s.multiply_adds_per_image for s in stats], _si),
        (f"latency per image (timed here{thread_note})", [s.ms_per_image for s in stats], lambda v: f"{v:.3g} ms"),
    ]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[p[0] for p in panels], shared_yaxes=True,
                        horizontal_spacing=0.05)
    for col, (label, values, fmt) in enumerate(panels, start=1):
        fig.add_bar(y=names, x=values, orientation="h", name=label, showlegend=False,
                    marker=dict(color=style.colour(col - 1), pattern_shape=["", "/", "."][col - 1]),
                    text=[fmt(v) for v in values], textposition="auto", row=1, col=col)
        fig.update_xaxes(showticklabels=False, rangemode="tozero", row=1, col=col)
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    fig.update_annotations(font_size=12)
    fig.update_layout(**style.layout(title=title, height=90 + 40 * len(stats), margin=dict(l=120, r=20, t=80, b=20)))
    return fig


def training_bill_figure(bills, title="The bill for 500 images, in multiply-adds (log scale)"):
    """``bills``: ``{model name: {"way of training": multiply-adds}}``: grouped horizontal bars on a log axis
    (the ways differ by decades), one colour and pattern per way."""
    import plotly.graph_objects as go

    names = list(bills)
    ways = list(next(iter(bills.values())))
    fig = go.Figure()
    for i, way in enumerate(ways):
        values = [bills[name][way] for name in names]
        fig.add_bar(y=names, x=values, orientation="h", name=way, text=[_si(v) for v in values],
                    textposition="auto", marker=dict(color=style.colour(i), pattern_shape=["", "/", "."][i % 3]))
    fig.update_layout(**style.layout(title=title, barmode="group", height=120 + 55 * len(names),
                                     margin=dict(l=120, r=20, t=90, b=40),
                                     xaxis=dict(type="log", title="multiply-adds"),
                                     yaxis=dict(autorange="reversed")))
    return fig
