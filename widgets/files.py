"""Where the course keeps its files on a learner's machine, and how it writes them: one home folder, one atomic write.

- :func:`home`: ``$FTLAB_HOME`` or ``~/.fine-tuning-lab``. The learner's progress lives there (``progress.json``,
  or ``$FTLAB_PROGRESS``) and so does what the course downloads or makes once per machine (``cache/``, or
  ``$FTLAB_DATA``). A progress file from before, ``~/.fine_tuning_lab/progress.json``, is moved in on first use.
- :func:`atomic_write`: the bytes go to a temporary file in the same folder, which then replaces the target in one
  step, so a reader (another kernel, a crash half-way) sees the old file or the new one, never half of one.
"""

import os
import tempfile
from pathlib import Path

OLD_PROGRESS = Path("~/.fine_tuning_lab/progress.json")


def home():
    """The course's folder on this machine: ``$FTLAB_HOME`` or ``~/.fine-tuning-lab``."""
    return Path(os.environ.get("FTLAB_HOME") or Path.home() / ".fine-tuning-lab").expanduser()


def cache_folder():
    """Data the course downloads or makes once per machine: ``$FTLAB_DATA`` or ``home()/cache``."""
    return Path(os.environ.get("FTLAB_DATA") or home() / "cache").expanduser()


def progress_path():
    """The learner's progress file: ``$FTLAB_PROGRESS`` or ``home()/progress.json`` (an old file moved in)."""
    override = os.environ.get("FTLAB_PROGRESS")
    if override:
        return Path(override).expanduser()
    path = home() / "progress.json"
    old = OLD_PROGRESS.expanduser()
    if not path.exists() and old.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(old, path)
        except OSError:
            return old  # cannot move it: keep using it where it is
    return path


def atomic_write(path, data, *, sync=False):
    """Write ``data`` (bytes or text, UTF-8) to ``path`` whole or not at all. ``sync``: flush it to disk before the
    rename (the progress file: a power cut must not leave an empty file). Raises ``OSError`` like ``open``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            if sync:
                out.flush()
                os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return path
