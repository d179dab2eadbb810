"""run_script runs a script as ``python my_finetune.py`` would, in a process of its own: these scripts are tiny
and import no torch, so each run takes a fraction of a second. Every test runs both ways a process can start: as
a copy of this one (Linux's default) and as a new Python (macOS, Windows, or after CUDA has started)."""

import os
import signal
import sys
from pathlib import Path

import pytest

import widgets
from widgets.codegen.script_run import ScriptError, _can_copy_kernel, run_script


@pytest.fixture(params=[True, False], ids=["copy-of-the-kernel", "new-python"])
def copy_kernel(request):
    if request.param and not _can_copy_kernel():
        pytest.skip("no copy of this process can be made now: not Linux, CUDA started, or a thread busy in torch")
    return request.param


def test_the_script_runs_in_its_folder_with_this_python_and_this_widgets_and_the_kernel_stays_put(
        copy_kernel, tmp_path, monkeypatch):
    monkeypatch.delenv("PYTHONPATH", raising=False)  # run_script itself must point the script at this package
    before, lines = os.getcwd(), []
    code = "import os, sys\nimport widgets\nprint(os.getcwd())\nprint(sys.executable)\nprint(widgets.__file__)\n"
    run = run_script(code, tmp_path, progress=lines.append, copy_kernel=copy_kernel)
    assert os.getcwd() == before
    assert run.ok and run.script == tmp_path / "my_finetune.py"
    assert lines == [str(tmp_path), sys.executable, widgets.__file__]
    assert run.output == "".join(f"{line}\n" for line in lines)


def test_each_line_reaches_progress_while_the_script_still_runs(copy_kernel, tmp_path):
    code = ("import time\nfrom pathlib import Path\nprint('epoch 1')\nfor _ in range(500):\n"
            "    if Path('seen').exists():\n        break\n    time.sleep(0.01)\n"
            "print('epoch 2' if Path('seen').exists() else 'epoch 1 never reached progress')\n")
    lines = []

    def progress(line):
        lines.append(line)
        (tmp_path / "seen").touch()  # the script waits for this before its second line

    run_script(code, tmp_path, progress=progress, copy_kernel=copy_kernel)
    assert lines == ["epoch 1", "epoch 2"]


def test_the_report_is_the_one_this_run_saved_never_an_older_one(copy_kernel, tmp_path):
    writes = ("import json\nfrom pathlib import Path\n"
              "Path(__file__).with_suffix('.json').write_text(json.dumps("
              "{'best_accuracy': 0.75, 'epochs_run': {'stage one': 3}}))\n")
    run = run_script(writes, tmp_path, progress=None, copy_kernel=copy_kernel)
    assert run.best_accuracy == 0.75 and run.epochs_run == {"stage one": 3}
    assert run.weights == tmp_path / "my_finetune.pt"
    with pytest.raises(FileNotFoundError, match="saved no weights"):
        run.load_model(None)
    again = run_script("print('no report this time')\n", tmp_path, progress=None, copy_kernel=copy_kernel)
    assert again.ok and again.report == {} and again.best_accuracy is None


def test_a_failing_script_says_its_error_and_last_lines_not_a_traceback(copy_kernel, tmp_path):
    before = os.getcwd()
    code = ("print('epoch 1: validation accuracy 40.0%')\nprint('epoch 2: validation accuracy 55.0%')\n"
            "def load():\n    return open('data/missing.png')\n\nload()\n")
    with pytest.raises(ScriptError) as caught:
        run_script(code, tmp_path, progress=None, copy_kernel=copy_kernel)
    message = str(caught.value)
    assert message.splitlines()[:2] == [
        "my_finetune.py stopped with an error (exit code 1) at line 4: return open('data/missing.png')",
        "FileNotFoundError: [Errno 2] No such file or directory: 'data/missing.png'",
    ]
    assert "    epoch 2: validation accuracy 55.0%" in message and "Traceback" not in message
    assert "Traceback" in caught.value.run.output  # everything stays at hand
    assert os.getcwd() == before
    run = run_script(code, tmp_path, progress=None, check=False, copy_kernel=copy_kernel)
    assert not run.ok and run.returncode == 1 and run.error() == message


def test_a_script_already_written_runs_in_its_own_folder(copy_kernel, tmp_path):
    script = tmp_path / "sub" / "train.py"
    script.parent.mkdir()
    script.write_text("import os\nprint(os.getcwd())\n")
    assert run_script(script, progress=None, copy_kernel=copy_kernel).output == f"{script.parent}\n"
    with pytest.raises(TypeError, match="needs a folder"):
        run_script("print(1)", copy_kernel=copy_kernel)


def test_interrupting_the_kernel_stops_the_script(copy_kernel, tmp_path):
    code = "import os, time\nprint(os.getpid())\ntime.sleep(60)\n"
    pids = []

    def progress(line):
        pids.append(int(line))
        raise KeyboardInterrupt  # what the kernel's stop button raises while run_script waits

    with pytest.raises(KeyboardInterrupt):
        run_script(code, tmp_path, progress=progress, copy_kernel=copy_kernel)
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)  # gone, not left running in the background
    assert Path(os.getcwd()) != tmp_path


def test_the_script_is_main_with_its_own_argv_path_and_output_never_the_kernels(copy_kernel, tmp_path, capfd):
    code = ("import sys\nprint(__name__, sys.argv == [__file__], sys.path[0] == str(__import__('pathlib')"
            ".Path(__file__).parent))\nprint('to stderr', file=sys.stderr)\ncan_read = sys.stdin.read()\n"
            "print(repr(can_read))\n")
    run = run_script(code, tmp_path, progress=None, copy_kernel=copy_kernel)
    assert run.output == "__main__ True True\nto stderr\n''\n"
    assert capfd.readouterr() == ("", "")  # nothing reached the kernel's own output


@pytest.mark.parametrize(("ending", "code", "printed"), [
    ("sys.exit()", 0, ""), ("sys.exit(3)", 3, ""), ("sys.exit('no data/ folder')", 1, "no data/ folder\n"),
    ("raise KeyboardInterrupt", -signal.SIGINT, "KeyboardInterrupt\n"),
])
def test_the_exit_code_is_the_one_python_gives(copy_kernel, tmp_path, ending, code, printed):
    run = run_script(f"import sys\n{ending}\n", tmp_path, progress=None, check=False, copy_kernel=copy_kernel)
    assert run.returncode == code and run.output.endswith(printed)


def test_a_syntax_error_reads_as_python_prints_it(copy_kernel, tmp_path):
    run = run_script("print('a'\n", tmp_path, progress=None, check=False, copy_kernel=copy_kernel)
    assert run.returncode == 1
    assert run.output.splitlines()[0] == f'  File "{tmp_path / "my_finetune.py"}", line 1'
    assert run.output.splitlines()[-1].startswith("SyntaxError: ")


def test_a_copy_of_the_kernel_draws_fresh_random_numbers_as_a_new_python_does(tmp_path):
    import torch

    torch.manual_seed(123)  # whatever the kernel did to its own generators
    kernel_state = torch.get_rng_state()
    code = ("import random\nimport numpy\nimport torch\n"
            "print(torch.rand(2).tolist(), numpy.random.rand(2).tolist(), random.random())\n")
    first, second = (run_script(code, tmp_path, progress=None, copy_kernel=True).output for _ in range(2))
    assert all(a != b for a, b in zip(first.split("] "), second.split("] ")))  # torch's, numpy's and Python's
    assert torch.equal(torch.get_rng_state(), kernel_state)  # the kernel's generator is its own still


@pytest.mark.slow  # the new Python imports torch: seconds
def test_a_seeded_script_draws_the_same_numbers_in_a_copy_and_in_a_new_python(tmp_path):
    code = ("import torch\ntorch.manual_seed(0)\nnet = torch.nn.Linear(4, 2)\n"
            "net(torch.randn(8, 4)).sum().backward()\nprint(net.weight.grad.tolist(), torch.rand(2).tolist())\n")
    copy = run_script(code, tmp_path, progress=None, copy_kernel=True)
    new = run_script(code, tmp_path, progress=None, copy_kernel=False)
    assert copy.ok and copy.output == new.output


def test_while_a_background_job_runs_the_script_starts_in_a_new_python(tmp_path):
    """A copy made while another thread is inside torch could inherit one of its locks and wait forever."""
    import threading

    from widgets.ui.runner import BackgroundRunner

    started, release = threading.Event(), threading.Event()

    def job(progress, stop):  # waits inside the runner, as a Train or Reproduce job trains
        started.set()
        release.wait(30)

    code = "import sys\nprint('widgets' in sys.modules)\n"  # a copy has the kernel's modules; a new Python has not
    runner = BackgroundRunner(job)
    try:
        runner.start()
        assert started.wait(10)
        assert run_script(code, tmp_path, progress=None).output == "False\n"
    finally:
        release.set()
        runner.wait(10)
    if _can_copy_kernel():
        assert run_script(code, tmp_path, progress=None).output == "True\n"


def test_the_kernels_exit_handlers_never_run_in_the_scripts_process(copy_kernel, tmp_path):
    import atexit

    flag = tmp_path / "kernel handler ran"

    def kernels_handler():  # a copy of the kernel inherits it
        flag.touch()

    atexit.register(kernels_handler)
    try:
        run = run_script("print('done')\n", tmp_path, progress=None, copy_kernel=copy_kernel)
    finally:
        atexit.unregister(kernels_handler)
    assert run.output == "done\n" and not flag.exists()


def test_when_no_copy_can_be_made_the_script_runs_in_a_new_python(tmp_path, monkeypatch):
    def no_fork():
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_fork)
    run = run_script("import sys\nprint('widgets' in sys.modules)\n", tmp_path, progress=None, copy_kernel=True)
    assert run.ok and run.output == "False\n"
