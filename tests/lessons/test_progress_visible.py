"""A learner never stares at a silent ``[*]``: every lesson cell that runs longer than a few seconds shows something
(a progress bar, a live figure, a line of text) within its first 3 seconds.

Each lesson runs top to bottom in a real Jupyter kernel (jupyter_client, as JupyterLab starts one), in the lesson's
folder, WITHOUT the test session's shared results (``$FTLAB_EVIDENCE``): a learner's kernel computes every
experiment itself, so the cells take here what they take for a learner. The kernel's messages are timed as they
arrive: a cell's first output is its first ``display_data``, ``execute_result`` or ``stream`` message (a widget
shown is a ``display_data``; creating one without showing it is not).
"""

import json
import os
import time
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

pytestmark = pytest.mark.slow  # starts a kernel per lesson and runs it: minutes in all

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "course").glob("*.ipynb"))
#: a cell may run this long before it must have shown something
QUIET_SECONDS = 3.0
VISIBLE = {"display_data", "execute_result", "stream", "error"}


def run_cells(cells, cwd, timeout=600):
    """Run ``cells`` (code strings) in turn in a fresh kernel; ``[(seconds, first output after, reply status)]``
    per cell, the first output's time being None when the cell showed nothing. Stops after a failing cell."""
    env = {k: v for k, v in os.environ.items() if k != "FTLAB_EVIDENCE"}
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(cwd))
    client = manager.client()
    client.start_channels()
    timings = []
    try:
        client.wait_for_ready(timeout=60)
        for code in cells:
            started = time.monotonic()
            msg_id = client.execute(code)
            first = None
            while True:
                msg = client.get_iopub_msg(timeout=max(1, started + timeout - time.monotonic()))
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] in VISIBLE and first is None:
                    first = time.monotonic() - started
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            reply = client.get_shell_msg(timeout=30)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = client.get_shell_msg(timeout=30)
            timings.append((time.monotonic() - started, first, reply["content"]["status"]))
            if reply["content"]["status"] != "ok":
                break
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return timings


def silent_cells(cells, timings, quiet=QUIET_SECONDS):
    """Lines naming each cell that ran longer than ``quiet`` seconds and showed nothing in its first ``quiet``."""
    found = []
    for (code, (seconds, first, _)) in zip(cells, timings):
        if seconds > quiet and (first is None or first > quiet):
            shown = "nothing" if first is None else f"its first output at {first:.1f} s"
            found.append(f"{seconds:.1f} s, {shown}: {code.strip().splitlines()[0][:80]!r}")
    return found


def code_cells(path):
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]


def test_the_rule_flags_a_silent_slow_cell_and_passes_one_that_shows_progress(tmp_path):
    """Control: the same kernel rule on three made-up cells: quick and silent, slow with a line first, slow and
    silent. Only the last is flagged."""
    cells = ["x = 1", "print('working...', flush=True)\nimport time; time.sleep(3.5)", "import time; time.sleep(3.5)"]
    timings = run_cells(cells, tmp_path)
    assert [status for *_, status in timings] == ["ok"] * 3
    flagged = silent_cells(cells, timings)
    assert len(flagged) == 1 and flagged[0].endswith("'import time; time.sleep(3.5)'"), flagged


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_slow_cell_shows_something_within_3_s(lesson):
    cells = code_cells(lesson)
    timings = run_cells(cells, lesson.parent)
    assert [status for *_, status in timings] == ["ok"] * len(cells), "a cell failed: run the lesson to see it"
    assert silent_cells(cells, timings) == [], f"{lesson.stem}: cells that leave the learner with a silent [*]"
