"""The package works outside a checkout: `pip install .` ships the lesson content as package data, so the learning
modes load from any folder (issue: the content used to be found at ../course/content beside the package)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CALL = """
import pathlib, sys, widgets
assert 'site' in widgets.__file__ or 'installed' in widgets.__file__, widgets.__file__
view = widgets.learning_modes('02_freezing_layers')
from widgets.modes.content import content_dir, load_lesson_content
print(pathlib.Path(widgets.__file__).parent in content_dir().parents, len(load_lesson_content('07_capstone')['quiz']))
"""


@pytest.mark.slow
def test_an_installed_copy_loads_the_learning_modes_from_any_folder(tmp_path):
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ behind in it
    shutil.copytree(REPO / "widgets", source / "widgets", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    installed = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(installed), str(source)], check=True, cwd=tmp_path)
    assert (installed / "widgets" / "modes" / "content" / "lessons" / "02_freezing_layers.yaml").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(installed), "HOME": str(tmp_path), "FTLAB_PROGRESS": str(tmp_path / "p.json"),
           "PATH": "/usr/bin:/bin", "KERAS_BACKEND": "torch"}
    out = subprocess.run([sys.executable, "-c", CALL], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    inside, quiz = out.stdout.split()
    assert inside == "True" and int(quiz) > 0
