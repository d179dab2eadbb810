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
    store.answer(LESSON, "quiz", "q-requires-grad", {"chosen": 0, "correct": True}, 0, True, seconds=4.2)
    reloaded = ProgressStore(store.path)
    assert reloaded.lesson(LESSON)["quiz"]["q-requires-grad"]["correct"] is True
    log = reloaded.lesson(LESSON)["log"]
    assert [(e["item"], e["attempt"], e["seconds"]) for e in log] == [("q-requires-grad", 1, 4.2)]
    assert json.loads(store.path.read_text())["version"] == 2


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
    assert not list(tmp_path.glob("*.original-*"))


def test_trailing_text_is_read_and_the_original_kept(tmp_path):
    path = tmp_path / "progress.json"
    original = saved_file(tmp_path) + '\n{"lessons": {}} garbage from a sync tool'
    path.write_text(original)
    store = ProgressStore(path)
    assert store.lesson(LESSON)["quiz"]["q-requires-grad"]["correct"] is True
    backups = list(tmp_path.glob("progress.original-*.json"))
    assert len(backups) == 1 and backups[0].read_text() == original
    assert "extra text after the progress data" in store.message and backups[0].name in store.message
    assert json.loads(path.read_text())["lessons"][LESSON]  # the file is clean again


def test_deeply_nested_json_is_backed_up_with_a_message(tmp_path, store):
    path = tmp_path / "progress.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    deep = ProgressStore(path)
    assert "nested far too deeply" in deep.message and list(tmp_path.glob("progress.original-*.json"))
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
    assert "quiz item 'bad' (nested too deeply)" in store.message
    assert set(store.lesson(LESSON)["quiz"]) == {"q-requires-grad"}


def test_a_corrupt_file_is_backed_up_and_replaced(tmp_path):
    content = load_lesson_content(LESSON)
    path = tmp_path / "progress.json"
    path.write_text("{ this is not json", encoding="utf-8")
    store = ProgressStore(path)
    backups = list(tmp_path.glob("progress.original-*.json"))
    assert len(backups) == 1 and backups[0].read_text() == "{ this is not json"
    assert "could not be read" in store.message and backups[0].name in store.message
    assert json.loads(path.read_text())["lessons"] == {}
    view = widgets.Progress(LESSON, content, store)
    assert "could not be read" in view.message.value
    store.record(LESSON, "cards", "x", "known")  # and it keeps working
    assert ProgressStore(path).lesson(LESSON)["cards"] == {"x": "known"}


def test_a_section_of_the_wrong_shape_is_set_aside_and_its_lesson_kept(tmp_path):
    path = tmp_path / "progress.json"
    quiz = {"q": {"chosen": 0, "correct": True}}
    path.write_text(json.dumps({"lessons": {"01_why_fine_tune": {"cards": [1, 2], "quiz": quiz}}}))
    store = ProgressStore(path)
    assert "lesson '01_why_fine_tune': set aside its cards section (a list, not a mapping)" in store.message
    assert store.lesson("01_why_fine_tune")["quiz"] == quiz


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
    assert other.import_(exported).lessons == [LESSON]
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
    assert fresh.import_(exported).lessons == [LESSON]
    assert fresh.import_(exported.read_bytes()).lessons == [LESSON]  # the upload path too
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


def test_badges_are_dated_by_the_store_clock_and_need_the_answer_log(tmp_path):
    clock = FakeClock(datetime.datetime(2026, 3, 1, 9, 30).timestamp())
    store = ProgressStore(tmp_path / "progress.json", clock=clock)
    ids = [p["id"] for p in load_lesson_content(LESSON)["challenges"]]
    assert not store.award_badge(LESSON, ids) and store.lesson(LESSON)["badge"] is None  # nothing solved yet
    for item_id in ids:
        store.answer(LESSON, "challenges", item_id, None, 0, True, seconds=12.0)
    assert store.award_badge(LESSON, ids)
    assert store.lesson(LESSON)["badge"] == {"at": "2026-03-01 09:30", "items": sorted(ids)}


def _one_bad_lesson():
    good = {"cards": {"c-freeze-what": "known"}, "quiz": {"q-requires-grad": {"chosen": 0, "correct": True}}}
    bad = {"quiz": [], "cards": {"c1": "known", "c2": 5}, "explain": {"e": {"text": "kept"}}}
    return {"version": 1, "lessons": {LESSON: good, "03_strategy_in_vision": bad, "01_why_fine_tune": good}}


def test_one_bad_lesson_keeps_every_other_lesson_and_sets_aside_only_the_bad_part(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(_one_bad_lesson()))
    original = path.read_bytes()
    store = ProgressStore(path)
    for lesson_id in (LESSON, "01_why_fine_tune"):
        assert store.lesson(lesson_id)["quiz"] == {"q-requires-grad": {"chosen": 0, "correct": True}}
    kept = store.lesson("03_strategy_in_vision")
    assert kept["cards"] == {"c1": "known"} and kept["explain"] == {"e": {"text": "kept"}}
    (aside,), (backup,) = tmp_path.glob("progress.set-aside-*.json"), tmp_path.glob("progress.original-*.json")
    assert json.loads(aside.read_text())["lessons"] == {"03_strategy_in_vision": {"quiz": [], "cards": {"c2": 5}}}
    assert backup.read_bytes() == original
    assert "lesson '03_strategy_in_vision'" in store.message
    assert "its quiz section (a list, not a mapping)" in store.message
    assert "cards item 'c2' (a number, not text)" in store.message
    assert aside.name in store.message and backup.name in store.message
    view = widgets.Progress(LESSON, load_lesson_content(LESSON), store)
    assert "quiz section" in view.message.value and "03_strategy_in_vision" in view.message.value


def test_import_through_the_dashboard_salvages_and_names_what_it_set_aside(tmp_path, store):
    damaged = tmp_path / "from_another_machine.json"
    damaged.write_text(json.dumps(_one_bad_lesson()))
    dashboard = widgets.ProgressDashboard(store)
    dashboard.transfer.path.value = str(damaged)
    dashboard.transfer.import_button.click()
    message = dashboard.transfer.message.value
    assert "Imported progress for 3 lesson(s)" in message and "Set aside, not imported" in message
    assert "03_strategy_in_vision" in message and "quiz section" in message
    assert store.lesson(LESSON)["cards"] == {"c-freeze-what": "known"}
    # the part set aside when the store read the file: on its own nothing is usable; fixed by hand, it imports
    bad = tmp_path / "bad" / "progress.json"
    bad.parent.mkdir()
    bad.write_text(json.dumps(_one_bad_lesson()))
    (aside,) = (ProgressStore(bad), *bad.parent.glob("progress.set-aside-*.json"))[1:]
    dashboard.transfer.path.value = str(aside)
    dashboard.transfer.import_button.click()
    assert "Nothing usable in that file" in dashboard.transfer.message.value
    fixed = json.loads(aside.read_text())
    fixed["lessons"]["03_strategy_in_vision"] = {"quiz": {}, "cards": {"c2": "known"}}
    aside.write_text(json.dumps(fixed))
    dashboard.transfer.import_button.click()
    assert "Imported progress for 1 lesson(s)" in dashboard.transfer.message.value
    assert store.lesson("03_strategy_in_vision")["cards"] == {"c1": "known", "c2": "known"}
