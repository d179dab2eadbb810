"""Test-wide settings (at the root, so they apply to tests/ and course/ alike). nbval's kernels inherit this
process's environment, so lessons see them too."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Keras examples run on the torch backend; TensorFlow is not a dependency.
os.environ.setdefault("KERAS_BACKEND", "torch")


# --- nothing left behind: the session's own temporary folder ---
# Every test, lesson kernel, JupyterLab server and Chromium of the session writes its temporary files into one
# fresh folder (TMPDIR, inherited by every process started from here). At the end, whatever is still in it
# besides what the session keeps there itself was left behind by the code under test: the session fails and
# names it. Then the folder goes, so the machine's temp directory is as it was before the tests.
_session_temp = {}
_ENVIRONMENT = ("TMPDIR", "FTLAB_PROGRESS", "TORCHINDUCTOR_CACHE_DIR", "FTLAB_EVIDENCE")
# Kept there by the session itself, so not leaks: pytest's tmp_path folders, the progress file, PyTorch's
# compile cache, which `import torch._dynamo` (the first optimizer step) creates in the temp directory, and the
# experiments' results (widgets/labs/once.py: the claims tests, nbval and the browser tests run each
# experiment once between them, and check the same numbers).
_SESSION_OWN = ("pytest-of-", "ftlab-progress", "torch-cache", "ftlab-evidence")


def pytest_configure(config):
    folder = Path(tempfile.mkdtemp(prefix="ftlab-tests-"))
    _session_temp.update(folder=folder, tempdir=tempfile.tempdir,
                         environment={name: os.environ.get(name) for name in _ENVIRONMENT})
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)
    # Learning-mode progress must never be written into the tester's real home directory.
    os.environ["FTLAB_PROGRESS"] = str(folder / "ftlab-progress" / "progress.json")
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(folder / "torch-cache")
    os.environ["FTLAB_EVIDENCE"] = str(folder / "ftlab-evidence")


def _leftovers(folder):
    """What is in the session's folder besides what the session keeps there itself."""
    return sorted(path.name for path in folder.iterdir() if not path.name.startswith(_SESSION_OWN))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    folder = _session_temp.get("folder")
    if folder is None or not folder.is_dir():
        return
    _session_temp["left"] = _leftovers(folder)
    if _session_temp["left"] and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config):
    folder = _session_temp.pop("folder", None)
    if folder is None:
        return
    for name, value in _session_temp["environment"].items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    tempfile.tempdir = _session_temp["tempdir"]
    shutil.rmtree(folder, ignore_errors=True)


# --- time per lesson: the course must stay fast, so every run prints what each notebook took ---
_lesson_seconds = {}
# --- what each claim measured (tests/labs/test_claims_ledger.py says it with record_property) ---
_measured = []  # (line, seconds, passed)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _lesson_seconds[path] = _lesson_seconds.get(path, 0.0) + report.duration
    if report.when == "call":
        _measured.extend((value, report.duration, report.passed) for name, value in report.user_properties
                         if name == "measured")


def pytest_terminal_summary(terminalreporter):
    left = _session_temp.get("left")
    if left:
        terminalreporter.section("left behind in the temporary directory", red=True)
        terminalreporter.write_line("The tests or lessons created these and did not remove them (now deleted):")
        for name in left:
            terminalreporter.write_line(f"  {name}")
    if _measured:
        terminalreporter.section("claims measured (course/evidence.json)")
        for line, seconds, passed in _measured:
            terminalreporter.write_line(f"{'ok  ' if passed else 'FAIL'} {seconds:6.1f} s  {line}")
        terminalreporter.write_line(f"{sum(s for _, s, _ in _measured):6.1f} s  every claim")
    if not _lesson_seconds:
        return
    terminalreporter.section("time per lesson")
    for path, seconds in sorted(_lesson_seconds.items()):
        terminalreporter.write_line(f"{seconds:6.1f} s  {path}")
    terminalreporter.write_line(f"{sum(_lesson_seconds.values()):6.1f} s  all lessons")


@pytest.fixture(autouse=True)
def _experiments_compute_in_unit_tests(request, monkeypatch):
    """Only the claims tests (and the lessons, in their kernels) share the session's experiment results
    (widgets/labs/once.py); a unit test that replaces what an experiment calls must see it computed."""
    if request.node.get_closest_marker("claims") is None:
        monkeypatch.delenv("FTLAB_EVIDENCE", raising=False)


# --- slow: what `make check` leaves out ---
def pytest_collection_modifyitems(config, items):
    """Every lesson (nbval runs it in a kernel), every claim (it trains on several seeds), every browser test and
    every hub test is slow by what it is; unit tests that start a kernel or a fresh Python, or train for more than
    a second, carry ``@pytest.mark.slow`` themselves."""
    for item in items:
        path = item.path.as_posix()
        if (path.endswith(".ipynb") or "/tests/browser/" in path or "/tests/hub/" in path
                or item.get_closest_marker("claims")):
            item.add_marker(pytest.mark.slow)
