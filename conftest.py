"""Test-wide settings (at the root, so they apply to tests/ and course/ alike). nbval's kernels inherit this process's environment, so lessons see them too."""

import os
import tempfile

# Learning-mode progress must never be written into the tester's real home directory.
_progress_dir = tempfile.mkdtemp(prefix="ftlab-progress-")
os.environ["FTLAB_PROGRESS"] = os.path.join(_progress_dir, "progress.json")
# Keras examples run on the torch backend; TensorFlow is not a dependency.
os.environ.setdefault("KERAS_BACKEND", "torch")


# --- time per lesson: the course must stay fast, so every run prints what each notebook took ---
_lesson_seconds = {}


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _lesson_seconds[path] = _lesson_seconds.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    if not _lesson_seconds:
        return
    terminalreporter.section("time per lesson")
    for path, seconds in sorted(_lesson_seconds.items()):
        terminalreporter.write_line(f"{seconds:6.1f} s  {path}")
    terminalreporter.write_line(f"{sum(_lesson_seconds.values()):6.1f} s  all lessons")
