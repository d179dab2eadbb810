"""Inputs the learner types into: labelled text boxes that keep exactly what was typed.

ipywidgets' sliders are hard to use without a mouse, give their handle no accessible name (axe reports it), and
snap a value to their grid without a word (3e-4 on a log slider shows 0.000316). A rate is typed instead, in the
form the course writes it ("3e-4"), and checked once, by the validated trait it sets (:class:`TypedBoxes`), with
:mod:`widgets.engine.checks`' wording.
"""

import ipywidgets as ipw
import traitlets

from ..engine import checks


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


# --- settings as traitlets: the trait is the one check, the box only carries what was typed ----------------------


class Rate(traitlets.TraitType):
    """A learning rate, checked by :func:`widgets.engine.checks.rate` (numeric text such as ``"3e-4"`` is read):
    the one check of a rate in a widget. A bad rate raises ``SettingError``, never a clamp."""

    info_text = "a learning rate above 0, such as 1e-3"

    def __init__(self, default_value=1e-3, what=None, **kwargs):
        super().__init__(default_value, **kwargs)
        self.what = what

    def validate(self, obj, value):
        return checks.rate(value, self.what or self.name)


class Checked(traitlets.TraitType):
    """A value checked by ``check(value)``, which returns the clean value or raises ``SettingError``: the one check
    of a setting that is not a rate (a budget, say)."""

    def __init__(self, default_value, check, **kwargs):
        super().__init__(default_value, **kwargs)
        self.check = check

    def validate(self, obj, value):
        return self.check(value)


class Rates(traitlets.TraitType):
    """Several learning rates, sorted, repeats dropped: a list of numbers or text such as ``"1e-4, 3e-3"``."""

    info_text = "learning rates such as 1e-4, 3e-3"
    default_value = ()

    def validate(self, obj, value):
        return tuple(checks.rates(value))


class TypedBoxes:
    """Boxes the learner types into (or toggles), tied to an owner's validated traits.

    Each box shows its trait's value; what is typed into it is handed to the trait, whose validation is the one
    check. A value the trait refuses is said (``say(message)``), stays in its box to be fixed, and is kept in
    ``problems`` until it is: :meth:`refuse_if_any` raises it again, so Train says it too rather than train on
    the last good value unseen. A value set from code is shown in every box at once; a change typed into one
    box leaves another box's refused text alone, to be fixed.
    """

    def __init__(self, owner, say):
        self.owner, self.say, self.problems = owner, say, {}
        self.typing = None  # the key of the boxes whose typing is being handed to a trait
        self.showing = False  # a box is being written from its trait: not typing

    def tie(self, box, trait, shown=lambda value: value, typed=lambda value: value, key=None):
        """``box`` shows ``shown(value of trait)``; typing sets the trait to ``typed(what was typed)``. Boxes that
        set one value together (a row of toggles) share a ``key``: one problem for them all."""
        key = key or box.description or trait

        def from_box(change):
            if self.showing:
                return
            self.typing = key
            try:
                setattr(self.owner, trait, typed(change["new"]))
            except (checks.SettingError, traitlets.TraitError) as error:
                self.problems[key] = error
                self.say(str(error))
                return
            finally:
                self.typing = None
            self.solved(key)

        def from_trait(change):
            if self.typing not in (None, key) and key in self.problems:
                return  # typed elsewhere: this box's refused text stays, to be fixed
            self.showing = True
            try:
                if box.value != shown(change["new"]):
                    box.value = shown(change["new"])
            finally:
                self.showing = False
            if self.typing is None:
                self.solved(key)  # set from code: the box shows a good value again

        box.value = shown(getattr(self.owner, trait))
        box.observe(from_box, "value")
        self.owner.observe(from_trait, trait)
        return box

    def solved(self, key):
        if self.problems.pop(key, None) is not None and not self.problems:
            self.say("")

    def refuse_if_any(self):
        """Raise the first value the traits refused that is still in its box."""
        for error in self.problems.values():
            raise error


#: keep two traits equal, both ways: ``widgets.link((explorer, "steps"), (discriminative, "steps"))`` (ipywidgets')
link = ipw.link
