"""The class report page in a real browser, on the demo class of 30 learners: it draws with nothing fetched from
anywhere, axe finds no serious or critical violation, every learner is named in the learners' table and the
stuck ones are flagged at the top. The screenshots (tests/browser/screenshots/class-report*.png; the first is the
instructor guide's docs/images/class-report.png) come from here; the numbers in them are made up."""

import datetime
from pathlib import Path

import pytest
from labpage import axe_violations

from widgets.modes.class_report import write_report
from widgets.modes.classroom.demo import IDLE, STUCK, write_demo_class

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
NOW = datetime.datetime(2026, 3, 20, 12, 0)


def test_the_class_report_page(browser, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the page names the folder as given: "class", as in the guide
    folder = tmp_path / "class"
    write_demo_class(folder, learners=30, seed=0, now=NOW.timestamp())
    path, summary = write_report("class", now=NOW)
    path = path.resolve()
    page = browser.new_page(viewport={"width": 1250, "height": 900})
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(path.as_uri())
        page.get_by_role("heading", name="Worth reteaching").wait_for()
        assert [url for url in requests if not url.startswith("file:")] == []
        assert axe_violations(page, "main") == []
        learners_table = page.locator("h2:has-text('Learners') + p + table")
        names = learners_table.locator("tbody tr td:first-child").all_inner_texts()
        assert len(names) == 30 and all(any(n.startswith(lr.name) for n in names) for lr in summary.learners)
        flagged = page.locator("ul.flags li").all_inner_texts()
        for k in STUCK + IDLE:
            learner = next(lr for lr in summary.learners if lr.file == f"progress-{k + 1:02d}.json")
            assert any(line.startswith(learner.name) for line in flagged), learner.name
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "class-report.png"))
        learners_table.screenshot(path=str(SCREENSHOTS / "class-report-learners.png"))
        page.locator("section.card").nth(1).screenshot(path=str(SCREENSHOTS / "class-report-lesson-02.png"))
    finally:
        page.close()
    assert len(summary.learners) == 30 and len(summary.skipped) == 3
