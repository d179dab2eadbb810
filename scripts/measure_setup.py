"""Measure the figures README.md's "Start" section states, as a newcomer meets them.

In a fresh clone of HEAD (a temporary folder, an empty HOME), it times `make setup` (the first set-up), measures
.venv, times `make setup` again (later runs), and with --tests times `make test` without the browser tests, then
the browser tests alone (the two add up to `make test`). It prints a table with the machine's load average
beside each figure (the times hold for an idle machine only), then removes the clone, and names what appeared in
the temp directory meanwhile (other programs running on the machine may have put some there). Variables such as
FTLAB_TORCH_INDEX_URL pass through to the set-up.

    python3 scripts/measure_setup.py [--tests] [--keep]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def folder_size(path):
    return sum(entry.stat().st_size for entry in Path(path).rglob("*") if entry.is_file() and not entry.is_symlink())


def timed(command, cwd, env, log):
    """Run `command`, its output into `log`; return (seconds, exit code, load average when it ended)."""
    start = time.monotonic()
    with open(log, "w") as out:
        code = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
    return time.monotonic() - start, code, os.getloadavg()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", action="store_true",
                        help="also time `make test`: without the browser tests, then them alone")
    parser.add_argument("--keep", action="store_true", help="keep the clone (and its logs) instead of removing it")
    args = parser.parse_args()

    temp_before = set(os.listdir(tempfile.gettempdir()))
    work = Path(tempfile.mkdtemp(prefix="ftlab-measure-"))
    clone, home, logs = work / "fine-tuning-lab", work / "home", work / "logs"
    home.mkdir()
    logs.mkdir()
    branch = subprocess.run(["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.strip()
    subprocess.run(["git", "clone", "-q", "--branch", branch, str(REPO), str(clone)], check=True)
    env = dict(os.environ, HOME=str(home))
    rows = []

    def row(text):
        rows.append(text)
        print(text, flush=True)  # as it comes: the whole run takes long

    row(f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    try:
        steps = [("first `make setup`", ["make", "setup"]), ("`make setup` again", ["make", "setup"])]
        if args.tests:  # in two runs, which add up to `make test`: each suite is run once
            steps += [("`make test` without the browser tests", ["make", "test", 'PYTEST_ARGS=-m "not browser"']),
                      ("`make test`, the browser tests alone", ["make", "test", "PYTEST_ARGS=-m browser"])]
        test_minutes = 0.0
        for number, (name, command) in enumerate(steps):
            seconds, code, load = timed(command, clone, env, logs / f"{number}.log")
            status = "" if code == 0 else f"  (exit code {code}, see {logs / f'{number}.log'})"
            row(f"{name:40s} {seconds / 60:6.1f} min   load {load:4.1f}{status}")
            if number == 0:
                row(f"{'.venv':40s} {folder_size(clone / '.venv') / 1e9:6.2f} GB")
            if name.startswith("`make test`"):
                test_minutes += seconds / 60
        if args.tests:
            row(f"{'`make test`: the two runs added up':40s} {test_minutes:6.1f} min")
        if (clone / "node_modules").is_dir():
            row(f"{'node_modules (make test)':40s} {folder_size(clone / 'node_modules') / 1e6:6.0f} MB")
    finally:
        print("\n" + "\n".join(rows))
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        new = sorted(set(os.listdir(tempfile.gettempdir())) - temp_before - {work.name})
        print(f"new in {tempfile.gettempdir()}: {', '.join(new) or 'nothing'}")


if __name__ == "__main__":
    sys.exit(main())
