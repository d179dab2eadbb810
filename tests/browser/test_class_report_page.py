"""The class report page in a real browser: it draws with nothing fetched from anywhere, axe finds no serious
or critical violation, and the screenshot for the instructor guide (docs/images/class-report.png) comes from
here, made from a generated class of 30 learners."""

from pathlib import Path

import pytest
from labpage import axe_violations

from widgets.modes.class_report import write_report
from widgets.modes.classroom.demo import write_demo_class

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def test_the_class_report_page(browser, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the page names the folder as given: "class", as in the guide
    folder = tmp_path / "class"
    write_demo_class(folder, learners=30, seed=0)
    path, summary = write_report("class")
    path = path.resolve()
    page = browser.new_page(viewport={"width": 1150, "height": 900})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(path.as_uri())
        page.get_by_role("heading", name="Worth reteaching").wait_for()
        assert [url for url in requests if not url.startswith("file:")] == []
        assert axe_violations(page, "main") == []
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "class-report.png"))
    finally:
        page.close()
    assert len(summary.learners) == 30 and len(summary.skipped) == 3
