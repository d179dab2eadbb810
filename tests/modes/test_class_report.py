"""The class report: a folder of learners' exported progress files -> one self-contained HTML page, with the
command line, the notebook widget, and the files a real folder collects (skipped and listed)."""

import json

import pytest

from widgets.modes.choice import right_index
from widgets.modes.class_report import ClassReport, write_report
from widgets.modes.classroom.demo import write_demo_class
from widgets.modes.classroom.summary import MIN_ANSWERS, summarize_class
from widgets.modes.content import load_lesson_content
from widgets.modes.progress.store import ProgressStore
from widgets.report import main

LESSON = "02_freezing_layers"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    write_demo_class(folder, learners=30, seed=1)
    return folder, summarize_class(folder)


def test_thirty_learners_read_and_the_odd_files_skipped_with_a_reason(demo):
    folder, summary = demo
    assert len(summary.learners) == 30
    reasons = dict(summary.skipped)
    assert reasons["README.txt"] == "not a .json file"
    assert reasons["broken.json"].startswith("it is not JSON")
    assert "not a Fine-Tuning Lab progress file" in reasons["settings.json"]


def test_share_right_and_most_chosen_wrong_answer_match_the_files(demo):
    folder, summary = demo
    question = load_lesson_content(LESSON)["quiz"][0]
    answers = [json.loads(p.read_text())["lessons"].get(LESSON, {}).get("quiz", {}).get(question["id"])
               for p in folder.glob("*.json") if p.name not in ("broken.json", "settings.json")]
    answers = [a for a in answers if a]
    stats = next(i for s in summary.lessons for i in s.items if i.section == "quiz" and i.item_id == question["id"])
    assert stats.answered == len(answers) and stats.right == sum(a["correct"] for a in answers)
    wrong = [question["options"][a["chosen"]]["text"] for a in answers if not a["correct"]]
    if wrong:
        top, count = stats.top_wrong
        assert count == max(wrong.count(w) for w in set(wrong)) and wrong.count(top) == count


def test_worth_reteaching_is_the_lowest_share_right_first(demo):
    _, summary = demo
    items = summary.reteach()
    shares = [i.share_right for i in items]
    assert items and shares == sorted(shares) and all(i.answered >= MIN_ANSWERS for i in items)


def test_challenge_times_badges_and_concept_coverage(demo):
    _, summary = demo
    lesson = next(s for s in summary.lessons if s.lesson_id == LESSON)
    challenges = [i for i in lesson.items if i.section == "challenges"]
    assert len(challenges) == 5 and all(i.median_seconds is not None for i in challenges if i.answered)
    assert lesson.badges <= lesson.started <= 30 and lesson.badge_name == "Layer Locksmith"
    prompt = next(iter(lesson.concepts.values()))
    assert prompt["answers"] > 0 and set(prompt["covered"]) <= set(prompt["concepts"])


def test_the_page_is_self_contained_and_escaped(tmp_path):
    store = ProgressStore(tmp_path / "anna.json")
    item = load_lesson_content(LESSON)["quiz"][0]
    store.record(LESSON, "quiz", item["id"], {"chosen": right_index(item), "correct": True})
    store.record(LESSON, "explain", "e-freezing", {"text": "<script>alert(1)</script> requires_grad to False"})
    (tmp_path / "<img src=x onerror=alert(1)>.txt").write_text("x")
    path, summary = write_report(tmp_path)
    page = path.read_text()
    assert page.startswith("<!doctype html>") and "<script" not in page.lower()
    assert "src=" not in page.replace("&lt;img src=x", "") and "http" not in page and "<link" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in page
    assert len(summary.learners) == 1 and "1 learner(s)" in page


def test_the_command_line(tmp_path, capsys):
    folder = tmp_path / "class"
    assert main([str(folder), "--demo", "5", "--out", str(tmp_path / "r.html")]) == 0
    out = capsys.readouterr().out
    assert "Read 5 learner(s); skipped 3 file(s)." in out and "skipped broken.json" in out
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_the_notebook_widget(tmp_path):
    write_demo_class(tmp_path, learners=4, seed=2)
    view = ClassReport(tmp_path)
    assert "Worth reteaching" in view.body.value and "4 learner(s)" in view.body.value
    view.save_button.click()
    assert (tmp_path / "class_report.html").exists() and "Saved" in view.message.value
    missing = ClassReport(tmp_path / "nope")
    assert "is not a folder" in missing.message.value and missing.save_button.disabled
