"""One look for every figure: a colour-blind-safe palette, dashes and markers that tell lines apart without colour,
and a size that fits a notebook.

The palette is Okabe and Ito's (2008), readable with every common colour-vision deficiency. A line is never told
apart by colour alone: each series also gets its own dash and marker, in the same order.
"""

#: Okabe-Ito: blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
MARKERS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "triangle-down"]
#: a JupyterLab output area on a laptop screen (1150 px window, file browser open) is about 718 px wide
MAX_WIDTH = 700
HEIGHT = 400  # with room for a legend of up to four rows below the plot
MARGIN = dict(l=60, r=20, t=50, b=50)


def colour(i):
    return PALETTE[i % len(PALETTE)]


def line(i, width=2, **extra):
    """Plotly ``line`` settings for series ``i``: its colour and its dash."""
    return dict(color=colour(i), dash=DASHES[i % len(DASHES)], width=width, **extra)


def marker(i, size=7, **extra):
    """Plotly ``marker`` settings for series ``i``: its colour and its symbol."""
    return dict(color=colour(i), symbol=MARKERS[i % len(MARKERS)], size=size, **extra)


def layout(**overrides):
    """The common layout: white template, notebook height and margins, a legend that never covers the plot."""
    base = dict(template="plotly_white", height=HEIGHT, margin=MARGIN, autosize=True,
                # below the plot: a legend that wraps onto a second row above it would cover the title
                legend=dict(orientation="h", yanchor="top", y=-0.28, xanchor="left", x=0))
    base.update(overrides)
    return base
