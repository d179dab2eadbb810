"""Run a script the course wrote (the recipe builder's) as a script: ``python my_finetune.py`` in its folder.

The script runs in a process of its own, with the kernel's Python and the kernel's ``widgets`` package, started
in its folder: the kernel's working directory and variables never change, and a script that fails or is stopped
takes nothing of the kernel with it. What the caller needs back, the script saves next to itself (the final
weights, ``.pt``; a small report, ``.json``); :class:`ScriptRun` reads them.
"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: the folder this ``widgets`` package was imported from: first on the script's path, so that the course model's
#: ``import widgets`` finds the same package as the kernel's
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_TRACEBACK = "Traceback (most recent call last):"


@dataclass(frozen=True)
class ScriptRun:
    """One run of a script: its exit code, everything it printed, and the report it saved (``{}`` if none)."""

    script: Path
    returncode: int
    output: str
    report: dict = field(default_factory=dict)

    @property
    def ok(self):
        return self.returncode == 0

    @property
    def best_accuracy(self):
        """The best validation accuracy the script reported (``None`` when it saved no report)."""
        return self.report.get("best_accuracy")

    @property
    def epochs_run(self):
        """Epochs each stage ran before it stopped, e.g. ``{"stage one": 3, "stage two": 5}``."""
        return self.report.get("epochs_run")

    @property
    def weights(self):
        """Where the script saved its final model's weights (its ``state_dict``): next to it, ``.pt``."""
        return self.script.with_suffix(".pt")

    def load_model(self, model):
        """Load the script's final weights into ``model``, built as the script builds it (same new head), and
        return it. The weights stay on disk only as long as the script's folder does."""
        import torch

        if not self.weights.exists():
            raise FileNotFoundError(f"{self.script.name} saved no weights at {self.weights} (or its folder is gone).")
        model.load_state_dict(torch.load(self.weights, weights_only=True))
        return model

    def error(self, last=4):
        """What went wrong, in a few lines: the error, the script's line it came from, and the last lines the
        script printed before it. Empty for a run that ended well."""
        if self.ok:
            return ""
        lines = self.output.rstrip().splitlines()
        start = max((i for i, line in enumerate(lines) if line.startswith(_TRACEBACK)), default=len(lines))
        printed, trace = lines[:start], lines[start:]
        message = f"{self.script.name} stopped with an error (exit code {self.returncode})"
        in_script = re.compile(rf'\s*File "{re.escape(str(self.script))}", line (\d+)')
        frames = [(i, in_script.match(line)[1]) for i, line in enumerate(trace) if in_script.match(line)]
        if frames:  # the last of the script's own lines the error went through, and its code
            i, number = frames[-1]
            code = trace[i + 1].strip() if i + 2 < len(trace) and trace[i + 1].startswith("    ") else ""
            message += f" at line {number}" + (f": {code}" if code else "")
        if trace:
            message += f"\n{trace[-1]}"
        if printed:
            message += f"\nIts last lines{' before that' if trace else ''}:"
            message += "".join(f"\n    {line}" for line in printed[-last:])
        return message


class ScriptError(RuntimeError):
    """A script that stopped with an error. ``str(error)`` says which and where; ``error.run`` has everything."""

    def __init__(self, run):
        super().__init__(run.error())
        self.run = run


def _modified(path):
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _report(path, written_before):
    """The script's JSON report, if this run wrote it (not one an earlier run left)."""
    if _modified(path) in (None, written_before):
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def run_script(script, workdir=None, *, name="my_finetune.py", progress=print, check=True):
    """Run a script with this Python, in a process of its own started in ``workdir`` (where its ``data/`` is).

    ``script``: the code, as a string (written to ``workdir/name`` first), or the path of a script already written
    (``workdir`` then defaults to its folder). ``progress(line)`` gets each line the script prints, as it prints
    it (the default, ``print``, shows each epoch in the notebook as it ends; ``None``: quiet; for a widget,
    ``progress=lambda line: setattr(label, "value", line)`` keeps one line, the latest). Returns a
    :class:`ScriptRun`. A script that fails raises :class:`ScriptError` with its error and last lines, unless
    ``check=False``. Interrupting the kernel stops the script too.
    """
    if isinstance(script, str):
        if workdir is None:
            raise TypeError("run_script(code, workdir): the code needs a folder to be written to and run in.")
        path = Path(workdir) / name
        path.write_text(script, encoding="utf-8")
    else:
        path = Path(script)
    path = path.resolve()
    workdir = Path(workdir) if workdir is not None else path.parent
    report_path = path.with_suffix(".json")
    written_before = _modified(report_path)
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
    output = []
    with subprocess.Popen([sys.executable, str(path)], cwd=workdir, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace") as process:
        try:
            for line in process.stdout:
                output.append(line)
                if progress is not None:
                    progress(line.rstrip("\n"))
            process.wait()
        except BaseException:  # an interrupted kernel (or a failing progress hook) stops the script, too
            process.kill()
            raise
    run = ScriptRun(path, process.returncode, "".join(output), _report(report_path, written_before))
    if check and not run.ok:
        raise ScriptError(run)
    return run
