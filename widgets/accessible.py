"""Controls that work with the keyboard alone and tell screen readers their role and state.

ipywidgets' own controls fall short in a notebook: each ``RadioButtons`` option is its own Tab stop and the
arrow keys go to JupyterLab (they move between cells), a ``ToggleButton`` shows its state by colour only,
and an ``HTML`` output that changes is not announced. These three small anywidgets (front ends in
``widgets/assets/*.js``) fix that and are used by the learning modes and the explorers:

- :class:`RadioGroup`: one Tab stop, arrow keys move the choice, ``role="radiogroup"``; Enter calls
  :meth:`RadioGroup.on_enter` callbacks (e.g. "Check").
- :class:`LiveHTML`: HTML in a live region (``role="status"``, ``aria-live``), announced when it changes.
- :class:`PressedToggle`: a drop-in for ``ipw.ToggleButton`` with ``aria-pressed``.

Each has a ``focus()`` that moves the keyboard focus to it, so a view can keep focus somewhere sensible
after an action (a disabled button drops the focus to the page otherwise).
"""

from pathlib import Path

import anywidget
import traitlets

_ASSETS = Path(__file__).resolve().parent / "assets"

# Colours keep a contrast ratio of at least 4.5 with their text (WCAG AA).
_CSS = """
.ftlab-radiogroup { display: flex; flex-direction: column; gap: 2px; margin: 4px 0; }
.ftlab-radio { display: flex; align-items: baseline; gap: 6px; cursor: pointer; padding: 2px 4px;
  border-radius: 4px; line-height: 1.4; }
.ftlab-radio:hover { background: #f1f3f4; }
.ftlab-radio input { margin: 0; flex: none; }
.ftlab-radio input:focus-visible { outline: 2px solid #1a5fb4; outline-offset: 2px; }
.ftlab-live:focus { outline: none; }
.ftlab-toggle.ftlab-info { background: #0b6477; color: #fff; }
.ftlab-toggle.ftlab-warning { background: #8f4a00; color: #fff; }
.ftlab-toggle.ftlab-success { background: #137333; color: #fff; }
.ftlab-toggle.ftlab-primary { background: #1a5fb4; color: #fff; }
.ftlab-toggle.ftlab-danger { background: #b3261e; color: #fff; }
.ftlab-toggle:focus-visible { outline: 2px solid #202124; outline-offset: 2px; }
"""


class _Focusable:
    def focus(self):
        """Move the keyboard focus here (no-op without a front end)."""
        self.send({"do": "focus"})


class RadioGroup(_Focusable, anywidget.AnyWidget):
    """Options as one radio group. ``index`` is the chosen option's position in ``labels`` (-1: none)."""

    _esm = (_ASSETS / "radio_group.js").read_text(encoding="utf-8")
    _css = _CSS
    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    index = traitlets.Int(-1).tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
    label = traitlets.Unicode("Options").tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._enter_callbacks = []
        self.on_msg(self._on_message)

    def on_enter(self, callback):
        """Call ``callback()`` when the learner presses Enter inside the group."""
        self._enter_callbacks.append(callback)

    def _on_message(self, _widget, content, _buffers):
        if isinstance(content, dict) and content.get("event") == "enter":
            index = content.get("index")
            if isinstance(index, int) and -1 <= index < len(self.labels):
                self.index = index  # the choice the learner saw when pressing Enter
            for callback in list(self._enter_callbacks):
                callback()


class LiveHTML(_Focusable, anywidget.AnyWidget):
    """Like ``ipw.HTML``, in a live region: ``role`` "status" (polite), "alert" (assertive) or "timer" (silent)."""

    _esm = (_ASSETS / "live_html.js").read_text(encoding="utf-8")
    _css = _CSS
    value = traitlets.Unicode("").tag(sync=True)
    role = traitlets.Unicode("status").tag(sync=True)
    live = traitlets.Unicode("polite").tag(sync=True)

    def __init__(self, value="", role="status", **kwargs):
        live = {"status": "polite", "alert": "assertive", "timer": "off"}.get(role, "polite")
        super().__init__(value=value, role=role, live=kwargs.pop("live", live), **kwargs)


class PressedToggle(_Focusable, anywidget.AnyWidget):
    """A toggle button with ``aria-pressed``; the same traits as ``ipw.ToggleButton`` (value, description,
    tooltip, icon, button_style, disabled), so it replaces one without other changes."""

    _esm = (_ASSETS / "pressed_toggle.js").read_text(encoding="utf-8")
    _css = _CSS
    value = traitlets.Bool(False).tag(sync=True)
    description = traitlets.Unicode("").tag(sync=True)
    tooltip = traitlets.Unicode("", allow_none=True).tag(sync=True)
    icon = traitlets.Unicode("").tag(sync=True)
    button_style = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)
