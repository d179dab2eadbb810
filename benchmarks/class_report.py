"""How long the class report takes for a class of 30, with and without one learner's 3 MB written answer.

    python benchmarks/class_report.py [--code PATH] [--repeat 3]

Writes the demo class (``widgets.modes.classroom.demo``) into a temporary folder, then times, in a fresh
Python each time, (a) ``write_report`` (reading the folder, summing it up, writing the page and the CSV: the
first call in the process, so content loading counts) and (b) the whole ``python -m widgets.report FOLDER``
command, imports included. The second class is the same with one explain answer replaced by 3.1 MB of text.
``--code PATH`` times another checkout's ``widgets`` on the same folders (e.g. an export of main, to compare);
the best of ``--repeat`` runs is printed. Goal (issue 23): under 2 s with the 3 MB answer.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from widgets.modes.classroom.demo import write_demo_class  # noqa: E402
from widgets.modes.content import load_lesson_content  # noqa: E402

TIMED = ("import sys, time; from widgets.modes.class_report import write_report; t = time.perf_counter(); "
         "write_report(sys.argv[1]); print(time.perf_counter() - t)")


def add_3mb_answer(folder):
    path = folder / "progress-01.json"
    data = json.loads(path.read_text())
    lesson_id, lesson = next(iter(data["lessons"].items()))
    prompt = load_lesson_content(lesson_id)["explain"][0]["id"]
    lesson["explain"][prompt] = {"text": "The weights are frozen because the gradient is off. " * 60_000}
    path.write_text(json.dumps(data))
    return path.stat().st_size


def best(command, env, repeat, cwd):
    times, out = [], ""
    for _ in range(repeat):
        started = time.perf_counter()
        out = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=True).stdout
        times.append(time.perf_counter() - started)
    return min(times), out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", default=str(REPO), help="the checkout whose widgets package is timed")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    code = Path(args.code).resolve()
    env = dict(os.environ, PYTHONPATH=str(code))  # and run from there: "-m" and "-c" put the folder first
    print(f"code: {args.code}; best of {args.repeat}; 30 learners")
    print(f"{'class':<28}{'write_report (s)':>18}{'whole command (s)':>20}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, huge in (("30 learners", False), ("30 learners, one 3 MB answer", True)):
            folder = Path(tmp) / label.replace(" ", "_").replace(",", "")
            write_demo_class(folder, learners=30, seed=0)
            if huge:
                size = add_3mb_answer(folder)
                label = label.replace("3 MB", f"{size / 1e6:.1f} MB file,")[:27]
            report_times = []
            for _ in range(args.repeat):
                out = subprocess.run([sys.executable, "-c", TIMED, str(folder)], env=env, cwd=code,
                                     capture_output=True, text=True, check=True).stdout
                report_times.append(float(out.strip().splitlines()[-1]))
            whole, _ = best([sys.executable, "-m", "widgets.report", str(folder)], env, args.repeat, code)
            print(f"{label:<28}{min(report_times):>18.2f}{whole:>20.2f}")


if __name__ == "__main__":
    main()
