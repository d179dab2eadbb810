"""A class on a real JupyterHub: four learners log in, open the course through an nbgitpuller link, run lesson 02
and answer a quiz question; each one's work stays in their own home, and a second pull keeps their edits.

The course comes from a local bare clone of this repository (the class's upstream), pulled by nbgitpuller into
each learner's home. The kernels run in the learners' own servers, with their own $HOME and environment, so the
progress file lands where a learner's would: ``~/.fine-tuning-lab/progress.json``.

The first part (log in, start, pull, open the lesson) runs for all learners at once, as when a class clicks
the link together. The lesson runs and the second pulls go one learner at a time, so that every file written
can be put down to the one learner who was active: nothing may change in the other homes.
"""

import concurrent.futures
import json
import os
import time
import urllib.parse

import psutil
import pytest
import requests
from hubclient import (
    BRANCH,
    MB,
    TARGET,
    Learner,
    changes,
    class_report,
    git,
    high_water_mark,
    kernel_process,
    learner_processes,
    snapshot,
)

pytestmark = pytest.mark.hub

LEARNERS = ("ada", "grace", "alan", "edsger")
LESSON = "02_freezing_layers"
LESSON_PATH = f"{TARGET}/course/{LESSON}.ipynb"
TIMEOUT = 600  # per step; a busy 2-core machine is slow, and the test only ever polls

# Answers the quiz through the lesson's own widgets: the learning modes the lesson's last cell displayed.
ANSWER_QUIZ = """
import json, widgets
from widgets.modes.quiz import right_index
modes = [v for v in Out.values() if getattr(v, "lesson_id", None) == {lesson!r}][-1]
quiz = next(child for child in modes.children if isinstance(child, widgets.Quiz))
for _ in range({question}):
    quiz.next_button.click()
item = quiz.session.current
quiz.choose(right_index(item))
quiz.check_button.click()
print(json.dumps({{"question": item["id"], "score": quiz.session.score, "progress": str(quiz.store.path),
                  "widgets": widgets.__file__}}))
"""


def nbgitpuller_link(hub_url, repo):
    """The guide's link (docs/instructor.md), with the local upstream as ``repo``."""
    query = urllib.parse.urlencode({"repo": repo, "branch": BRANCH, "targetPath": TARGET,
                                    "urlpath": f"lab/tree/{LESSON_PATH}"})
    return f"{hub_url}/hub/user-redirect/git-pull?{query}"


def note(name):
    """What each learner adds to the lesson before the second pull."""
    return f"My notes ({name}): freeze, then unfreeze."


def add_learners(hub):
    """The instructor adds the class list through the hub's REST API."""
    reply = requests.post(f"{hub['url']}/hub/api/users", json={"usernames": list(LEARNERS)},
                          headers={"Authorization": f"token {hub['admin']}"}, timeout=120)
    assert reply.status_code == 201, reply.text


def arrive(learner, link):
    """Log in, start the server, follow the link, open the lesson: what a learner does at the start of class."""
    start = time.monotonic()
    learner.login()
    learner.start_server(TIMEOUT)
    events, page = learner.follow_link(link, TIMEOUT)
    assert page.status_code == 200, (page.status_code, page.url)
    kernel = learner.open_notebook(LESSON_PATH, TIMEOUT)
    learner.timings["login_to_ready"] = time.monotonic() - start
    return events, kernel


def push_update(upstream, workdir):
    """The instructor changes the course upstream (another file than the learners edit) and pushes."""
    git("clone", "--quiet", "--branch", BRANCH, str(upstream), str(workdir))
    notice = workdir / "course" / "CLASS_NOTICE.md"
    notice.write_text("Homework: finish lesson 02's challenge.\n")
    readme = workdir / "README.md"
    readme.write_text(readme.read_text() + "\nUpdated for the class.\n")
    git("add", "-A", cwd=workdir)
    git("commit", "--quiet", "-m", "Class update", cwd=workdir)
    git("push", "--quiet", "origin", BRANCH, cwd=workdir)


def test_a_class_of_four_on_jupyterhub(hub, course_repo, tmp_path):
    homes = hub["dir"] / "home"
    tester_progress = os.environ.get("FTLAB_PROGRESS")
    tester_before = snapshot(os.path.dirname(tester_progress)) if tester_progress else None
    link = nbgitpuller_link(hub["url"], str(course_repo))
    add_learners(hub)
    learners = {name: Learner(hub["url"], name, hub["password"]) for name in LEARNERS}

    # --- the whole class clicks the link at once
    with concurrent.futures.ThreadPoolExecutor(len(learners)) as pool:
        arrivals = {name: pool.submit(arrive, learner, link) for name, learner in learners.items()}
        kernels = {}
        for name, future in arrivals.items():
            events, kernels[name] = future.result()
            assert any("Cloning into" in e.get("output", "") for e in events), events
    for name in LEARNERS:
        home = homes / name
        assert (home / TARGET / "course" / f"{LESSON}.ipynb").is_file(), f"{name}: the course was not pulled"
        assert (home / TARGET / ".git").is_dir()
        assert not (home / ".fine-tuning-lab").exists(), f"{name}: progress before any answer"

    # --- one learner at a time: the lesson top to bottom, then one quiz answer; the other homes stay as they were
    results = {}
    for number, (name, learner) in enumerate(learners.items()):
        others = {other: snapshot(homes / other) for other in LEARNERS if other != name}
        kernel = kernels[name]
        notebook = learner.read_notebook(LESSON_PATH)  # the learner's own pulled copy
        started = time.monotonic()
        kernel.connect(TIMEOUT)
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code" and cell["source"].strip():
                kernel.execute(cell["source"], TIMEOUT)
        seconds = time.monotonic() - started
        printed = kernel.execute(ANSWER_QUIZ.format(lesson=LESSON, question=number), TIMEOUT)
        answer = json.loads(printed.splitlines()[-1])
        server, kernel_proc = kernel_process(hub["process"], name, kernel.id)
        results[name] = {"answer": answer, "seconds": seconds, "kernel_peak": high_water_mark(kernel_proc),
                         "server_peak": high_water_mark(server)}
        kernel.shutdown()
        for other, before in others.items():
            assert not changes(before, snapshot(homes / other)), f"{name}'s lesson wrote into {other}'s home"

    for name, result in results.items():
        home, answer = homes / name, result["answer"]
        # the course's package came from the learner's own pulled folder, and their progress went to their home
        assert answer["widgets"].startswith(str(home / TARGET / "widgets")), answer
        assert answer["progress"] == str(home / ".fine-tuning-lab" / "progress.json"), answer
        assert answer["score"] == [1, 1], answer
        saved = json.loads((home / ".fine-tuning-lab" / "progress.json").read_text())
        assert list(saved["lessons"]) == [LESSON], saved
        quiz = saved["lessons"][LESSON]["quiz"]
        assert list(quiz) == [answer["question"]] and quiz[answer["question"]]["correct"] is True, quiz
        progress_files = [p for p in home.rglob("progress*.json")]
        assert progress_files == [home / ".fine-tuning-lab" / "progress.json"], progress_files
    questions = [r["answer"]["question"] for r in results.values()]
    assert len(set(questions)) == len(LEARNERS), questions  # each learner's answer is theirs alone
    if tester_progress:  # the test runner's own progress file was not written by any learner
        assert not changes(tester_before, snapshot(os.path.dirname(tester_progress)))

    # --- each learner edits the lesson; the instructor pushes an update; each follows the link again
    for name, learner in learners.items():
        notebook = learner.read_notebook(LESSON_PATH)
        notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": note(name)})
        learner.save_notebook(LESSON_PATH, notebook)
    push_update(course_repo, tmp_path / "instructor")
    for name, learner in learners.items():
        others = {other: snapshot(homes / other) for other in LEARNERS if other != name}
        events, page = learner.follow_link(link, TIMEOUT)
        assert page.status_code == 200
        for other, before in others.items():
            assert not changes(before, snapshot(homes / other)), f"{name}'s pull wrote into {other}'s home"
        course = homes / name / TARGET
        assert (course / "course" / "CLASS_NOTICE.md").is_file(), f"{name} did not get the update"
        assert "Updated for the class." in (course / "README.md").read_text()
        cells = learner.read_notebook(LESSON_PATH)["cells"]
        assert cells[-1]["source"] == note(name), f"{name}'s edit was lost"

    # --- what each learner cost: printed at the end of the run (and kept in $FTLAB_HUB_REPORT, if set)
    figures = {"hub_and_proxy_mb": sum(p.memory_info().rss for p in hub_processes(hub)) / MB,
               "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None, "learners": {
                   name: {**learners[name].timings, "lesson_s": r["seconds"], "kernel_peak_mb": r["kernel_peak"] / MB,
                          "server_peak_mb": r["server_peak"] / MB} for name, r in results.items()}}
    class_report.append(f"{len(LEARNERS)} learners, lesson {LESSON}, one CPU thread each; "
                        f"hub and proxy: {figures['hub_and_proxy_mb']:.0f} MB")
    class_report.append("| learner | login to ready lesson, s | server start, s | pull, s | lesson run, s "
                        "| kernel peak, MB | server peak, MB |")
    class_report.append("|---|---|---|---|---|---|---|")
    for name, f in figures["learners"].items():
        class_report.append(f"| {name} | {f['login_to_ready']:.1f} | {f['server']:.1f} | {f['pull']:.1f} "
                            f"| {f['lesson_s']:.1f} | {f['kernel_peak_mb']:.0f} | {f['server_peak_mb']:.0f} |")
    print("\n".join(class_report))
    if os.environ.get("FTLAB_HUB_REPORT"):
        with open(os.environ["FTLAB_HUB_REPORT"], "w") as out:
            json.dump(figures, out, indent=2)


def hub_processes(hub):
    """The hub and its proxy (the hub's children that are not a learner's server)."""
    process = psutil.Process(hub["process"].pid)
    servers = {learner_processes(hub["process"], name)[0].pid for name in LEARNERS}
    return [process] + [p for p in process.children() if p.pid not in servers]
