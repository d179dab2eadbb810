"""Keep the course's lessons as the repository stores them when JupyterLab saves them.

Opening a lesson makes JupyterLab rewrite its metadata (the kernel's display name, the Python version in
``language_info``); running it fills in outputs and execution counts; autosave writes all of that into the lesson.
A learner's checkout would then differ from the course after merely reading it, and pulling an updated lesson
later would conflict. So when a lesson is saved, this hook keeps what the learner wrote (cell sources, added and
deleted cells) and puts back what the repository stores for the rest: the notebook's metadata, and each unchanged
code cell's outputs and execution count (none, except the outputs that nbval checks). The open notebook keeps
showing its outputs; only the file stays clean.

A lesson is a notebook whose metadata says ``"fine_tuning_lab": {"lesson": "<its own file name>"}``. A copy
saved under another name (File > Save Notebook As...) is the learner's own and is saved as it is, outputs included.

Jupyter Server loads this module as an extension once ``python -m widgets.save_hook`` has enabled it in the
environment (``make setup`` does; it writes ``etc/jupyter/jupyter_server_config.d/fine_tuning_lab.json``).
"""

import copy
import json
import posixpath
import sys
from pathlib import Path

import nbformat

LESSON_KEY = "fine_tuning_lab"


def is_lesson(notebook, path):
    """True when ``notebook`` (a dict) is the course lesson stored at ``path`` (its own name, not a copy's)."""
    marker = notebook.get("metadata", {}).get(LESSON_KEY)
    stem = posixpath.splitext(posixpath.basename(path))[0]
    return isinstance(marker, dict) and marker.get("lesson") == stem


def keep_stored(notebook, stored):
    """Put ``stored``'s metadata, outputs and execution counts back into ``notebook`` (both notebook dicts).

    A code cell keeps its stored outputs only while its source is the stored one; an edited or a new cell is
    saved without outputs. Without a stored version (``None``) every output goes. Returns ``notebook``."""
    stored_cells = {cell.get("id"): cell for cell in (stored or {}).get("cells", [])}
    if stored is not None:
        notebook["metadata"] = copy.deepcopy(stored["metadata"])
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code":
            continue
        before = stored_cells.get(cell.get("id"))
        if before is not None and before.get("cell_type") == "code" and _source(before) == _source(cell):
            cell["outputs"] = copy.deepcopy(before["outputs"])
            cell["execution_count"] = before["execution_count"]
        else:
            cell["outputs"] = []
            cell["execution_count"] = None
    return notebook


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _stored_version(path, contents_manager):
    """The notebook now on disk at ``path``, or None (a new file, or contents that are not plain files)."""
    get_os_path = getattr(contents_manager, "_get_os_path", None)
    if get_os_path is None:
        return None
    try:
        return nbformat.read(get_os_path(path), as_version=4)
    except (OSError, ValueError):
        return None


def pre_save(model, path, contents_manager, **kwargs):
    """Jupyter Server's pre-save hook: a lesson is saved with its stored metadata and outputs."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    notebook = model["content"]
    if notebook.get("nbformat") != 4 or not is_lesson(notebook, path):
        return
    keep_stored(notebook, _stored_version(path, contents_manager))


def _jupyter_server_extension_points():
    return [{"module": "widgets.save_hook"}]


def _load_jupyter_server_extension(serverapp):
    serverapp.contents_manager.register_pre_save_hook(pre_save)
    serverapp.log.info("Fine-Tuning Lab: lessons are saved with the metadata and outputs the repository stores")


def enable(prefix=sys.prefix):
    """Enable the extension for every Jupyter server of the environment at ``prefix``; return the config file."""
    folder = Path(prefix) / "etc" / "jupyter" / "jupyter_server_config.d"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fine_tuning_lab.json"
    path.write_text(json.dumps({"ServerApp": {"jpserver_extensions": {"widgets.save_hook": True}}}, indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(f"Lessons are saved clean: Jupyter server extension widgets.save_hook enabled in {enable()}")
