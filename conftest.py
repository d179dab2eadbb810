"""Test-wide settings. nbval's kernels inherit this process's environment, so lessons see them too."""

import os
import tempfile

# Learning-mode progress must never be written into the tester's real home directory.
_progress_dir = tempfile.mkdtemp(prefix="ftlab-progress-")
os.environ["FTLAB_PROGRESS"] = os.path.join(_progress_dir, "progress.json")
# Keras examples run on the torch backend; TensorFlow is not a dependency.
os.environ.setdefault("KERAS_BACKEND", "torch")
