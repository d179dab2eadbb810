"""Under the tests, each experiment runs once per test session, whichever process asks first.

``make test`` runs an experiment up to three times: ``pytest -m claims`` checks it, nbval runs the lesson that
shows it, and the browser tests run that lesson again in JupyterLab. The test session names a folder it owns in
``$FTLAB_EVIDENCE`` (see the root ``conftest.py``); there, the first process to run an experiment with given
arguments writes its result, and the others (lesson kernels included: they inherit the variable) read it back.
The claims are still checked on those numbers, and every lesson still calls the same function, with the same
arguments. Unit tests, which may replace what an experiment calls, compute on their own: the root conftest.py
unsets the variable around every test that is not a claims test. Without the variable (a learner's kernel, the
benchmarks) nothing changes: every call computes.

Only calls whose arguments are plain values (numbers, text, tuples and lists of them) are kept: an object's
text says nothing reliable about its contents, so such calls always compute.
"""

import functools
import hashlib
import inspect
import os
import pickle
from pathlib import Path

from ..files import atomic_write
from . import progress

PLAIN = (int, float, str, bool, type(None))


def _plain(value):
    if isinstance(value, (tuple, list)):
        return all(_plain(v) for v in value)
    return isinstance(value, PLAIN)


def _kept(function):
    signature = inspect.signature(function)

    @functools.wraps(function)
    def run(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        folder = os.environ.get("FTLAB_EVIDENCE")  # read at each call: a unit test may compute on its own
        label = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}, seeds {bound.arguments['seeds']}"
        if not folder or not all(_plain(v) for v in bound.arguments.values()):
            with progress.shown(label):  # a bar in the cell while it runs (a kernel only)
                return function(*args, **kwargs)
        folder = Path(folder)
        key = f"{function.__module__}.{function.__qualname__}{sorted(bound.arguments.items())!r}"
        path = folder / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.pickle"
        try:
            return pickle.loads(path.read_bytes())  # written by this session's own processes only
        except (OSError, EOFError, pickle.UnpicklingError):
            pass
        with progress.shown(label):
            result = function(*args, **kwargs)
        try:
            atomic_write(path, pickle.dumps(result))  # whole, or not at all: a reader never sees half a result
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            pass
        return result

    return run


def keep_for_the_session(namespace):
    """In a module of experiments (``keep_for_the_session(globals())`` at its end): each public function of the
    module that takes ``seeds`` runs once per session for given arguments, whenever ``$FTLAB_EVIDENCE`` is set
    at the time of the call (unset, the wrapper only calls the function)."""
    for name, function in list(namespace.items()):
        if (name.startswith("_") or not inspect.isfunction(function)
                or function.__module__ != namespace["__name__"]
                or "seeds" not in inspect.signature(function).parameters):
            continue
        namespace[name] = _kept(function)
