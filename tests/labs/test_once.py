"""Under the tests, an experiment runs once per session (widgets/labs/once.py); without the session's
folder, every call computes, as in a learner's kernel."""

import os
import subprocess
import sys
import textwrap

import pytest

from widgets.labs.once import keep_for_the_session

MODULE = textwrap.dedent("""
    calls = []

    def counted(seeds=(0, 1, 2), steps=10):
        calls.append(seeds)
        return {"seeds": list(seeds), "steps": steps}

    def with_an_object(model, seeds=(0,)):
        calls.append(seeds)
        return len(calls)

    def _private(seeds=(0,)):
        calls.append(seeds)
""")


def _module(name):
    namespace = {"__name__": name}
    exec(compile(MODULE, name, "exec"), namespace)
    for value in namespace.values():
        if callable(value) and hasattr(value, "__module__"):
            value.__module__ = name
    keep_for_the_session(namespace)
    return namespace


def test_the_same_call_runs_once_and_reads_back_the_same_result(tmp_path, monkeypatch):
    monkeypatch.setenv("FTLAB_EVIDENCE", str(tmp_path))
    first, second = _module("probe_a"), _module("probe_a")  # two "processes" importing one module
    assert first["counted"](seeds=(0, 1)) == {"seeds": [0, 1], "steps": 10}
    assert second["counted"]((0, 1)) == {"seeds": [0, 1], "steps": 10}  # same arguments, written another way
    assert first["calls"] == [(0, 1)] and second["calls"] == []
    second["counted"](seeds=(0, 1), steps=20)  # other arguments: computed
    assert second["calls"] == [(0, 1)]


def test_calls_with_objects_and_private_helpers_always_compute(tmp_path, monkeypatch):
    monkeypatch.setenv("FTLAB_EVIDENCE", str(tmp_path))
    module = _module("probe_b")
    model = object()
    module["with_an_object"](model)
    module["with_an_object"](model)
    module["_private"]()
    module["_private"]()
    assert len(module["calls"]) == 4


def test_without_the_sessions_folder_every_call_computes(tmp_path, monkeypatch):
    monkeypatch.setenv("FTLAB_EVIDENCE", str(tmp_path))
    module = _module("probe_c")  # imported while the folder was set ...
    monkeypatch.delenv("FTLAB_EVIDENCE")
    module["counted"]()  # ... called without it: a learner's kernel, or a unit test
    module["counted"]()
    assert len(module["calls"]) == 2 and not list(tmp_path.iterdir())


@pytest.mark.slow
def test_the_tests_set_the_folder_and_a_fresh_kernel_reads_an_experiment_back(tmp_path):
    """A real experiment module: the second process reads what the first computed, and builds no model."""
    call = "from widgets.labs import models; print(models.parameter_counts(seeds=(0, 1, 2)).summary)"
    no_model = "import torch\ndef refuse(*args, **kwargs): raise RuntimeError('computed again')\n" \
               "torch.nn.Module.__init__ = refuse\n"
    env = {**os.environ, "FTLAB_EVIDENCE": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", call], env=env, capture_output=True, text=True, check=True).stdout
    again = subprocess.run([sys.executable, "-c", no_model + call], env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-500:]
    assert again.stdout == first and first.strip()
    fresh = subprocess.run([sys.executable, "-c", no_model + call], capture_output=True, text=True,
                           env={**env, "FTLAB_EVIDENCE": str(tmp_path / "another-session")})
    assert "computed again" in fresh.stderr  # the refusal works: a session without the result computes
