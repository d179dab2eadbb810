"""The experiments' progress bar: it counts this thread's training steps, shows only the outermost experiment, only
in a kernel, and never changes what an experiment returns."""

import threading

import pytest
import torch

from widgets.labs import progress


def train(steps):
    weight = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        weight.square().sum().backward()
        optimizer.step()
    return weight.detach().clone()


def test_a_bar_counts_the_training_steps_of_its_own_thread_only():
    with progress.shown("experiment", total=5, show=True) as bar:
        other = threading.Thread(target=train, args=(7,))  # a widget's job training meanwhile
        other.start()
        other.join()
        train(5)
        assert bar.n == 5 and bar.total == 5
    assert train(1) is not None and bar.n == 5  # the step hook is gone with the bar


def test_only_the_outermost_experiment_shows_a_bar():
    with progress.shown("outer", show=True) as outer:
        with progress.shown("inner", show=True) as inner:
            train(3)
    assert inner is None and outer.n == 3 and outer.bar_format == progress.FORMATS["counting"]


def test_fewer_steps_than_planned_end_as_done_not_as_a_failure():
    with progress.shown("read from a cache", total=100, show=True) as bar:
        train(2)
    assert (bar.n, bar.total) == (2, 2)


def test_outside_a_kernel_nothing_is_shown_and_results_are_unchanged():
    assert not progress.in_kernel()
    with progress.shown("experiment") as bar:
        trained = train(3)
    assert bar is None and torch.equal(trained, train(3))


def test_a_module_of_experiments_names_its_bar_after_the_call(monkeypatch):
    labels = []
    monkeypatch.setattr(progress, "shown", lambda label, total=None: _noting(labels, label, total))
    namespace = {"run": lambda seed, remedy=None: (seed, remedy), "__name__": "widgets.labs.metrics"}
    namespace["run"].__module__ = "widgets.labs.metrics"
    progress.showing_progress(namespace, {"run": 100})
    assert namespace["run"](0, remedy="freeze") == (0, "freeze")
    assert labels == [("metrics.<lambda>(0, remedy='freeze')", 100)]


class _noting:
    def __init__(self, labels, label, total):
        labels.append((label, total))

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("lesson_function", ["metrics.run", "learning_rate.finder_runs"])
def test_the_lessons_runners_show_progress(lesson_function):
    import importlib

    module_name, name = lesson_function.split(".")
    function = getattr(importlib.import_module(f"widgets.labs.{module_name}"), name)
    assert function.__wrapped__.__name__ == name  # wrapped by showing_progress, the original kept underneath
