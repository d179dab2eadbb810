"""Every message a widget shows about a run or a model, in one palette: what went wrong (red), what to wait for
(amber), what happened (grey). Colours are told apart by words too (the text says what it is), and each one
reads on white at WCAG AA contrast or better."""

import html

from ..engine.checks import SettingError
from ..kit.checkpoint import CheckpointError

#: one palette for every widget's messages
ERROR = "#b00020"  # 7.0:1 on white
WARNING = "#8a5300"  # 6.3:1 on white
INFO = "#444444"  # 9.7:1 on white


def friendly(error):
    """A one-line message for the learner: our own errors as they are, anything else with its type."""
    if isinstance(error, (SettingError, CheckpointError)):
        return str(error)
    if isinstance(error, (ValueError, TypeError)):
        return f"{type(error).__name__}: {error}"
    return f"Something went wrong ({type(error).__name__}: {error}). Try other settings."


def message_html(text, colour=INFO):
    return f'<span style="color:{colour}">{html.escape(text)}</span>'


def shown_in(say):
    """Decorate an observer or a button callback: any error becomes a message (``say(text, colour)``), never a
    traceback out of the observer."""

    def wrap(callback):
        def safe(*args, **kwargs):
            try:
                return callback(*args, **kwargs)
            except Exception as error:  # an observer must never raise into the kernel
                say(friendly(error), ERROR)
                return None

        return safe

    return wrap


