"""widgets.save_hook: saving a lesson from JupyterLab keeps the file as the repository stores it (see its docstring).

JupyterLab's own save is driven in tests/browser/test_autosave.py; here the hook runs inside a real Jupyter Server
contents manager, on notebooks shaped like what JupyterLab sends after opening and running a lesson."""

import copy
import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_server.services.contents.filemanager import FileContentsManager

from widgets import save_hook

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted((REPO / "course").glob("*.ipynb"))

# What JupyterLab 4 writes into a lesson's metadata once its kernel has started (seen in tests/browser/test_autosave.py)
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py", "mimetype": "text/x-python",
    "name": "python", "nbconvert_exporter": "python", "pygments_lexer": "ipython3", "version": "3.11.7",
}


def as_jupyterlab_saves_it(notebook):
    """`notebook` opened and run in JupyterLab: its metadata rewritten, every code cell run and given an output."""
    opened = copy.deepcopy(notebook)
    opened["metadata"]["language_info"] = dict(LANGUAGE_INFO)
    opened["metadata"]["kernelspec"]["display_name"] = "Python 3"
    opened["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    for count, cell in enumerate((c for c in opened["cells"] if c["cell_type"] == "code"), start=1):
        cell["execution_count"] = count
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": f"ran {count}\n"}]
    return opened


@pytest.fixture
def contents(tmp_path):
    """A Jupyter Server contents manager over a copy of the course, with the hook registered as the extension does."""
    shutil.copytree(REPO / "course", tmp_path / "course")
    manager = FileContentsManager(root_dir=str(tmp_path))
    manager.register_pre_save_hook(save_hook.pre_save)
    return manager


def _save(contents, path, notebook):
    contents.save({"type": "notebook", "format": "json", "content": notebook}, path)
    return (Path(contents.root_dir) / path).read_bytes()


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_every_lesson_says_it_is_one(lesson):
    assert save_hook.is_lesson(json.loads(lesson.read_text()), f"course/{lesson.name}")


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_an_opened_and_run_lesson_is_saved_as_stored(contents, lesson):
    stored = lesson.read_bytes()
    path = f"course/{lesson.name}"
    assert _save(contents, path, as_jupyterlab_saves_it(json.loads(stored))) == stored


def test_outputs_nbval_checks_stay_and_no_other_output_is_written(contents):
    lesson = next(path for path in LESSONS
                  if any(c.cell_type == "code" and c.outputs for c in nbformat.read(path, as_version=4).cells))
    path = f"course/{lesson.name}"
    _save(contents, path, as_jupyterlab_saves_it(json.loads(lesson.read_text())))
    for stored, saved in zip(nbformat.read(lesson, as_version=4).cells,
                             nbformat.read(Path(contents.root_dir) / path, as_version=4).cells):
        if stored.cell_type == "code":
            assert (saved.outputs, saved.execution_count) == (stored.outputs, stored.execution_count)


def test_what_the_learner_writes_is_kept(contents):
    path = "course/00_start_here.ipynb"
    notebook = as_jupyterlab_saves_it(json.loads((REPO / path).read_text()))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    code[0]["source"] = "print('my own line')"
    del notebook["cells"][notebook["cells"].index(code[-1])]
    notebook["cells"].append(dict(nbformat.v4.new_code_cell("1 + 1", id="my-new-cell"),
                                  execution_count=9, outputs=[{"output_type": "execute_result", "data": {
                                      "text/plain": "2"}, "metadata": {}, "execution_count": 9}]))
    _save(contents, path, notebook)
    saved = nbformat.read(Path(contents.root_dir) / path, as_version=4)
    by_id = {cell.id: cell for cell in saved.cells}
    assert by_id[code[0]["id"]].source == "print('my own line')" and by_id[code[0]["id"]].outputs == []
    assert code[-1]["id"] not in by_id, "a deleted cell stays deleted"
    assert by_id["my-new-cell"].source == "1 + 1" and by_id["my-new-cell"].outputs == []
    assert by_id["my-new-cell"].execution_count is None
    assert saved.metadata == nbformat.read(REPO / path, as_version=4).metadata


@pytest.mark.parametrize("name", ["00_start_here-Copy1.ipynb", "my_notes.ipynb"])
def test_a_copy_under_another_name_is_saved_as_jupyterlab_sends_it(contents, name):
    notebook = as_jupyterlab_saves_it(json.loads((REPO / "course" / "00_start_here.ipynb").read_text()))
    _save(contents, f"course/{name}", notebook)
    saved = nbformat.read(Path(contents.root_dir) / "course" / name, as_version=4)
    assert saved.metadata.language_info.version == LANGUAGE_INFO["version"]
    assert all(cell.outputs for cell in saved.cells if cell.cell_type == "code")


def test_enable_writes_the_server_config_of_the_environment(tmp_path):
    config = save_hook.enable(prefix=tmp_path)
    assert config == tmp_path / "etc" / "jupyter" / "jupyter_server_config.d" / "fine_tuning_lab.json"
    assert json.loads(config.read_text()) == {"ServerApp": {"jpserver_extensions": {"widgets.save_hook": True}}}


def test_this_environment_has_it_enabled():
    """`make setup` runs `python -m widgets.save_hook`: every JupyterLab started from this environment loads it."""
    config = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "fine_tuning_lab.json"
    assert config.is_file(), f"{config} is missing: run `make setup` (or `python -m widgets.save_hook`)"
    assert json.loads(config.read_text())["ServerApp"]["jpserver_extensions"]["widgets.save_hook"] is True
