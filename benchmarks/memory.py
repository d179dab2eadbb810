"""Memory and time per lesson, each in a fresh kernel, as a learner on Binder or a class hub would run it.

    python benchmarks/memory.py [--json FILE] [--threads 1 2] [--lessons 02 05] [--no-actions]

For every lesson (``course/*.ipynb``) and every thread setting, a fresh kernel (this Python, cwd ``course/``,
a throw-away progress file) runs the lesson's core path top to bottom (every code cell above its learning
modes, without the optional deep dives: ``widgets.sitting.core_cells``; ``--whole`` runs every cell), then
presses every Start button a learner can press in it (Train, Find, Apply to a run, Compare: each widget's
``runner``; not Reproduce, which reruns the whole evidence), one after another.

- **peak MB**: the highest resident memory of the kernel and its child processes over the whole run, clicks
  included: the larger of the kernel's own high-water mark (``VmHWM``, exact) and of the kernel's RSS plus its
  children's unique memory (USS), sampled every ``--interval`` seconds. 1 MB = 2**20 bytes.
- **overhead MB**: the peak minus that of a baseline kernel that has only run
  ``import torch, torchvision, widgets`` (same threads). Goal: at most 400 MB, so that a lesson fits
  Binder's guaranteed 1 GB with PyTorch's CPU-only build. A lesson that runs a script in a process of its own
  (the capstone) counts that process's own memory too: the line under the table says how much it holds.
- **seconds**: wall-clock time of the lesson's cells, top to bottom (kernel start-up not included), with ``N``
  CPU threads: ``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` set to N and, on Linux, every thread of the kernel pinned to N
  cores (``sched_setaffinity``), so ``--threads 1`` is one core even on a bigger machine. Goal: 30 s on one
  core of an idle machine. **CPU s** is the CPU time the kernel used meanwhile (user + system): on a busy
  machine the wall-clock time grows with the load, the CPU time much less, so on one thread it is the closer
  estimate of what an idle core would take.
- **actions**: for each Start button, the seconds from the click to the first progress the learner sees (the
  progress bar moves) and to the end of the job. Measured in the run with the fewest threads. Goals: first
  result within 2 s, finished within 15 s.

The machine's load average is printed with the tables (and kept in the JSON): timings from a busy machine are
upper bounds. Memory does not depend on the load.
"""

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from widgets.sitting import core_cells  # noqa: E402 - the course's own definition of a lesson's core path

COURSE = REPO / "course"
MB = 2**20
OVERHEAD_GOAL_MB = 400
ONE_CORE_GOAL_S = 30
FIRST_RESULT_GOAL_S, FINISH_GOAL_S = 2, 15
BASELINE_CODE = "import torch, torchvision, widgets"

# Run inside the lesson's kernel after its last cell: press every Start button there is, one at a time, as a
# learner would (the button's own click handler), and time what the learner sees. Prints one JSON line.
ACTIONS_CODE = r'''
def _ftlab_press_every_start_button():
    import json, time
    from ipywidgets.widgets.widget import _instances
    seen, timings = set(), []
    owners = [w for w in list(_instances.values()) if hasattr(getattr(w, "runner", None), "start_button")
              and type(w).__name__ != "Reproduce"]  # it reruns every claim of the lesson: minutes, not a click
    for owner in owners:
        runner = owner.runner
        if id(runner) in seen:
            continue
        seen.add(id(runner))
        first = []
        def moved(change, first=first):
            if change["new"] > 0 and not first:
                first.append(time.perf_counter())
        runner.bar.observe(moved, "value")
        start = time.perf_counter()
        runner.start_button.click()
        runner.wait()
        end = time.perf_counter()
        runner.bar.unobserve(moved, "value")
        timings.append({"widget": type(owner).__name__, "action": runner.start_button.description,
                        "first_result_s": first[0] - start if first else None, "finish_s": end - start,
                        "error": None if runner.error is None else f"{type(runner.error).__name__}: {runner.error}"})
    print(json.dumps(timings))
_ftlab_press_every_start_button()
'''


class CurrentPython(KernelSpecManager):
    """The kernel runs this Python (as nbval's ``--nbval-current-env``), whatever kernels are installed."""

    def get_kernel_spec(self, kernel_name):
        import ipykernel.kernelspec

        return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                      **ipykernel.kernelspec.get_kernel_dict())


def high_water_mark(pid):
    """The process's peak RSS in bytes as the kernel counted it (Linux ``VmHWM``), or None elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class PeakSampler(threading.Thread):
    """Samples the memory of a process and its children until stopped; ``peak`` is the largest sum seen.

    The process counts with its RSS. A child counts with its USS, the memory only it holds: a child forked
    from the kernel shares the kernel's pages until it writes to them, and its RSS would count them twice.
    """

    def __init__(self, pid, interval):
        super().__init__(daemon=True)
        self.process, self.interval = psutil.Process(pid), interval
        self.peak, self._done = 0, threading.Event()
        self.children_at_peak, self.children_bytes_at_peak = 0, 0  # child processes (a script the lesson runs)

    def sample(self):
        """Add one sample; returns the memory now (bytes)."""
        total, children = 0, []
        with contextlib.suppress(psutil.Error):
            total = self.process.memory_info().rss
            for child in self.process.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    children.append(child.memory_full_info().uss)
        total += sum(children)
        if total > self.peak:
            self.peak, self.children_at_peak, self.children_bytes_at_peak = total, len(children), sum(children)
        return total

    def run(self):
        while not self._done.wait(self.interval):
            self.sample()

    def stop(self):
        self.sample()
        self._done.set()
        self.join()
        return max(self.peak, high_water_mark(self.process.pid) or 0)


def repo_first_on_path():
    """``$PYTHONPATH`` with this repository first: a kernel or a child Python imports this ``widgets``."""
    return os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)


def child_python_bytes():
    """What a second Python costs on its own once it has run ``BASELINE_CODE``: its unique memory (USS), as the
    sampler counts a child. A lesson that runs a script in a process of its own pays this on top of its kernel."""
    # the libraries' pages count as the child's own unless another process maps them too: here, as a kernel does for
    # the script it starts. Without this, the same child measured 660 MB with nothing else running and 369 MB beside
    # a kernel.
    exec(BASELINE_CODE, {})
    code = BASELINE_CODE + "; print('imported', flush=True); import sys; sys.stdin.read()"
    env = dict(os.environ, PYTHONPATH=repo_first_on_path())
    with subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          env=env) as child:
        child.stdout.readline()
        uss = psutil.Process(child.pid).memory_full_info().uss
        child.stdin.close()
    return uss


def cpu_seconds(process):
    """CPU time (user + system) the process and its children have used: the work done, whatever the load."""
    total = 0.0
    with contextlib.suppress(psutil.Error):
        for proc in [process, *process.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
    return total


def pin_to_cores(pid, n):
    """Pin every thread of ``pid`` (and so every thread it starts later) to ``n`` cores; the cores, or None."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))[:n]
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):  # a thread that just ended
            os.sched_setaffinity(int(tid), cores)
    return cores


def kernel_env(threads, progress_path):
    env = dict(os.environ)
    env.update({
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "FTLAB_PROGRESS": str(progress_path),  # never the learner's own progress
        "KERAS_BACKEND": env.get("KERAS_BACKEND", "torch"),
        "PYTHONPATH": repo_first_on_path(),
    })
    return env


def run_in_fresh_kernel(nb, threads, interval=0.05, timeout=600, actions=False):
    """Run ``nb``'s code cells in a new kernel; returns peak bytes, seconds, cores, actions, error."""
    result = {"threads": threads, "error": None, "actions": []}
    with tempfile.TemporaryDirectory(prefix="ftlab-bench-") as scratch:
        km = KernelManager(kernel_name="current-python", kernel_spec_manager=CurrentPython())
        client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=False,
                                resources={"metadata": {"path": str(COURSE)}})
        with client.setup_kernel(env=kernel_env(threads, Path(scratch) / "progress.json"), cwd=str(COURSE)):
            pid = km.provisioner.pid
            result["cores"] = pin_to_cores(pid, threads)
            sampler = PeakSampler(pid, interval)
            result["start_bytes"] = sampler.sample()
            sampler.start()
            cpu_start = cpu_seconds(sampler.process)
            start = time.perf_counter()
            try:
                cells = result["cells"] = []
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type == "code":
                        cell_start = time.perf_counter()
                        client.execute_cell(cell, index)
                        first_line = (cell.source.strip().splitlines() or [""])[0][:60]
                        cells.append({"index": index, "first_line": first_line,
                                      "seconds": time.perf_counter() - cell_start, "rss_after_bytes": sampler.sample(),
                                      "peak_so_far_bytes": max(sampler.peak, high_water_mark(pid) or 0)})
                result["seconds"] = time.perf_counter() - start
                result["cpu_seconds"] = cpu_seconds(sampler.process) - cpu_start
                if actions:
                    cell = nbformat.v4.new_code_cell(ACTIONS_CODE)
                    nb.cells.append(cell)
                    client.execute_cell(cell, len(nb.cells) - 1)
                    text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
                    result["actions"] = json.loads(text.strip().splitlines()[-1])
            except CellExecutionError as error:
                result["error"] = str(error).strip().splitlines()[-1][:300]
            finally:
                result["peak_bytes"] = sampler.stop()
                result["children_at_peak"] = sampler.children_at_peak if sampler.peak >= result["peak_bytes"] else 0
                result["children_bytes_at_peak"] = sampler.children_bytes_at_peak if result["children_at_peak"] else 0
                client.kc.stop_channels()
                km.shutdown_kernel(now=False)
    return result


def lesson_paths(wanted):
    paths = sorted(COURSE.glob("*.ipynb"))
    if wanted:
        paths = [p for p in paths if any(p.stem.startswith(w) for w in wanted)]
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write every measurement here")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="CPU threads per run (default: 1 2)")
    parser.add_argument("--lessons", nargs="*", help="lesson numbers or names to run (default: all)")
    parser.add_argument("--no-actions", action="store_true", help="do not press the widgets' Start buttons")
    parser.add_argument("--whole", action="store_true",
                        help="run every cell, the deep dives after the learning modes too (default: the core path)")
    parser.add_argument("--cells", action="store_true",
                        help="also print, per lesson, the cells that raise the peak most and the slowest cells")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between memory samples")
    parser.add_argument("--timeout", type=int, default=900, help="seconds allowed per cell")
    args = parser.parse_args(argv)

    threads = sorted(set(args.threads))
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    report = {"machine": {"cpus": os.cpu_count(), "usable_cpus": usable,
                          "memory_mb": psutil.virtual_memory().total // MB,
                          "python": platform.python_version(), "load_before": load_average()},
              "baseline": {}, "lessons": {}}
    import torch  # noqa: F401 - only to report the build

    report["machine"]["torch"] = torch.__version__
    for n in threads:
        baseline = run_in_fresh_kernel(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BASELINE_CODE)]), n,
                                       args.interval, args.timeout)
        if baseline["error"]:
            sys.exit(f"the baseline kernel failed: {baseline['error']}")
        report["baseline"][n] = baseline["peak_bytes"]
        print(f"baseline ({BASELINE_CODE}), {n} thread(s): {baseline['peak_bytes'] / MB:.0f} MB", flush=True)
    report["child_python_bytes"] = child_python_bytes()

    for path in lesson_paths(args.lessons):
        runs = {}
        for n in threads:
            nb = nbformat.read(path, as_version=4)
            if not args.whole:  # the core path: what a learner runs before the learning modes, deep dives left out
                nb.cells = [cell for cell in core_cells(nb) if cell.cell_type == "code"]
            runs[n] = run_in_fresh_kernel(nb, n, args.interval, args.timeout,
                                          actions=not args.no_actions and n == threads[0])
            runs[n]["overhead_bytes"] = runs[n]["peak_bytes"] - report["baseline"][n]
            r = runs[n]
            print(f"{path.stem:<24} {n} thread(s): peak {r['peak_bytes'] / MB:5.0f} MB, overhead "
                  f"{r['overhead_bytes'] / MB:5.0f} MB, {r.get('seconds', float('nan')):6.1f} s "
                  f"({r.get('cpu_seconds', float('nan')):.1f} CPU s)"
                  + (f"  ERROR {r['error']}" if r["error"] else ""), flush=True)
        report["lessons"][path.stem] = runs
        if args.cells:
            print_cells(runs[threads[0]])
    report["machine"]["load_after"] = load_average()

    print_tables(report, threads)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"\nwritten to {args.json}")
    failed = [name for name, runs in report["lessons"].items() if any(r["error"] for r in runs.values())]
    return 1 if failed else 0


def print_tables(report, threads):
    """The lesson table (as docs/instructor.md shows it), the goals each lesson misses, and the actions' table."""
    machine = report["machine"]
    print(f"\nmachine: {machine['usable_cpus']} usable CPUs, {machine['memory_mb']} MB, Python {machine['python']}, "
          f"torch {machine['torch']}; load average before {fmt_load(machine['load_before'])}, "
          f"after {fmt_load(machine['load_after'])} (timings are upper bounds when the load is above 0)")
    print("baseline kernel (" + BASELINE_CODE + "): "
          + ", ".join(f"{b / MB:.0f} MB with {n} thread(s)" for n, b in report["baseline"].items()))
    plural = lambda n: f"{n} thread{'s' if n > 1 else ''}"  # noqa: E731
    head = ("| lesson | peak MB | overhead MB | " + " | ".join(f"s, {plural(n)}" for n in threads)
            + f" | CPU s, {plural(threads[0])} |")
    print("\n" + head + "\n" + "|---" * (head.count("|") - 1) + "|")
    misses = []
    for name, runs in report["lessons"].items():
        peak = max(r["peak_bytes"] for r in runs.values())
        overhead = max(r["overhead_bytes"] for r in runs.values())
        seconds = [runs[n].get("seconds") for n in threads]
        cpu = runs[threads[0]].get("cpu_seconds")
        print(f"| `{name}` | {peak / MB:.0f} | {overhead / MB:.0f} | "
              + " | ".join("-" if s is None else f"{s:.1f}" for s in seconds)
              + f" | {'-' if cpu is None else f'{cpu:.1f}'} |")
        if overhead / MB > OVERHEAD_GOAL_MB:
            misses.append(f"{name}: overhead {overhead / MB:.0f} MB > {OVERHEAD_GOAL_MB} MB")
        if 1 in runs and (runs[1].get("seconds") or 0) > ONE_CORE_GOAL_S:
            misses.append(f"{name}: {runs[1]['seconds']:.0f} s > {ONE_CORE_GOAL_S} s on one core")
        misses += [f"{name}: error with {n} thread(s): {r['error']}" for n, r in runs.items() if r["error"]]
    for name, runs in report["lessons"].items():  # a peak that a script's own process shares: what is whose
        run = max(runs.values(), key=lambda r: r["overhead_bytes"])
        if run.get("children_at_peak"):
            count, child = run["children_at_peak"], report["child_python_bytes"]
            print(f"\n`{name}`: {count} child process(es) at its peak (a script the lesson runs), holding "
                  f"{run['children_bytes_at_peak'] / MB:.0f} MB of their own. On Linux a script's process starts "
                  f"as a copy of the kernel and shares its imports (widgets/codegen/script_run.py); where it starts "
                  f"as a new Python (macOS, Windows, CUDA started), each pays for its own `{BASELINE_CODE}` too: "
                  f"{child / MB:.0f} MB here, so about {(run['overhead_bytes'] + count * child) / MB:.0f} MB of "
                  f"overhead.")
    actions = [(name, a, r["threads"]) for name, runs in report["lessons"].items()
               for r in runs.values() for a in r["actions"]]
    if actions:
        print("\n| lesson | widget | button | threads | first result s | finished s |")
        print("|---|---|---|---|---|---|")
        for name, a, n in actions:
            first = a["first_result_s"]
            print(f"| `{name}` | {a['widget']} | {a['action']} | {n} | {'-' if first is None else f'{first:.2f}'} "
                  f"| {a['finish_s']:.1f} |")
            what = f"{name}: {a['widget']} {a['action']!r}"
            if first is None or first > FIRST_RESULT_GOAL_S:
                misses.append(f"{what}: no progress shown" if first is None else
                              f"{what}: first result after {first:.1f} s > {FIRST_RESULT_GOAL_S} s")
            if a["finish_s"] > FINISH_GOAL_S:
                misses.append(f"{what}: finished after {a['finish_s']:.1f} s > {FINISH_GOAL_S} s")
            if a["error"]:
                misses.append(f"{what}: error {a['error']}")
    print("\ngoals not met" + (f" ({len(misses)}):" if misses else ": none"))
    for miss in misses:
        print(f"- {miss}")


def print_cells(run):
    """The cells that raised the peak most (from the kernel's size when it started), and the slowest cells."""
    cells, previous = run.get("cells", []), run.get("start_bytes", 0)
    for cell in cells:
        cell["raised_peak_bytes"] = max(0, cell["peak_so_far_bytes"] - previous)
        previous = max(previous, cell["peak_so_far_bytes"])
    for title, key in (("raised the peak", "raised_peak_bytes"), ("took longest", "seconds")):
        print(f"    cells that {title}:")
        for cell in sorted(cells, key=lambda c: -c[key])[:5]:
            value = f"{cell[key] / MB:+.0f} MB" if key.endswith("bytes") else f"{cell[key]:.1f} s"
            print(f"      [{cell['index']:>2}] {value:>9}  (RSS after: {cell['rss_after_bytes'] / MB:.0f} MB)  "
                  f"{cell['first_line']}")


def load_average():
    return os.getloadavg() if hasattr(os, "getloadavg") else None


def fmt_load(load):
    return "n/a" if load is None else " / ".join(f"{x:.1f}" for x in load)


if __name__ == "__main__":
    sys.exit(main())
