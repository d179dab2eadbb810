"""docs/instructor.md tells instructors facts about the course: check them against the code and the files."""

import math
import re
import textwrap
import urllib.parse
from pathlib import Path

import pytest
import yaml

from widgets.modes.progress import store

REPO = Path(__file__).resolve().parents[2]
GUIDE = (REPO / "docs" / "instructor.md").read_text()
README = (REPO / "README.md").read_text()
LESSONS = sorted(path.stem for path in (REPO / "course").glob("*.ipynb"))


def test_every_lesson_has_a_live_demo_and_a_time():
    times = GUIDE.split("<!-- lesson-times: start -->")[1].split("<!-- lesson-times: end -->")[0]
    for lesson in LESSONS:
        number = lesson[:2]
        assert re.search(rf"^\*\*{number} ", GUIDE, re.M), f"no live demo for {lesson}"
        assert f"`{lesson}`" in times, f"no measured time for {lesson}"


@pytest.mark.parametrize("document", ["README.md", "docs/instructor.md"])
def test_images_exist_and_are_small(document):
    text = (REPO / document).read_text()
    for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        if target.startswith("http"):
            continue
        image = (REPO / document).parent / target
        assert image.is_file(), f"{document} shows {target}, which does not exist"
        assert image.stat().st_size < 200_000, f"{target} is {image.stat().st_size} bytes"


def test_the_nbgitpuller_link_opens_the_first_lesson_of_the_pulled_folder():
    links = re.findall(r"https://\S+/hub/user-redirect/git-pull\?\S+", GUIDE)
    assert links
    for link in links:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))
        assert set(query) == {"repo", "branch", "targetPath", "urlpath"}, query
        # the same repository as the Binder badge
        owner_repo = re.search(r"mybinder\.org/v2/gh/([^/]+/[^/]+)/", README).group(1)
        assert query["repo"] == f"https://github.com/{owner_repo}"
        folder, _, notebook = query["urlpath"].removeprefix("lab/tree/").partition("/")
        assert query["urlpath"].startswith("lab/tree/") and folder == query["targetPath"]
        assert (REPO / notebook).is_file(), notebook
        assert f"PYTHONPATH=/home/jovyan/{query['targetPath']}" in GUIDE


def test_the_progress_file_is_where_the_guide_says(monkeypatch, tmp_path):
    monkeypatch.setenv("FTLAB_PROGRESS", str(tmp_path / "p.json"))
    assert store.default_progress_path() == tmp_path / "p.json"
    assert "`FTLAB_PROGRESS`" in GUIDE
    monkeypatch.delenv("FTLAB_PROGRESS")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert store.default_progress_path() == tmp_path / ".fine-tuning-lab" / "progress.json"
    assert "`~/.fine-tuning-lab/progress.json`" in GUIDE


def test_the_reset_calls_in_the_guide_work(tmp_path):
    import widgets

    path = tmp_path / "progress.json"
    progress = widgets.ProgressStore(path)
    progress.record("02_freezing_layers", "quiz", "q1", {"chosen": 0, "correct": True})
    progress.record("04_learning_rate", "quiz", "q1", {"chosen": 1, "correct": False})
    assert 'widgets.ProgressStore().reset("02_freezing_layers")' in GUIDE
    widgets.ProgressStore(path).reset("02_freezing_layers")
    assert widgets.ProgressStore(path).lessons() == ["04_learning_rate"]
    assert "widgets.ProgressStore().reset()" in GUIDE
    widgets.ProgressStore(path).reset()
    assert widgets.ProgressStore(path).lessons() == []


# --- deploying for a class: the figures come from benchmarks/memory.py and tests/hub, and agree everywhere ---

MB_PER_GB = 1024


def _block(name):
    return GUIDE.split(f"<!-- {name}: start -->")[1].split(f"<!-- {name}: end -->")[0]


def _code(language, text=GUIDE):
    return textwrap.dedent(re.search(rf"```{language}\n(.*?)```", text, re.S).group(1))


def _memory_rows():
    """{lesson: (kernel peak MB, seconds on one core, seconds on two, CPU seconds on one)} from the guide."""
    rows = {}
    for line in _block("lesson-memory").strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        # the table benchmarks/memory.py prints: lesson, peak MB, overhead MB, s on 1 thread, s on 2, CPU s on 1
        rows[cells[0].strip("`")] = tuple(float(cells[i]) for i in (1, 3, 4, 5))
    return rows


def _quarter_gb_above(mb):
    return math.ceil(mb / MB_PER_GB * 4) / 4


def _stated(pattern):
    match = re.search(pattern, GUIDE)
    assert match, pattern
    return float(match.group(1))


def _guarantee_and_limit():
    return _stated(r"memory guarantee: ([\d.]+) GB"), _stated(r"memory limit: ([\d.]+) GB")


def test_every_lesson_has_a_measured_peak_and_time():
    rows = _memory_rows()
    assert sorted(rows) == LESSONS
    assert all(value > 0 for row in rows.values() for value in row)


def test_the_guarantee_and_limit_follow_from_the_measured_peaks():
    peaks = sorted(row[0] for row in _memory_rows().values())
    server = _stated(r"Jupyter server, about (\d+) MB")
    guarantee, limit = _guarantee_and_limit()
    assert guarantee == _quarter_gb_above(peaks[-1] + server)  # the largest lesson and its server
    assert limit >= _quarter_gb_above(peaks[-1] + peaks[-2] + server)  # a second lesson's kernel as well
    # the same figures in the sizing example, the TLJH commands and the Zero to JupyterHub config
    learners, per_learner, total = re.search(r"(\d+) learners × ([\d.]+) GB = ([\d.]+) GB", GUIDE).groups()
    assert float(per_learner) == guarantee and math.isclose(int(learners) * guarantee, float(total))
    assert f"sudo tljh-config set limits.memory {limit:g}G" in GUIDE


def test_binder_figures_in_the_readme_are_the_measured_ones():
    peaks = [row[0] for row in _memory_rows().values()]
    cpu_one_core = [row[3] for row in _memory_rows().values()]
    peak_range = f"{min(peaks) / MB_PER_GB:.2f} to {max(peaks) / MB_PER_GB:.2f} GB"
    assert peak_range in GUIDE and peak_range in README
    assert f"{min(cpu_one_core):.0f} to {max(cpu_one_core):.0f} s of CPU time on one core" in README


def test_the_zero_to_jupyterhub_config_is_the_tested_one():
    config = yaml.safe_load(_code("yaml"))
    singleuser = config["singleuser"]
    link = re.findall(r"https://\S+/hub/user-redirect/git-pull\?\S+", GUIDE)[0]
    target = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link).query))["targetPath"]
    assert singleuser["extraEnv"] == {"PYTHONPATH": f"/home/jovyan/{target}", "OMP_NUM_THREADS": "1"}
    guarantee, limit = _guarantee_and_limit()
    assert singleuser["memory"] == {"guarantee": f"{guarantee:g}G", "limit": f"{limit:g}G"}
    assert singleuser["cpu"] == {"guarantee": 0.5, "limit": 1}
    assert config["cull"]["enabled"] is True
    # the hub test runs with the same settings and the same folder name
    hub_config = (REPO / "tests" / "hub" / "jupyterhub_config.py").read_text()
    assert '"OMP_NUM_THREADS": "1"' in hub_config and '"PYTHONPATH": lambda spawner' in hub_config
    assert f'TARGET = "{target}"' in (REPO / "tests" / "hub" / "hubclient.py").read_text()


def test_the_tljh_snippet_is_python_that_sets_the_same_environment():
    snippet = _code("python", GUIDE.split("### The Littlest JupyterHub")[1])
    compile(snippet, "fine-tuning-lab.py", "exec")
    assert '"fine-tuning-lab"' in snippet and '"OMP_NUM_THREADS": "1"' in snippet


def test_a_node_holds_what_the_guide_says():
    guarantee, _ = _guarantee_and_limit()
    sentence = (r"a node with (\d+) CPU cores and (\d+) GB holds (\d+) learners "
                r"\(Kubernetes keeps about (\d+) core and "
                r"(\d+) GB for itself\): a class of (\d+) needs (\d+) such nodes")
    found = re.search(sentence.replace(" ", r"\s+"), GUIDE)  # the guide wraps its lines anywhere
    cores, memory, per_node, kept_cores, kept_memory, learners, nodes = (int(x) for x in found.groups())
    cpu_guarantee = yaml.safe_load(_code("yaml"))["singleuser"]["cpu"]["guarantee"]
    assert per_node == min(math.floor((memory - kept_memory) / guarantee),
                           math.floor((cores - kept_cores) / cpu_guarantee))
    assert nodes == math.ceil(learners / per_node)
