"""Two notebooks open at once: two kernels save progress to the same file at the same time, and nothing is
lost or corrupted. The kernels are real Jupyter kernels (jupyter_client), as JupyterLab starts them."""

import json
import os
import textwrap
import time

import pytest
from jupyter_client.manager import KernelManager

from widgets.modes.progress.store import ProgressStore

pytestmark = pytest.mark.slow  # starts a kernel or a fresh Python: seconds each


LESSON = "02_freezing_layers"
WRITES = 150  # per kernel, interleaved with the other kernel's

# Each kernel opens the lesson's quiz widget (sharing the kernel's progress store, as in a notebook),
# waits for the start signal, then saves WRITES practice answers and one quiz answer by clicking "Check"; halfway it
# waits for the other kernel to be halfway as well.
KERNEL_CODE = """
import time
from pathlib import Path
from widgets.modes.content import load_lesson_content
from widgets.modes.quiz import Quiz, right_index
from widgets.modes.progress.store import default_store

store = default_store()
questions = load_lesson_content({lesson!r})["quiz"]
quiz = Quiz(questions, {lesson!r}, store)
for _ in range({question}):
    quiz.next_button.click()
item = quiz.session.current
right = right_index(item)
start = Path({start!r})
while not start.exists():
    time.sleep(0.005)
began = time.time()
for i in range({writes}):
    store.record({lesson!r}, "practice", "{name}-%d" % i, {{"solved": True}})
    if i == {writes} // 2:
        quiz.choose(right if {answer_right} else (right + 1) % len(item["options"]))
        quiz.check_button.click()
        # halfway: wait for the other kernel to be halfway too, so their writes overlap however busy the
        # machine is (otherwise one kernel can finish before the other is even scheduled)
        (start.parent / "half-{name}").touch()
        while not (start.parent / "half-{other}").exists():
            time.sleep(0.005)
assert store.message == "", store.message
print(item["id"], began, time.time())
"""


def _start_kernel(env, cwd):
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, cwd=str(cwd))
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return manager, client


def _result(client, msg_id, timeout=120):
    """The kernel's reply to one execute request, plus what it printed."""
    printed, deadline = [], time.monotonic() + timeout
    while True:
        msg = client.get_iopub_msg(timeout=max(1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=10)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=10)
    return reply["content"], "".join(printed)


def test_two_kernels_save_progress_to_one_file_without_losing_anything(tmp_path):
    progress = tmp_path / "progress.json"
    start = tmp_path / "start"
    env = dict(os.environ, FTLAB_PROGRESS=str(progress))
    kernels = [_start_kernel(env, tmp_path) for _ in range(2)]
    try:
        requests = []
        for k, (name, answer_right) in enumerate([("a", True), ("b", False)]):
            code = KERNEL_CODE.format(
                lesson=LESSON, question=k, start=str(start), writes=WRITES, name=name, other="ba"[k],
                answer_right=answer_right,
            )
            client = kernels[k][1]
            requests.append((client, client.execute(textwrap.dedent(code))))
        start.touch()  # both kernels are waiting: now they write at the same time
        results = [_result(client, msg_id) for client, msg_id in requests]
    finally:
        for manager, client in kernels:
            client.stop_channels()
            manager.shutdown_kernel(now=True)

    for reply, _ in results:
        assert reply["status"] == "ok", f"{reply.get('ename')}: {reply.get('evalue')}"
    question_ids, windows = [], []
    for _, printed in results:
        question_id, began, ended = printed.split()
        question_ids.append(question_id)
        windows.append((float(began), float(ended)))
    assert len(set(question_ids)) == 2, "each kernel answers a different question"
    (a_began, a_ended), (b_began, b_ended) = windows
    assert a_began < b_ended and b_began < a_ended, f"the kernels did not write at the same time: {windows}"

    saved = json.loads(progress.read_text())  # valid JSON: never half-written
    lesson = saved["lessons"][LESSON]
    expected = {f"{name}-{i}" for name in "ab" for i in range(WRITES)}
    assert set(lesson["practice"]) == expected, f"lost {len(expected - set(lesson['practice']))} answers"
    assert lesson["quiz"][question_ids[0]]["correct"] is True
    assert lesson["quiz"][question_ids[1]]["correct"] is False
    # no backup of a damaged file, nothing set aside, no temp file left behind
    leftovers = [p.name for p in tmp_path.iterdir()
                 if "original-" in p.name or "set-aside-" in p.name or p.name.endswith(".tmp")]
    assert leftovers == []
    assert ProgressStore(progress).message == ""


def test_a_kernel_opened_earlier_keeps_what_another_kernel_saved_since(tmp_path):
    """A notebook left open (its store loaded long ago) must not overwrite what another one saved meanwhile."""
    path = tmp_path / "progress.json"
    early = ProgressStore(path)  # opened first, then left alone
    later = ProgressStore(path)
    later.record(LESSON, "quiz", "q-later", {"chosen": 0, "correct": True})
    early.record(LESSON, "cards", "c-early", "known")
    saved = ProgressStore(path).lesson(LESSON)
    assert saved["quiz"] == {"q-later": {"chosen": 0, "correct": True}}
    assert saved["cards"] == {"c-early": "known"}
