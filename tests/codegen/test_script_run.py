"""run_script runs a script as ``python my_finetune.py`` would, in a process of its own: these scripts are tiny
and import no torch, so each run takes a fraction of a second."""

import os
import sys
from pathlib import Path

import pytest

import widgets
from widgets.codegen.script_run import ScriptError, run_script


def test_the_script_runs_in_its_folder_with_this_python_and_this_widgets_and_the_kernel_stays_put(tmp_path,
                                                                                                  monkeypatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)  # run_script itself must point the script at this package
    before, lines = os.getcwd(), []
    code = "import os, sys\nimport widgets\nprint(os.getcwd())\nprint(sys.executable)\nprint(widgets.__file__)\n"
    run = run_script(code, tmp_path, progress=lines.append)
    assert os.getcwd() == before
    assert run.ok and run.script == tmp_path / "my_finetune.py"
    assert lines == [str(tmp_path), sys.executable, widgets.__file__]
    assert run.output == "".join(f"{line}\n" for line in lines)


def test_each_line_reaches_progress_while_the_script_still_runs(tmp_path):
    code = ("import time\nfrom pathlib import Path\nprint('epoch 1')\nfor _ in range(500):\n"
            "    if Path('seen').exists():\n        break\n    time.sleep(0.01)\n"
            "print('epoch 2' if Path('seen').exists() else 'epoch 1 never reached progress')\n")
    lines = []

    def progress(line):
        lines.append(line)
        (tmp_path / "seen").touch()  # the script waits for this before its second line

    run_script(code, tmp_path, progress=progress)
    assert lines == ["epoch 1", "epoch 2"]


def test_the_report_is_the_one_this_run_saved_never_an_older_one(tmp_path):
    writes = ("import json\nfrom pathlib import Path\n"
              "Path(__file__).with_suffix('.json').write_text(json.dumps("
              "{'best_accuracy': 0.75, 'epochs_run': {'stage one': 3}}))\n")
    run = run_script(writes, tmp_path, progress=None)
    assert run.best_accuracy == 0.75 and run.epochs_run == {"stage one": 3}
    assert run.weights == tmp_path / "my_finetune.pt"
    with pytest.raises(FileNotFoundError, match="saved no weights"):
        run.load_model(None)
    again = run_script("print('no report this time')\n", tmp_path, progress=None)
    assert again.ok and again.report == {} and again.best_accuracy is None


def test_a_failing_script_says_its_error_and_last_lines_not_a_traceback(tmp_path):
    before = os.getcwd()
    code = ("print('epoch 1: validation accuracy 40.0%')\nprint('epoch 2: validation accuracy 55.0%')\n"
            "def load():\n    return open('data/missing.png')\n\nload()\n")
    with pytest.raises(ScriptError) as caught:
        run_script(code, tmp_path, progress=None)
    message = str(caught.value)
    assert message.splitlines()[:2] == [
        "my_finetune.py stopped with an error (exit code 1) at line 4: return open('data/missing.png')",
        "FileNotFoundError: [Errno 2] No such file or directory: 'data/missing.png'",
    ]
    assert "    epoch 2: validation accuracy 55.0%" in message and "Traceback" not in message
    assert "Traceback" in caught.value.run.output  # everything stays at hand
    assert os.getcwd() == before
    run = run_script(code, tmp_path, progress=None, check=False)
    assert not run.ok and run.returncode == 1 and run.error() == message


def test_a_script_already_written_runs_in_its_own_folder(tmp_path):
    script = tmp_path / "sub" / "train.py"
    script.parent.mkdir()
    script.write_text("import os\nprint(os.getcwd())\n")
    assert run_script(script, progress=None).output == f"{script.parent}\n"
    with pytest.raises(TypeError, match="needs a folder"):
        run_script("print(1)")


def test_interrupting_the_kernel_stops_the_script(tmp_path):
    code = "import os, time\nprint(os.getpid())\ntime.sleep(60)\n"
    pids = []

    def progress(line):
        pids.append(int(line))
        raise KeyboardInterrupt  # what the kernel's stop button raises while run_script waits

    with pytest.raises(KeyboardInterrupt):
        run_script(code, tmp_path, progress=progress)
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)  # gone, not left running in the background
    assert Path(os.getcwd()) != tmp_path
