"""The runner's Start and Stop by keyboard: a disabled button drops the focus to the page, so the focus moves to the
button that can be pressed next, and only when a button was pressed (never while a lesson runs top to bottom)."""

import threading

from widgets.ui.runner import BackgroundRunner

FOCUS = {"do": "focus"}


def watched(job):
    """A runner whose buttons record each message they send the front end: (button, message, disabled then)."""
    runner = BackgroundRunner(job)
    runner.sent = []
    for button in (runner.start_button, runner.stop_button):
        button.send = lambda content, buffers=None, b=button: runner.sent.append((b.description, content, b.disabled))
    return runner


def held(release):
    def job(progress, stop):
        while not (release.is_set() or stop.is_set()):
            release.wait(0.01)
        return "done"

    return job


def test_pressing_train_moves_the_focus_to_stop_while_it_runs_and_back_to_train_after():
    release = threading.Event()
    runner = watched(held(release))
    runner.start_button.click()
    assert runner.running and runner.sent == [("Stop", FOCUS, False)]  # sent once Stop can be pressed
    release.set()
    assert runner.wait(10) == "done"
    assert runner.sent == [("Stop", FOCUS, False), ("Train", FOCUS, False)]


def test_pressing_stop_gives_the_focus_back_to_train_even_for_a_run_started_from_code():
    runner = watched(held(threading.Event()))
    runner.start()
    assert runner.sent == []
    runner.stop_button.click()
    runner.wait(10)
    assert runner.sent == [("Train", FOCUS, False)] and "Stopped" in runner.status.value


def test_a_run_started_from_code_moves_no_focus():
    runner = watched(lambda progress, stop: 42)
    assert runner.run_sync() == 42
    runner.start()
    runner.wait(10)
    assert runner.sent == []


def test_a_failed_run_started_by_a_press_gives_the_focus_back_too():
    def broken(progress, stop):
        raise ValueError("no data")

    runner = watched(broken)
    runner.start_button.click()
    runner.wait(10)
    assert runner.sent[-1] == ("Train", FOCUS, False) and "no data" in runner.status.value


def test_a_run_gives_freed_memory_back_before_it_starts_and_after_it_ends(monkeypatch):
    # pages that earlier cells freed stay with the kernel until malloc_trim hands them back; a run's peak would
    # stack on them (lesson 03: +142 MB over what its cells left)
    import widgets.ui.runner as runner_module

    events = []
    monkeypatch.setattr(runner_module, "release_memory", lambda: events.append("release"))
    runner = BackgroundRunner(lambda progress, stop: events.append("job"))
    runner.run_sync()
    assert events == ["release", "job", "release"]
    events.clear()
    runner = BackgroundRunner(lambda progress, stop: 1 / 0)  # a job that fails still gives its memory back
    runner.run_sync()
    assert events == ["release", "release"] and isinstance(runner.error, ZeroDivisionError)
