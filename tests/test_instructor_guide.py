"""docs/instructor.md tells instructors facts about the course: check them against the code and the files."""

import re
import urllib.parse
from pathlib import Path

import pytest

from widgets.modes import store

REPO = Path(__file__).resolve().parents[1]
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
    assert store.default_progress_path() == tmp_path / ".fine_tuning_lab" / "progress.json"
    assert "`~/.fine_tuning_lab/progress.json`" in GUIDE


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
