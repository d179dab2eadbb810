"""Where a learner's progress lives: one JSON file, safe with several kernels open at once.

- Path: ``$FTLAB_PROGRESS`` if set, else ``~/.fine_tuning_lab/progress.json``.
- Every change is a read-modify-write under a file lock (``fcntl.flock`` on a side ``.lock`` file on POSIX,
  an exclusive lock file elsewhere): the file is re-read before each write, so two notebooks open at the
  same time never erase each other's lessons.
- Writes are atomic: a temp file in the same folder, then ``os.replace``.
- A corrupt file is renamed to ``progress.corrupt-<time>.json`` and replaced; :attr:`ProgressStore.message`
  says so, and the widgets show it. Nothing here raises on a bad file or a read-only disk.
"""

import contextlib
import copy
import json
import os
import tempfile
import time
from pathlib import Path

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

FORMAT_VERSION = 1
LESSON_SECTIONS = ("cards", "quiz", "challenges", "practice", "explain")


def default_progress_path():
    override = os.environ.get("FTLAB_PROGRESS")
    if override:
        return Path(override).expanduser()
    return Path.home() / ".fine_tuning_lab" / "progress.json"


def _empty():
    return {"version": FORMAT_VERSION, "lessons": {}}


def _empty_lesson():
    record = {section: {} for section in LESSON_SECTIONS}
    record["badge"] = None
    return record


def _check_shape(data):
    """Return a clean progress dict, or raise ValueError if this is not one of our files."""
    if not isinstance(data, dict) or not isinstance(data.get("lessons"), dict):
        raise ValueError("not a Fine-Tuning Lab progress file (no 'lessons' mapping)")
    clean = _empty()
    for lesson_id, record in data["lessons"].items():
        if not isinstance(record, dict):
            raise ValueError(f"lesson {lesson_id!r} is not a mapping")
        lesson = _empty_lesson()
        for section in LESSON_SECTIONS:
            value = record.get(section, {})
            if not isinstance(value, dict):
                raise ValueError(f"lesson {lesson_id!r}: {section} is not a mapping")
            lesson[section] = value
        lesson["badge"] = record.get("badge")
        clean["lessons"][str(lesson_id)] = lesson
    return clean


def merge(base, incoming):
    """Merge two progress dicts item by item; where both hold the same item, ``incoming`` wins."""
    out = copy.deepcopy(base)
    for lesson_id, record in incoming["lessons"].items():
        lesson = out["lessons"].setdefault(lesson_id, _empty_lesson())
        for section in LESSON_SECTIONS:
            lesson[section].update(copy.deepcopy(record.get(section, {})))
        if record.get("badge"):
            lesson["badge"] = record["badge"]
    return out


class ProgressStore:
    """The progress file, read and written safely. Widgets call :meth:`record` after every answer.

    ``observe(callback)`` registers a function called with the lesson id after each change, so a
    progress bar in the same kernel updates live.
    """

    def __init__(self, path=None, clock=time.time):
        self.path = Path(path).expanduser() if path is not None else default_progress_path()
        self.clock = clock
        self.message = ""  # the last thing the learner should know (corrupt file backed up, disk read-only)
        self._observers = []
        self._data = _empty()
        self.load()

    # ---- reading -------------------------------------------------------------------------------------
    def load(self):
        """Re-read the file (under the lock) and return a copy of everything."""
        with self._locked():
            self._data = self._read()
        return copy.deepcopy(self._data)

    def lesson(self, lesson_id):
        """A copy of one lesson's record (empty sections when the lesson was never opened)."""
        return copy.deepcopy(self._data["lessons"].get(lesson_id, _empty_lesson()))

    def lessons(self):
        return sorted(self._data["lessons"])

    def _read(self):
        if not self.path.exists():
            return _empty()
        try:
            text = self.path.read_text(encoding="utf-8")
            return _check_shape(json.loads(text))
        except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError is a ValueError
            return self._recover(err)
        except OSError as err:
            self.message = f"Could not read your progress file {self.path} ({err}); progress is kept in memory."
            return copy.deepcopy(self._data)

    def _recover(self, err):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
        backup = self.path.with_name(f"{self.path.stem}.corrupt-{stamp}{self.path.suffix}")
        n = 1
        while backup.exists():
            backup = self.path.with_name(f"{self.path.stem}.corrupt-{stamp}-{n}{self.path.suffix}")
            n += 1
        try:
            os.replace(self.path, backup)
            self.message = (
                f"Your progress file could not be read ({err}). It was kept as {backup.name} "
                "and a new, empty one was started."
            )
        except OSError as move_err:
            self.message = f"Your progress file could not be read ({err}) nor backed up ({move_err}); starting afresh in memory."
            return _empty()
        self._write(_empty())
        return _empty()

    # ---- writing -------------------------------------------------------------------------------------
    def record(self, lesson_id, section, item_id, value):
        """Save one answer, e.g. ``record("02_freezing_layers", "quiz", "q1", {"chosen": 2, "correct": True})``."""
        if section not in LESSON_SECTIONS:
            raise ValueError(f"section must be one of {', '.join(LESSON_SECTIONS)}, not {section!r}")

        def change(data):
            lesson = data["lessons"].setdefault(lesson_id, _empty_lesson())
            lesson[section][str(item_id)] = value

        self._update(lesson_id, change)

    def set_badge(self, lesson_id, earned=True):
        def change(data):
            lesson = data["lessons"].setdefault(lesson_id, _empty_lesson())
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
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".progress-", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=1, sort_keys=True)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError as err:
            self.message = f"Could not save progress to {self.path} ({err}); it is kept in memory for now."

    # ---- export / import -----------------------------------------------------------------------------
    def export(self, path):
        """Write all progress to ``path`` (a JSON file you can keep or move to another machine)."""
        path = Path(path)
        data = self.load()
        path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        return path

    def import_(self, source, replace=False):
        """Load progress from a file path or JSON bytes/str; merged into the current progress unless ``replace``.

        Raises ValueError with a readable message when the source is not a progress file.
        """
        if isinstance(source, (bytes, bytearray)):
            text = bytes(source).decode("utf-8", errors="replace")
        elif isinstance(source, str) and source.lstrip().startswith("{"):
            text = source
        else:
            text = Path(source).read_text(encoding="utf-8")
        try:
            incoming = _check_shape(json.loads(text))
        except ValueError as err:
            raise ValueError(f"That file is not a progress file: {err}") from None

        def change(data):
            merged = incoming if replace else merge(data, incoming)
            data.clear()
            data.update(merged)

        self._update(None, change)
        return sorted(incoming["lessons"])

    # ---- observers -----------------------------------------------------------------------------------
    def observe(self, callback):
        self._observers.append(callback)

    def unobserve(self, callback):
        with contextlib.suppress(ValueError):
            self._observers.remove(callback)

    # ---- locking -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self, timeout=10.0):
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            yield  # no writable folder: nothing to lock, writes will report the problem
            return
        if fcntl is not None:
            try:
                handle = open(lock_path, "a")
            except OSError:
                yield
                return
            with handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
            return
        # Fallback: an exclusive lock file; a lock older than `timeout` is left over from a crash and broken.
        deadline = time.monotonic() + timeout
        while True:
            try:
                fd = os.open(lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                break
            except FileExistsError:
                if time.monotonic() > deadline:
                    with contextlib.suppress(OSError):
                        os.unlink(lock_path)
                    deadline = time.monotonic() + timeout
                time.sleep(0.02)
            except OSError:
                yield
                return
        try:
            yield
        finally:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(lock_path)


_default_store = None


def default_store():
    """One shared store per kernel and progress path, so every widget in a notebook sees the same progress."""
    global _default_store
    if _default_store is None or _default_store.path != default_progress_path():
        _default_store = ProgressStore()
    return _default_store
