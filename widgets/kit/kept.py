"""Arrays that take seconds to make and are the same every time: made once per machine, then read back.

The course's own data is drawn by code (Digits-M: 1,797 digits drawn onto clutter, about 7 s; the 1,000 held-out
letters, about 1 s). Every lesson's kernel would draw it again; instead the first one keeps it in ``$FTLAB_DATA``
(or ``~/.fine-tuning-lab/cache``), under a name that holds a hash of the code that drew it, so changed code never
reads an old file, and the file an older version kept is removed once the new one is written. A file that cannot
be read or written is simply made again: keeping is only ever a shortcut.
"""

import hashlib
import io
import re
from pathlib import Path

import numpy as np

from ..files import atomic_write, cache_folder


def folder():
    """Where the course keeps data it downloaded or made: ``$FTLAB_DATA`` or ``~/.fine-tuning-lab/cache``."""
    return cache_folder()


def array(name, code_file, make):
    """``make()``'s numpy array, read back when it was kept before by exactly this ``code_file`` (the source
    file that makes it, hashed); otherwise made, kept and returned. The file is written whole and then renamed,
    so a kernel that reads it at the same moment never sees half of it."""
    digest = hashlib.sha256(Path(code_file).read_bytes()).hexdigest()[:16]
    path = folder() / f"{name}-{digest}.npy"
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        pass
    made = np.ascontiguousarray(make())
    buffer = io.BytesIO()
    np.save(buffer, made, allow_pickle=False)
    try:
        atomic_write(path, buffer.getvalue())
    except OSError:
        return made
    kept_before = re.compile(re.escape(name) + r"-[0-9a-f]{16}\.npy")
    for stale in path.parent.glob(f"{name}-*.npy"):
        if stale != path and kept_before.fullmatch(stale.name):
            try:  # made by an older version of the code: never read again
                stale.unlink()
            except OSError:
                pass
    return made
