"""Figures that compare fine-tuning recipes over several seeds: a bar per recipe (the mean) with a marker per seed,
and accuracy after each stage of gradual unfreezing, one line per seed."""

import statistics

import plotly.graph_objects as go

from .style import MARKERS, PALETTE, colour, layout, line, marker

__all__ = ["recipes_figure", "accuracy_by_stage_figure"]

PATTERNS = ["", "/", ".", "x"]  # a bar's metric is told by its hatching as well as its colour


def _mean(values):
    return statistics.fmean(values)


def recipes_figure(series, title, yaxis_title="accuracy", y_range=(0, 1)):
    """``series``: ``{metric: {recipe: [value per seed]}}``: grouped bars of the means, labelled "mean ± spread",
    with one marker per seed on each bar."""
    figure = go.Figure()
    recipes = list(next(iter(series.values())))
    width = 0.8 / len(series)
    for i, (metric, per_recipe) in enumerate(series.items()):
        x = [k + (i - (len(series) - 1) / 2) * width for k in range(len(recipes))]
        values = [per_recipe[r] for r in recipes]
        text = [f"{100 * _mean(v):.1f}% ± {50 * (max(v) - min(v)):.1f}" for v in values]
        figure.add_bar(x=x, y=[_mean(v) for v in values], width=width * 0.95, name=metric, text=text,
                       textposition="inside", insidetextanchor="end", textfont=dict(color="#000000", size=11),
                       marker=dict(color=PALETTE[i % len(PALETTE)], opacity=0.55, pattern_shape=PATTERNS[i % 4],
                                   line=dict(color=colour(i), width=1)),
                       hovertemplate=f"{metric}: %{{y:.1%}} (mean)<extra></extra>")
        figure.add_scatter(x=[x[k] for k, v in enumerate(values) for _ in v], y=[a for v in values for a in v],
                           mode="markers", name=f"{metric}, each seed", showlegend=False,
                           marker=dict(color="#000000", symbol=MARKERS[i % len(MARKERS)], size=7),
                           hovertemplate=f"{metric}, one seed: %{{y:.1%}}<extra></extra>")
    figure.update_layout(**layout(title=title, barmode="overlay",
                                  yaxis=dict(title=yaxis_title, range=list(y_range), tickformat=".0%"),
                                  xaxis=dict(tickvals=list(range(len(recipes))),
                                             ticktext=[r.replace(", ", ",<br>") for r in recipes]),
                                  margin=dict(l=60, r=20, t=80, b=70)))
    return figure


def accuracy_by_stage_figure(stages, per_seed, title, yaxis_title="digits test accuracy", y_range=(0, 1)):
    """``stages``: the stage labels; ``per_seed``: ``{seed label: [value after each stage]}``: one line per seed
    (its own colour, dash and marker), so what each stage changed within a run is read along its line."""
    figure = go.Figure()
    for i, (seed, values) in enumerate(per_seed.items()):
        figure.add_scatter(x=list(stages), y=list(values), mode="lines+markers", name=seed, line=line(i),
                           marker=marker(i, size=9), hovertemplate=f"{seed}, %{{x}}: %{{y:.1%}}<extra></extra>")
    figure.update_layout(**layout(title=title, yaxis=dict(title=yaxis_title, range=list(y_range), tickformat=".0%"),
                                  xaxis_title="after stage", margin=dict(l=60, r=20, t=80, b=50)))
    return figure
