"""Inputs the learner types into: labelled text boxes that keep exactly what was typed.

ipywidgets' sliders are hard to use without a mouse, give their handle no accessible name (axe reports it), and
snap a value to their grid without a word (3e-4 on a log slider shows 0.000316). A rate is typed instead, in the
form the course writes it ("3e-4"), and checked by :mod:`widgets.engine.checks` where it is read.
"""

import ipywidgets as ipw


def rate_box(description, value, width="190px"):
    """A text box for one learning rate, showing ``value`` as the course writes it (``3e-4``, ``0.01``)."""
    return ipw.Text(value=f"{value:g}", description=description, continuous_update=False,
                    layout=ipw.Layout(width=width), style={"description_width": "initial"})


def whole_box(description, value, low, high, width="190px"):
    """A labelled box for a whole number between ``low`` and ``high`` (arrow keys step it)."""
    return ipw.BoundedIntText(value=value, min=low, max=high, description=description, continuous_update=False,
                              layout=ipw.Layout(width=width), style={"description_width": "initial"})


def code_view(code, max_height=None):
    """Code in a ``<pre>`` that a keyboard can reach and scroll (tabindex), named for screen readers."""
    import html

    scroll = f"max-height:{max_height}px;overflow:auto;" if max_height else ""
    return (f"<pre tabindex='0' role='region' aria-label='code' "
            f"style='font-size:12px;line-height:1.3;margin:0;{scroll}'>{html.escape(code)}</pre>")
