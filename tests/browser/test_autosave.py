"""Reading and running a lesson, with JupyterLab's autosave on, leaves the lesson's file as the repository stores it.

JupyterLab rewrites a notebook's metadata when its kernel starts (the kernel's display name, the Python version in
``language_info``) and autosave writes that, and every output, into the file. ``widgets.save_hook`` (enabled by
``make setup``) puts the stored metadata and outputs back on save, so ``git status`` stays clean and a later pull
of an updated lesson does not conflict. A copy under another name is the learner's own and keeps its outputs.
"""

import json
import shutil
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
DOCMANAGER = "@jupyterlab/docmanager-extension:plugin"


def _lesson_with_stored_outputs():
    """A lesson that stores the outputs nbval checks next to cells whose outputs must not be stored: both cases."""
    for path in sorted((REPO / "course").glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        if any(cell.cell_type == "code" and cell.outputs for cell in cells):
            return path.relative_to(REPO).as_posix()
    return "course/00_start_here.ipynb"


LESSON = _lesson_with_stored_outputs()


def _api(server, method, path, body=None):
    request = urllib.request.Request(
        f"{server['url']}{path}", method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"token {server['token']}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        data = response.read()
    return json.loads(data) if data else None


@contextmanager
def autosave_every(server, seconds):
    """Turn JupyterLab's autosave on (the browser tests keep it off) for the pages opened inside the block."""
    before = _api(server, "GET", f"/lab/api/settings/{DOCMANAGER}")["raw"]
    _api(server, "PUT", f"/lab/api/settings/{DOCMANAGER}",
         {"raw": json.dumps({"autosave": True, "autosaveInterval": seconds})})
    try:
        yield
    finally:
        _api(server, "PUT", f"/lab/api/settings/{DOCMANAGER}", {"raw": before})


def _last_modified(server, path):
    return _api(server, "GET", f"/api/contents/{path}?content=0")["last_modified"]


def wait_for_autosave(lab, server, path, since, executed=None, timeout=300):
    """Wait until autosave has written the open notebook (its file changed after `since`) and nothing is unsaved.

    ``executed``: a cell index whose run must be complete in the page first. A cell's output reaches the page
    before its execution count does; an autosave between the two leaves the page clean for a moment, with a file
    that has the output and no count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = lab.page.evaluate(
            """(index) => { const model = window.jupyterapp.shell.currentWidget.context.model;
                            const cell = index === null ? null : model.cells.get(index);
                            return [model.dirty, cell === null || cell.executionCount !== null]; }""",
            executed,
        )
        dirty, ran = state
        if ran and not dirty and _last_modified(server, path) != since:
            return
        lab.page.wait_for_timeout(250)
    raise TimeoutError(f"JupyterLab did not autosave {path} within {timeout} s")


def _document(lab):
    """The notebook as JupyterLab holds it in the page: what its autosave sends to the server."""
    return lab.page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")


def test_the_save_hook_is_enabled(jupyter_server):
    log = jupyter_server["log"].read_text()
    assert "widgets.save_hook | extension was successfully loaded" in log, (
        "widgets.save_hook is not enabled in this environment: run `make setup` (it runs python -m widgets.save_hook)"
    )


def test_autosave_leaves_an_opened_and_run_lesson_as_stored(lab, jupyter_server):
    stored = (REPO / LESSON).read_bytes()
    without_outputs = {cell.id for cell in nbformat.reads(stored.decode(), as_version=4).cells
                       if cell.cell_type == "code" and not cell.outputs}
    since = _last_modified(jupyter_server, LESSON)
    try:
        with autosave_every(jupyter_server, seconds=2):
            lab.open(LESSON)
            lab.run_all(timeout=900)
            wait_for_autosave(lab, jupyter_server, LESSON, since)
        # What JupyterLab saved differs from the stored lesson: its own language_info, outputs where none are stored ...
        saved = _document(lab)
        assert "version" in saved["metadata"]["language_info"]
        assert any(cell["outputs"] for cell in saved["cells"] if cell["id"] in without_outputs)
        # ... and yet the file is the stored one, byte for byte.
        assert (REPO / LESSON).read_bytes() == stored, "autosave changed the stored lesson"
    finally:
        (REPO / LESSON).write_bytes(stored)


def test_a_copy_under_another_name_keeps_its_outputs(lab, jupyter_server):
    """The control: with the same autosave, a learner's copy of a lesson is saved as JupyterLab sends it."""
    copy = REPO / "tests" / "browser" / "screenshots" / "_autosave_copy.ipynb"
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(REPO / LESSON, copy)
    path = copy.relative_to(REPO).as_posix()
    try:
        since = _last_modified(jupyter_server, path)
        with autosave_every(jupyter_server, seconds=2):
            lab.open(path)
            first = next(i for i, cell in enumerate(nbformat.read(copy, as_version=4).cells)
                         if cell.cell_type == "code")
            lab.run_cells(first, first)
            wait_for_autosave(lab, jupyter_server, path, since, executed=first)
        saved = nbformat.read(copy, as_version=4)
        assert "version" in saved.metadata.language_info
        assert saved.cells[first].execution_count == 1, "the copy was saved without what JupyterLab sent"
    finally:
        copy.unlink(missing_ok=True)
