"""Where a learner's progress lives: one JSON file, safe with several kernels open at once.

- Path: ``$FTLAB_PROGRESS`` if set, else ``~/.fine-tuning-lab/progress.json`` (:func:`widgets.files.progress_path`).
- Every change is a read-modify-write under a file lock (``filelock``, on a side ``.lock`` file): the file is
  re-read before each write, so two notebooks open at the same time never erase each other's lessons.
- Writes are atomic (:func:`widgets.files.atomic_write`): a temp file in the same folder, then ``os.replace``.
- A file that cannot be read is renamed to ``progress.corrupt-<time>.json`` and replaced; a file read only in
  part (extra text after the data, answers nested too deeply) is read, and the original kept the same way.
  :attr:`ProgressStore.message` says so, and the widgets show it. Nothing here raises on a bad file or a
  read-only disk.
"""

import contextlib
import copy
import os
import time
from pathlib import Path

from filelock import FileLock, Timeout

from ...files import atomic_write, progress_path
from . import record as progress_file
from .record import LESSON_SECTIONS, ProgressFileError

LOCK_TIMEOUT = 10.0  # seconds; a kernel holds the lock for one read and one write


def default_progress_path():
    return progress_path()


class ProgressStore:
    """The progress file, read and written safely. Widgets call :meth:`record` after every answer.

    ``observe(callback)`` registers a function called with the lesson id after each change, so a
    progress bar in the same kernel updates live. ``clock`` (seconds since the epoch) dates badges and the
    spaced-review schedule; tests inject a fake one.
    """

    def __init__(self, path=None, clock=time.time):
        self.path = Path(path).expanduser() if path is not None else default_progress_path()
        self.clock = clock
        self.message = ""  # the last thing the learner should know (corrupt file backed up, disk read-only)
        self._observers = []
        self._data = progress_file.empty()
        self.load()

    # ---- reading -------------------------------------------------------------------------------------
    def load(self):
        """Re-read the file (under the lock) and return a copy of everything."""
        with self._locked():
            self._data = self._read()
        return copy.deepcopy(self._data)

    def lesson(self, lesson_id):
        """A copy of one lesson's record (empty sections when the lesson was never opened)."""
        return copy.deepcopy(self._data["lessons"].get(lesson_id, progress_file.empty_lesson()))

    def lessons(self):
        return sorted(self._data["lessons"])

    def _read(self):
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return progress_file.empty()
        except OSError as err:
            self.message = f"Could not read your progress file {self.path} ({err}); progress is kept in memory."
            return copy.deepcopy(self._data)
        try:
            data, notes = progress_file.parse(raw)
        except ProgressFileError as err:
            return self._recover(f"Your progress file could not be read: {err}.", progress_file.empty())
        if notes:
            return self._recover(f"Your progress file was read, but {'; '.join(notes)}.", data)
        return data

    def _recover(self, what, data):
        """Keep the original file as a dated backup and start again from ``data``; say so in :attr:`message`."""
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
        backup = self.path.with_name(f"{self.path.stem}.corrupt-{stamp}{self.path.suffix}")
        n = 1
        while backup.exists():
            backup = self.path.with_name(f"{self.path.stem}.corrupt-{stamp}-{n}{self.path.suffix}")
            n += 1
        try:
            os.replace(self.path, backup)
        except OSError as move_err:
            self.message = f"{what} It could not be backed up either ({move_err}); carrying on in memory."
            return data
        fresh = "what could be read was kept" if data["lessons"] else "a new, empty one was started"
        self.message = f"{what} The original was kept as {backup.name}, and {fresh}."
        self._write(data)
        return data

    # ---- writing -------------------------------------------------------------------------------------
    def record(self, lesson_id, section, item_id, value):
        """Save one answer, e.g. ``record("02_freezing_layers", "quiz", "q1", {"chosen": 2, "correct": True})``."""
        if section not in LESSON_SECTIONS:
            raise ValueError(f"section must be one of {', '.join(LESSON_SECTIONS)}, not {section!r}")

        def change(data):
            lesson = data["lessons"].setdefault(lesson_id, progress_file.empty_lesson())
            lesson.setdefault(section, {})[str(item_id)] = value

        self._update(lesson_id, change)

    def forget(self, lesson_id, section, item_id):
        """Remove one saved item (e.g. a review card that is learned for good)."""

        def change(data):
            data["lessons"].get(lesson_id, {}).get(section, {}).pop(str(item_id), None)

        self._update(lesson_id, change)

    def set_badge(self, lesson_id, earned=True):
        def change(data):
            lesson = data["lessons"].setdefault(lesson_id, progress_file.empty_lesson())
            lesson["badge"] = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.clock())) if earned else None

        self._update(lesson_id, change)

    def reset(self, lesson_id=None):
        """Forget one lesson's progress, or everything."""

        def change(data):
            if lesson_id is None:
                data["lessons"].clear()
            else:
                data["lessons"].pop(lesson_id, None)

        self._update(lesson_id, change)

    def _update(self, lesson_id, change):
        with self._locked():
            data = self._read() if self.path.exists() else copy.deepcopy(self._data)
            change(data)
            self._data = data
            self._write(data)
        for callback in list(self._observers):
            callback(lesson_id)

    def _write(self, data):
        try:
            atomic_write(self.path, progress_file.dumps(data), sync=True)
        except OSError as err:
            self.message = f"Could not save progress to {self.path} ({err}); it is kept in memory for now."

    # ---- export / import -----------------------------------------------------------------------------
    def export(self, path):
        """Write all progress to ``path`` (a JSON file you can keep or move to another machine)."""
        path = Path(path)
        path.write_text(progress_file.dumps(self.load()), encoding="utf-8")
        return path

    def import_(self, source, replace=False):
        """Load progress from a file path or the file's bytes; merged into the current progress unless ``replace``.

        Reads whatever :meth:`export` wrote, also after an editor saved it again (byte-order mark, CRLF, UTF-16).
        Raises ValueError with a readable message when the source is not a progress file."""
        if isinstance(source, (bytes, bytearray)):
            raw = bytes(source)
        elif isinstance(source, str) and source.lstrip("\ufeff \t\r\n").startswith("{"):
            raw = source.encode("utf-8")
        else:
            raw = Path(source).read_bytes()
        try:
            incoming, _ = progress_file.parse(raw)
        except ProgressFileError as err:
            raise ValueError(f"That file is not a progress file: {err}.") from None

        def change(data):
            merged = incoming if replace else progress_file.merge(data, incoming)
            data.clear()
            data.update(merged)

        self._update(None, change)
        return sorted(incoming["lessons"])

    # ---- observers -----------------------------------------------------------------------------------
    def observe(self, callback):
        self._observers.append(callback)

    # ---- locking -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self):
        """Hold the side lock file while reading and writing. Where no lock can be taken (a read-only folder,
        a lock held for too long), go on without one: the write itself reports any problem."""
        lock = FileLock(self.path.with_name(self.path.name + ".lock"), timeout=LOCK_TIMEOUT)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except (OSError, Timeout):
            yield
            return
        try:
            yield
        finally:
            lock.release()


_default_store = None


def default_store():
    """One shared store per kernel and progress path, so every widget in a notebook sees the same progress."""
    global _default_store
    if _default_store is None or _default_store.path != default_progress_path():
        _default_store = ProgressStore()
    return _default_store
