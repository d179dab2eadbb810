"""Where a learner's progress lives: one JSON file, safe with several kernels open at once.

- Path: ``$FTLAB_PROGRESS`` if set, else ``~/.fine-tuning-lab/progress.json`` (:func:`widgets.files.progress_path`).
- Every change is a read-modify-write under a file lock (``filelock``, on a side ``.lock`` file): the file is
  re-read before each write, so two notebooks open at the same time never erase each other's lessons, and a
  change can check what it is about to overwrite (:meth:`ProgressStore.change_lesson`).
- Writes are atomic (:func:`widgets.files.atomic_write`): a temp file in the same folder, then ``os.replace``.
- A damaged file is salvaged (:func:`.record.read`): every well-formed lesson and section is kept, the parts
  that could not be used are written to ``progress.set-aside-<time>.json`` and the original file is kept as
  ``progress.original-<time>.json``, both beside it. :attr:`ProgressStore.message` names what was set aside,
  and the widgets show it. Nothing here raises on a bad file or a read-only disk.
"""

import contextlib
import copy
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from ...files import atomic_write, progress_path
from . import record as progress_file
from .record import LESSON_SECTIONS, ProgressFileError

LOCK_TIMEOUT = 10.0  # seconds; a kernel holds the lock for one read and one write


@dataclass
class Imported:
    """What :meth:`ProgressStore.import_` took in: the lessons, and notes naming what it set aside."""

    lessons: list
    notes: list = field(default_factory=list)


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
            reading = progress_file.read(raw)
        except ProgressFileError as err:
            return self._recover(progress_file.Reading(progress_file.empty(), [f"it could not be read: {err}"]))
        return self._recover(reading) if reading.notes else reading.data

    def _beside(self, kind, stamp):
        """A free file name beside the progress file: ``progress.<kind>-<time>[-n].json``."""
        n, name = 0, self.path.with_name(f"{self.path.stem}.{kind}-{stamp}{self.path.suffix}")
        while name.exists():
            n += 1
            name = self.path.with_name(f"{self.path.stem}.{kind}-{stamp}-{n}{self.path.suffix}")
        return name

    def _recover(self, reading):
        """Keep the original file beside it (and the set-aside parts in a file of their own), go on with what
        could be read, and say so in :attr:`message`."""
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
        what = "; ".join(reading.notes)
        original = self._beside("original", stamp)
        try:
            os.replace(self.path, original)
        except OSError as move_err:
            self.message = f"Your progress file needed repair: {what}. It could not be backed up ({move_err}); " \
                           "carrying on in memory."
            return reading.data
        kept = [f"the original file is kept as {original.name}"]
        if reading.set_aside:
            aside = self._beside("set-aside", stamp)
            note = (f"The parts of {self.path.name} that could not be used on {stamp}: fix them in an editor and "
                    "import this file from the Progress tab.")
            try:
                text = progress_file.dumps(dict(reading.set_aside, note=note, version=progress_file.FORMAT_VERSION))
                aside.write_text(text, encoding="utf-8")
                kept.insert(0, f"what was set aside is in {aside.name}")
            except OSError:
                pass  # the original holds it too
        rest = "everything else was kept" if reading.data["lessons"] else "a new, empty one was started"
        self.message = (f"Your progress file needed repair: {what}. {rest.capitalize()}; {' and '.join(kept)}, "
                        f"beside {self.path.name}.")
        self._write(reading.data)
        return reading.data

    # ---- writing -------------------------------------------------------------------------------------
    def record(self, lesson_id, section, item_id, value):
        """Save one item's state, e.g. ``record("02_freezing_layers", "cards", "c1", "known")``. An answer
        (right or wrong) goes through :meth:`answer`, which also logs it."""
        if section not in LESSON_SECTIONS:
            raise ValueError(f"section must be one of {', '.join(LESSON_SECTIONS)}, not {section!r}")

        def change(lesson):
            lesson[section][str(item_id)] = value

        self.change_lesson(lesson_id, change)

    def answer(self, lesson_id, section, item_id, value, chosen, correct, seconds=None, **marks):
        """Save an answer's record (``value``; None keeps the saved one) and append it to the lesson's answer log,
        in one write. Returns the log entry, numbered after the item's earlier answers (``attempt``)."""
        entry = progress_file.answer_entry(section, item_id, chosen, correct, at=self.clock(), seconds=seconds,
                                           **marks)

        def change(lesson):
            if value is not None:
                lesson[section][str(item_id)] = value
            return progress_file.append_answer(lesson, entry)

        return self.change_lesson(lesson_id, change)

    def forget(self, lesson_id, section, item_id):
        """Remove one saved item (e.g. a review card that is learned for good)."""

        def change(data):
            data["lessons"].get(lesson_id, {}).get(section, {}).pop(str(item_id), None)

        self._update(lesson_id, change)

    def stamp(self):
        """The store clock's time as the file shows dates (a badge's)."""
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.clock()))

    def award_badge(self, lesson_id, challenge_ids):
        """Write the lesson's badge when the answer log backs it (every one of ``challenge_ids`` solved in the
        badge round, in time, not flagged); returns whether the lesson has a badge that counts."""
        at = self.stamp()

        def change(lesson):
            if not progress_file.badge_backed(lesson, challenge_ids):
                return False
            lesson["badge"] = lesson.get("badge") or progress_file.badge_record(at, challenge_ids)
            return True

        return bool(self.change_lesson(lesson_id, change))

    def set_learner(self, name):
        """The name the class report shows for this progress file (it goes with an export); "" removes it."""
        name = progress_file.learner_name(name)

        def change(data):
            if name:
                data["learner"] = name
            else:
                data.pop("learner", None)

        self._update(None, change)

    @property
    def learner(self):
        return self._data.get("learner", "")

    def reset(self, lesson_id=None):
        """Forget one lesson's progress, or everything."""

        def change(data):
            if lesson_id is None:
                data["lessons"].clear()
            else:
                data["lessons"].pop(lesson_id, None)

        self._update(lesson_id, change)

    def change_lesson(self, lesson_id, change):
        """Run ``change(lesson)`` on the freshest copy of one lesson's record, read under the lock, and save it;
        when ``change`` returns False nothing is saved (a check on what is there failed). Returns its result."""
        result = None

        def apply(data):
            nonlocal result
            lesson = copy.deepcopy(data["lessons"].get(lesson_id)) or progress_file.empty_lesson()
            result = change(lesson)
            if result is False:
                return False
            data["lessons"][lesson_id] = lesson

        self._update(lesson_id, apply)
        return result

    def _update(self, lesson_id, change):
        with self._locked():
            data = self._read() if self.path.exists() else copy.deepcopy(self._data)
            changed = change(data) is not False
            self._data = data
            if changed:
                self._write(data)
        if changed:
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

        Reads whatever :meth:`export` wrote, also after an editor saved it again (byte-order mark, CRLF, UTF-16),
        and salvages a damaged file as loading does: an :class:`Imported` lists the lessons taken in and names
        what was set aside. Raises ValueError with a readable message when the source is not a progress file."""
        if isinstance(source, (bytes, bytearray)):
            raw = bytes(source)
        elif isinstance(source, str) and source.lstrip("\ufeff \t\r\n").startswith("{"):
            raw = source.encode("utf-8")
        else:
            raw = Path(source).read_bytes()
        try:
            reading = progress_file.read(raw)
        except ProgressFileError as err:
            raise ValueError(f"That file is not a progress file: {err}.") from None
        incoming = progress_file.empty()
        incoming["lessons"] = {lid: lesson for lid, lesson in reading.data["lessons"].items()
                               if lesson != progress_file.empty_lesson()}

        def change(data):
            merged = incoming if replace else progress_file.merge(data, incoming)
            data.clear()
            data.update(merged)

        self._update(None, change)
        return Imported(sorted(incoming["lessons"]), reading.notes)

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
