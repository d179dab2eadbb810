"""Figures for choosing a model: size and speed, as measured by :func:`widgets.core.zoo.measure`."""

from plotly.subplots import make_subplots

__all__ = ["model_comparison_figure"]


def model_comparison_figure(stats, title="Measured on this machine"):
    """Three bar charts side by side: parameters (millions), size on disk (MB), CPU latency (ms per image)."""
    names = [s.name for s in stats]
    panels = [
        ("parameters (millions)", [s.parameters / 1e6 for s in stats], "{:.1f} M"),
        ("size on disk (MB)", [s.size_bytes / 1e6 for s in stats], "{:.1f} MB"),
        ("CPU latency (ms per image)", [s.ms_per_image for s in stats], "{:.0f} ms"),
    ]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[p[0] for p in panels], horizontal_spacing=0.08)
    for col, (label, values, fmt) in enumerate(panels, start=1):
        fig.add_bar(
            x=names, y=values, name=label, showlegend=False, marker_color="#4c78a8",
            text=[fmt.format(v) for v in values], textposition="outside", cliponaxis=False,
            row=1, col=col,
        )
        fig.update_yaxes(rangemode="tozero", row=1, col=col)
    fig.update_layout(title=title, height=360, margin=dict(l=40, r=20, t=80, b=80))
    return fig
