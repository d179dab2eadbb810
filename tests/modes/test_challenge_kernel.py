"""The challenge clock in a real Jupyter kernel: it ticks on the kernel's event loop and never blocks it."""

import os
import time

import pytest
from jupyter_client.manager import KernelManager

pytestmark = pytest.mark.slow  # starts a kernel or a fresh Python: seconds each


SETUP = """
import time
from widgets.modes.content import load_lesson_content
from widgets.modes.challenge import Challenge
from widgets.modes.progress.store import ProgressStore
view = Challenge(load_lesson_content("02_freezing_layers")["challenges"], "02_freezing_layers",
                 ProgressStore({path!r}))
t0 = time.perf_counter()
view.start_button.click()  # as a click would: starts the countdown and its ticker
print("returned after", round(time.perf_counter() - t0, 3), "s, ticking:", view.ticker.active)
"""


def _run(client, code, timeout=60):
    msg_id = client.execute(code)
    printed, deadline = [], time.monotonic() + timeout
    while True:
        msg = client.get_iopub_msg(timeout=max(1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        if msg["msg_type"] == "error":
            printed.append("\n".join(msg["content"]["traceback"]))
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(printed)


def test_the_countdown_ticks_in_a_kernel_without_blocking_it(tmp_path):
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=dict(os.environ), cwd=str(tmp_path))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        out = _run(client, SETUP.format(path=str(tmp_path / "progress.json")))
        assert "ticking: True" in out, out
        assert float(out.split("returned after")[1].split()[0]) < 0.5  # the click did not wait for the clock
        time.sleep(2.5)  # the kernel is idle; only the ticker can change the label now
        out = _run(client, "print(view.clock_label.value.split('&#9201; ')[1].split('<')[0])")
        assert out.strip() in ("1:57", "1:58"), out
        paused = _run(client, "view.pause_button.click(); "
                              "print(view.set.states[0].countdown, view.set.states[0].status)")
        assert paused.split()[1] == "paused", paused
        time.sleep(1.5)
        later = _run(client, "print(view.set.states[0].countdown, view.ticker.active)")
        assert later.split() == [paused.split()[0], "False"], (paused, later)  # time stood still; the ticker stopped
        # the cell run again while the clock runs: the old view's ticker stops, the new view resumes the clock
        view_cell = SETUP.format(path=str(tmp_path / "progress.json")).split("t0 =")[0]
        rerun = _run(client, "view.pause_button.click(); old = view\n" + view_cell
                     + "print(old.ticker.active, view.ticker.active, view.set.states[0].status)")
        assert rerun.split() == ["False", "True", "running"], rerun
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
