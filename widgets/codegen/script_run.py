"""Run a script the course wrote (the recipe builder's) as a script: ``python my_finetune.py`` in its folder.

The script runs in a process of its own, with the kernel's Python and the kernel's ``widgets`` package, started
in its folder: the kernel's working directory and variables never change, and a script that fails or is stopped
takes nothing of the kernel with it. What the caller needs back, the script saves next to itself (the final
weights, ``.pt``; a small report, ``.json``); :class:`ScriptRun` reads them.

On Linux that process starts as a copy of the kernel (``os.fork``) rather than as a new Python: a new Python
imports torch and torchvision again, about 370 MB of its own, while a copy shares the kernel's imported modules
and pays only for what the script changes. The copy is made to look like a new Python to the script: it runs as
``__main__`` with its own ``sys.argv``, folder and output, its random generators (torch's, numpy's, Python's)
start from fresh seeds as a new Python's do, and it ends with the exit code Python gives
(tests/codegen/test_script_run.py runs each test both ways). It ends as ``multiprocessing``'s copies end, without
running exit handlers (``atexit``): none of the kernel's, and none the script registers either.

Three rules keep the copy safe:

- it is made from a new thread: torch's OpenMP threads belong to the thread that started them, and a copy of
  that thread would wait for threads the copy does not have;
- never while another thread is busy in torch or the course's code (a widget's Train or Reproduce job): the
  copy could start with one of that thread's locks held, and wait for it forever;
- never once the kernel has started CUDA, which a copy cannot use.

Where a rule says no, and on macOS and Windows, the script runs in a new Python.
"""

import contextlib
import gc
import json
import os
import re
import runpy
import signal
import subprocess
import sys
import threading
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

#: this ``widgets`` package, and the folder it was imported from: first on the script's path, so that the course
#: model's ``import widgets`` finds the same package as the kernel's
_WIDGETS = Path(__file__).resolve().parents[1]
_PACKAGE_ROOT = _WIDGETS.parent
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


def _busy_elsewhere():
    """Whether another thread of this process is inside torch or the course's code, judged by the Python frames
    each thread is in (a thread inside one of torch's C++ functions is still in the Python frame that called it)."""
    torch = sys.modules.get("torch")
    roots = (str(_WIDGETS),) + ((str(Path(torch.__file__).parent),) if torch is not None else ())
    me = threading.get_ident()
    for ident, frame in sys._current_frames().items():
        if ident == me:
            continue
        while frame is not None:
            if frame.f_code.co_filename.startswith(roots):
                return True
            frame = frame.f_back
    return False


def _can_copy_kernel():
    """Whether the script's process can start as a copy of this one: on Linux, before CUDA has started here, and
    while no other thread is busy in torch or the course's code."""
    torch = sys.modules.get("torch")
    return (sys.platform == "linux" and not (torch is not None and torch.cuda.is_initialized())
            and not _busy_elsewhere())


def _exit_code(exit):
    """The exit code ``python script.py`` gives for ``SystemExit(exit.code)``, printing a message code as it does."""
    if exit.code is None or isinstance(exit.code, int):
        return exit.code or 0
    print(exit.code, file=sys.stderr)
    return 1


def _run_as_main(path, workdir, env, output_fd):
    """In the copy: become ``python path`` (output to ``output_fd``, in ``workdir``), run it, and end the process."""
    code, interrupted = 1, False
    try:
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        os.close(output_fd)
        nothing = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nothing, 0)
        os.close(nothing)
        sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 (the process ends, not the file)
        sys.stdout, sys.stderr = (open(fd, "w", encoding="utf-8", errors="backslashreplace", buffering=1,  # noqa: SIM115
                                       closefd=False) for fd in (1, 2))
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(workdir)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = [str(path)]
        sys.path.insert(0, str(path.parent))
        for name, fresh_seed in (("torch", "seed"), ("numpy.random", "seed")):  # `random` reseeds itself in a copy
            if name in sys.modules:
                getattr(sys.modules[name], fresh_seed)()
        gc.freeze()  # a collection writes to every object it visits, and a page written is no longer shared
        try:
            runpy.run_path(str(path), run_name="__main__")
            code = 0
        except SystemExit as exit:
            code = _exit_code(exit)
        except BaseException as error:  # printed as Python prints it: from the script's first line on
            frames = error.__traceback__
            while frames is not None and frames.tb_frame.f_code.co_filename != str(path):
                frames = frames.tb_next
            traceback.print_exception(type(error), error, frames)
            interrupted = isinstance(error, KeyboardInterrupt)
    except BaseException:  # the copy could not become the script (its folder is gone): say why, as Python would
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 (a broken pipe: nothing left to say it to)
                pass
        if interrupted:  # Python ends an interrupted script by the signal itself: exit code -2, not 1
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        os._exit(code)


class _KernelCopy:
    """The script's process as a copy of the kernel: the parts of ``subprocess.Popen`` that ``run_script`` uses."""

    def __init__(self, path, workdir, env):
        read_fd, write_fd = os.pipe()
        started = {}

        def fork():  # in a thread of its own: see the module's docstring
            try:
                with warnings.catch_warnings():  # Python 3.12+ warns that a copy of a threaded process may deadlock
                    warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
                    started["pid"] = os.fork()
            except OSError as error:  # no memory or processes left for a copy: the caller tries a new Python
                started["error"] = error
                return
            if started["pid"] == 0:
                os.close(read_fd)
                _run_as_main(path, workdir, env, write_fd)

        thread = threading.Thread(target=fork, name="run_script fork")
        thread.start()
        thread.join()
        os.close(write_fd)
        if "error" in started:
            os.close(read_fd)
            raise started["error"]
        self.pid, self.returncode = started["pid"], None
        self.stdout = open(read_fd, encoding="utf-8", errors="replace")  # noqa: SIM115 (closed by __exit__)

    def wait(self):
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode

    def kill(self):
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stdout.close()
        self.wait()


def run_script(script, workdir=None, *, name="my_finetune.py", progress=print, check=True, copy_kernel=None):
    """Run a script with this Python, in a process of its own started in ``workdir`` (where its ``data/`` is).

    ``script``: the code, as a string (written to ``workdir/name`` first), or the path of a script already written
    (``workdir`` then defaults to its folder). ``progress(line)`` gets each line the script prints, as it prints
    it (the default, ``print``, shows each epoch in the notebook as it ends; ``None``: quiet; for a widget,
    ``progress=lambda line: setattr(label, "value", line)`` keeps one line, the latest). Returns a
    :class:`ScriptRun`. A script that fails raises :class:`ScriptError` with its error and last lines, unless
    ``check=False``. Interrupting the kernel stops the script too. ``copy_kernel``: start the process as a copy of
    the kernel (``True``) or as a new Python (``False``); by default a copy wherever one can be made (see the
    module's docstring).
    """
    if isinstance(script, str):
        if workdir is None:
            raise TypeError("run_script(code, workdir): the code needs a folder to be written to and run in.")
        path = Path(workdir) / name
        path.write_text(script, encoding="utf-8")
    else:
        path = Path(script)
    path = path.resolve()
    workdir = Path(workdir).resolve() if workdir is not None else path.parent
    report_path = path.with_suffix(".json")
    written_before = _modified(report_path)
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
    if copy_kernel is None:
        copy_kernel = _can_copy_kernel()
    started = None
    if copy_kernel:
        with contextlib.suppress(OSError):
            started = _KernelCopy(path, workdir, env)
    if started is None:
        started = subprocess.Popen([sys.executable, str(path)], cwd=workdir, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace")
    output = []
    with started as process:
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
