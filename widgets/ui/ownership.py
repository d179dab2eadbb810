"""Which widget holds a learner's model now: one widget at a time may read or change a model; a second widget on
the same model is refused with a message, never interleaved."""

import contextlib
import threading
import weakref

from ..engine.checks import SettingError

_users = weakref.WeakKeyDictionary()  # model -> the widget using it now
_users_lock = threading.Lock()


def _name(owner):
    return getattr(owner, "display_name", type(owner).__name__)


@contextlib.contextmanager
def using(model, owner):
    """Hold ``model`` for ``owner`` (a widget) while the block runs; refuse if another widget holds it."""
    with _users_lock:
        holder = _users.get(model)
        if holder is not None and holder is not owner:
            raise SettingError(f"this model is busy: a {_name(holder)} is using it. Wait until it finishes, or "
                               "press its Stop button, then try again.")
        _users[model] = owner
    try:
        yield model
    finally:
        with _users_lock:
            if _users.get(model) is owner:
                del _users[model]


def user_of(model):
    """The widget using ``model`` now, or ``None``."""
    with _users_lock:
        return _users.get(model)
