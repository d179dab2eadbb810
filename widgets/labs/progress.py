"""A progress bar for the experiments a lesson cell runs, so that a cell never sits silent behind ``[*]``.

An experiment can take tens of seconds on one core. While one runs in a Jupyter kernel, :func:`shown` puts a
``tqdm.auto`` bar in the cell's output once it has run for a second: the training steps done so far, the time spent
and, where the experiment knows its total, the steps to go and the time left. The steps are counted by PyTorch's
global optimizer-step hook, in the thread that runs the experiment, so no experiment has to pass a callback around
(a sweep that steps its stacked copies itself is "working", its clock running); a second thread keeps the clock
moving between steps (feature extraction, a logistic regression). Only the outermost experiment shows a bar (an
experiment that calls another keeps one), and it stays, finished, as a note of what the cell cost. Outside a kernel
(scripts, tests, a widget's background job) nothing is shown.
"""

import contextlib
import functools
import sys
import threading

from torch.optim.optimizer import register_optimizer_step_post_hook

#: an experiment shorter than this shows no bar (most are read from a cache in no time)
DELAY_SECONDS = 1.0
TICK_SECONDS = 0.5
_open = threading.local()  # the bar the experiment running in this thread shows, if any


def in_kernel():
    """True in a Jupyter kernel's main thread, where a bar can be shown in the running cell."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None and threading.current_thread() is threading.main_thread()


#: what a bar says: with a known total, without one before the first counted step, and after it
FORMATS = {"total": "{desc}: {n_fmt} of {total_fmt} training steps |{bar}| {elapsed} so far, about {remaining} to go",
           "working": "{desc}: working, {elapsed} so far",
           "counting": "{desc}: {n_fmt} training steps, {elapsed} so far"}


def _bar(label, total):
    from tqdm.auto import tqdm  # a widget in a notebook

    return tqdm(total=total, desc=label, delay=DELAY_SECONDS, leave=True,
                bar_format=FORMATS["total" if total else "working"])


@contextlib.contextmanager
def shown(label, total=None, show=None):
    """While the block runs, a bar named ``label`` counting this thread's training steps (out of ``total`` when
    given). ``show``: force it on or off (default: only in a kernel's main thread, and only the outermost)."""
    if getattr(_open, "bar", None) is not None or not (in_kernel() if show is None else show):
        yield None
        return
    bar = _bar(label, total)
    owner = threading.get_ident()
    done = threading.Event()

    def count(_optimizer, _args, _kwargs):
        if threading.get_ident() == owner:
            if not total and bar.n == 0:
                bar.bar_format = FORMATS["counting"]
            bar.update(1)

    def tick():
        while not done.wait(TICK_SECONDS):
            bar.refresh()  # the clock moves, and the bar appears after DELAY_SECONDS, between steps too

    handle = register_optimizer_step_post_hook(count)
    clock = threading.Thread(target=tick, daemon=True, name="progress clock")
    _open.bar = bar
    clock.start()
    try:
        yield bar
    finally:
        done.set()
        clock.join()
        handle.remove()
        _open.bar = None
        if total and bar.n < total:  # fewer steps than planned (runs read from a cache, an early stop): not a failure
            steps = bar.n
            bar.reset(total=steps)
            bar.update(steps)
        bar.close()


def showing_progress(namespace, totals):
    """At the end of a module of experiments: each function named in ``totals`` (``{name: training steps or
    None}``) shows a bar while it runs, named after the function and its arguments."""
    for name, total in totals.items():
        function = namespace[name]

        @functools.wraps(function)
        def run(*args, _function=function, _total=total, **kwargs):
            shown_args = ", ".join([*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
            label = f"{_function.__module__.rsplit('.', 1)[-1]}.{_function.__name__}({shown_args})"
            with shown(label, _total):
                return _function(*args, **kwargs)

        namespace[name] = run
