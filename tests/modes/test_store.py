"""The progress file: saved and reloaded, shared by several writers, and read whatever another tool did to it
(a byte-order mark, CRLF, UTF-16, trailing text, deep nesting): read, or backed up with a message, and the
learning modes always open. Import takes back whatever export wrote, also after an editor saved it again."""

import datetime
import json
import multiprocessing
import os

import pytest
from modes_helpers import FakeClock

import widgets
from widgets.modes.choice import right_index
from widgets.modes.content import load_lesson_content
from widgets.modes.progress.store import ProgressStore

LESSON = "02_freezing_layers"


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.json")


def saved_file(tmp_path):
    """A real progress file, as the store writes it."""
    store = ProgressStore(tmp_path / "made.json")
    store.record(LESSON, "quiz", "q-requires-grad", {"chosen": 0, "correct": True})
    store.record("01_why_fine_tune", "cards", "w-definition", "known")
    return (tmp_path / "made.json").read_text()


def test_progress_is_saved_and_reloaded(store):
    store.record(LESSON, "quiz", "q-requires-grad", {"chosen": 0, "correct": True})
    store.set_badge(LESSON)
    reloaded = ProgressStore(store.path)
    assert reloaded.lesson(LESSON)["quiz"]["q-requires-grad"]["correct"] is True
    assert reloaded.lesson(LESSON)["badge"]
    assert json.loads(store.path.read_text())["version"] == 1


def test_two_stores_do_not_erase_each_other(tmp_path):
    path = tmp_path / "progress.json"
    kernel_a, kernel_b = ProgressStore(path), ProgressStore(path)  # both loaded the (empty) file
    kernel_a.record("01_why_fine_tune", "cards", "a", "known")
    kernel_b.record("02_freezing_layers", "cards", "b", "known")
    kernel_a.record("01_why_fine_tune", "cards", "c", "known")
    final = ProgressStore(path)
    assert final.lesson("01_why_fine_tune")["cards"] == {"a": "known", "c": "known"}
    assert final.lesson("02_freezing_layers")["cards"] == {"b": "known"}
    assert (tmp_path / "progress.json.lock").exists()  # filelock's side file: the lock every writer takes


def _hammer(path, lesson, n):
    store = ProgressStore(path)
    for k in range(n):
        store.record(lesson, "cards", f"card{k}", "known")


def test_concurrent_processes_keep_every_answer(tmp_path):
    path = tmp_path / "progress.json"
    ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    procs = [ctx.Process(target=_hammer, args=(path, f"lesson{k}", 25)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    final = ProgressStore(path)
    for k in range(3):
        assert len(final.lesson(f"lesson{k}")["cards"]) == 25


@pytest.mark.parametrize("name, encode", [
    ("byte-order mark", lambda text: b"\xef\xbb\xbf" + text.encode("utf-8")),
    ("CRLF", lambda text: text.replace("\n", "\r\n").encode("utf-8")),
    ("UTF-16 (Notepad's 'Unicode')", lambda text: text.encode("utf-16")),
    ("blank lines around", lambda text: ("\n\n  " + text + "\n\n").encode("utf-8")),
])
def test_a_file_an_editor_saved_again_is_read_as_it_is(tmp_path, name, encode):
    path = tmp_path / "progress.json"
    path.write_bytes(encode(saved_file(tmp_path)))
    store = ProgressStore(path)
    assert store.message == "", name
    assert store.lesson(LESSON)["quiz"]["q-requires-grad"]["correct"] is True
    assert not list(tmp_path.glob("*.corrupt-*"))


def test_trailing_text_is_read_and_the_original_kept(tmp_path):
    path = tmp_path / "progress.json"
    original = saved_file(tmp_path) + '\n{"lessons": {}} garbage from a sync tool'
    path.write_text(original)
    store = ProgressStore(path)
    assert store.lesson(LESSON)["quiz"]["q-requires-grad"]["correct"] is True
    backups = list(tmp_path.glob("progress.corrupt-*.json"))
    assert len(backups) == 1 and backups[0].read_text() == original
    assert "extra text after the progress data" in store.message and backups[0].name in store.message
    assert json.loads(path.read_text())["lessons"][LESSON]  # the file is clean again


def test_deeply_nested_json_is_backed_up_with_a_message(tmp_path, store):
    path = tmp_path / "progress.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    deep = ProgressStore(path)
    assert "nested far too deeply" in deep.message and list(tmp_path.glob("progress.corrupt-*.json"))
    tab = widgets.learning_modes(LESSON, store=deep, tick=None)
    assert tab.titles[tab.selected_index] == "Progress"


def test_an_answer_nested_too_deeply_is_left_out_and_the_rest_kept(tmp_path):
    value = "x"
    for _ in range(500):
        value = {"deeper": value}
    data = json.loads(saved_file(tmp_path))
    data["lessons"][LESSON]["quiz"]["bad"] = value
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(data))
    store = ProgressStore(path)
    assert "nested too deeply, left out" in store.message
    assert set(store.lesson(LESSON)["quiz"]) == {"q-requires-grad"}


def test_a_corrupt_file_is_backed_up_and_replaced(tmp_path):
    content = load_lesson_content(LESSON)
    path = tmp_path / "progress.json"
    path.write_text("{ this is not json", encoding="utf-8")
    store = ProgressStore(path)
    backups = list(tmp_path.glob("progress.corrupt-*.json"))
    assert len(backups) == 1 and backups[0].read_text() == "{ this is not json"
    assert "could not be read" in store.message and backups[0].name in store.message
    assert json.loads(path.read_text())["lessons"] == {}
    view = widgets.Progress(LESSON, content, store)
    assert "could not be read" in view.message.value
    store.record(LESSON, "cards", "x", "known")  # and it keeps working
    assert ProgressStore(path).lesson(LESSON)["cards"] == {"x": "known"}


def test_a_wrong_shape_counts_as_corrupt(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(json.dumps({"lessons": {"01_why_fine_tune": {"cards": [1, 2]}}}))
    store = ProgressStore(path)
    assert store.message and store.lessons() == []


def test_learning_modes_opens_on_progress_after_a_corrupt_file(tmp_path):
    path = tmp_path / "progress.json"
    path.write_bytes(b"\x00\xff not json")
    tab = widgets.learning_modes(LESSON, store=ProgressStore(path), tick=None)
    assert tab.titles[tab.selected_index] == "Progress"
    assert "could not be read" in tab.children[-1].message.value


def test_export_and_import_merge(tmp_path, store):
    store.record(LESSON, "cards", "c-freeze-what", "known")
    exported = store.export(tmp_path / "mine.json")
    other = ProgressStore(tmp_path / "other.json")
    other.record("01_why_fine_tune", "cards", "z", "known")
    assert other.import_(exported) == [LESSON]
    assert other.lesson(LESSON)["cards"] == {"c-freeze-what": "known"}
    assert other.lesson("01_why_fine_tune")["cards"] == {"z": "known"}
    with pytest.raises(ValueError, match="not a progress file"):
        other.import_(b'{"hello": 1}')


@pytest.mark.parametrize("resave", [
    lambda raw: b"\xef\xbb\xbf" + raw,
    lambda raw: raw.replace(b"\n", b"\r\n"),
    lambda raw: raw.decode("utf-8").encode("utf-16"),
    lambda raw: json.dumps(json.loads(raw), indent=4).encode("utf-8") + b"\n",
])
def test_import_takes_an_export_an_editor_saved_again(tmp_path, store, resave):
    store.record(LESSON, "quiz", "q-requires-grad", {"chosen": 0, "correct": True})
    exported = store.export(tmp_path / "mine.json")
    exported.write_bytes(resave(exported.read_bytes()))
    fresh = ProgressStore(tmp_path / "fresh.json")
    assert fresh.import_(exported) == [LESSON]
    assert fresh.import_(exported.read_bytes()) == [LESSON]  # the upload path too
    assert fresh.lesson(LESSON)["quiz"]["q-requires-grad"]["correct"] is True


def test_progress_widgets_count_and_update_live(store, tmp_path, monkeypatch):
    content = load_lesson_content(LESSON)
    view = widgets.Progress(LESSON, content, store)
    assert "0%" in view.lesson_html.value
    quiz = widgets.Quiz(content["quiz"], LESSON, store)
    quiz.choose(right_index(content["quiz"][0]))
    quiz.check_button.click()
    assert f"quiz 1/{len(content['quiz'])}" in view.lesson_html.value
    dashboard = widgets.ProgressDashboard(store)
    assert "02 Freezing layers" in dashboard.table.value and "challenges 0/5" in dashboard.table.value
    monkeypatch.chdir(tmp_path)
    dashboard.transfer.export_button.click()
    assert "Exported" in dashboard.transfer.message.value and (tmp_path / "my_progress.json").exists()
    (tmp_path / "bad.json").write_text("[]")
    dashboard.transfer.path.value = "bad.json"
    dashboard.transfer.import_button.click()
    assert "Nothing imported" in dashboard.transfer.message.value


def test_import_by_upload(store, tmp_path):
    content = load_lesson_content(LESSON)
    other = ProgressStore(tmp_path / "other.json")
    other.record(LESSON, "cards", "c-freeze-what", "known")
    view = widgets.Progress(LESSON, content, store)
    data = (tmp_path / "other.json").read_bytes()
    view.transfer.upload.value = ({"name": "other.json", "type": "application/json", "size": len(data),
                                   "content": memoryview(data), "last_modified": datetime.datetime(2026, 1, 1)},)
    assert "Imported progress for 1 lesson" in view.transfer.message.value
    assert store.lesson(LESSON)["cards"] == {"c-freeze-what": "known"} and view.transfer.upload.value == ()
    assert "cards 1/" in view.lesson_html.value


def test_unwritable_progress_is_a_message_not_a_crash(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = ProgressStore(blocker / "sub" / "progress.json")  # parent is a file: cannot be created
    store.record(LESSON, "cards", "a", "known")
    assert "kept in memory" in store.message and store.lesson(LESSON)["cards"] == {"a": "known"}


def test_badges_are_dated_by_the_store_clock(tmp_path):
    clock = FakeClock(datetime.datetime(2026, 3, 1, 9, 30).timestamp())
    store = ProgressStore(tmp_path / "progress.json", clock=clock)
    store.set_badge(LESSON)
    assert store.lesson(LESSON)["badge"] == "2026-03-01 09:30"
