"""The README's two commands as a newcomer runs them: `make lab` as root or not, what the set-up says it installs,
and a test session that leaves nothing in the temp directory."""

import functools
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIRST_LESSON = "course/00_start_here.ipynb"
make = pytest.mark.skipif(shutil.which("make") is None, reason="`make` is not installed")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fake_commands(folder, **scripts):
    """Shell scripts named after commands (`id`, `apt-get` ...) in `folder`, to put first on the PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in scripts.items():
        path = folder / name.replace("_", "-")
        path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
        path.chmod(0o755)
    return folder


def _make_lab_command(lab_args):
    """`make lab` on this interpreter's environment; -o: never re-run the set-up (`make test` has just run it)."""
    prefix = Path(sys.prefix)
    return ["make", "--no-print-directory", "-C", str(REPO), "-o", str(prefix / ".installed"), "lab",
            f"VENV={prefix}", f"LAB_ARGS={lab_args}"]


# --- make lab --------------------------------------------------------------------------------------------------


@make
@pytest.mark.parametrize("uid", ["0", "1000"])
def test_make_lab_passes_allow_root_only_to_root(tmp_path, uid):
    fake = _fake_commands(tmp_path / "bin", id=f'echo {uid}\n')
    env = dict(os.environ, PATH=f"{fake}{os.pathsep}{os.environ['PATH']}")
    dry_run = subprocess.run(["make", "-n", *_make_lab_command("--port 9999 --no-browser")[1:]],
                             env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    command = dry_run.replace("\\\n", " ")
    assert f'--ServerApp.root_dir="{REPO}"' in command
    assert "--LabApp.default_url=/lab/tree/course/00_start_here.ipynb" in command
    assert command.rstrip().endswith("--port 9999 --no-browser"), "LAB_ARGS come last, so they win"
    assert ("--allow-root" in command) == (uid == "0")


NOBODY = 65534


@pytest.fixture
def unprivileged():
    """setpriv's arguments to run as `nobody`, and an empty home it owns (only a root tester can switch user).

    `nobody` may read any file (CAP_DAC_READ_SEARCH, read-only): a Python built under /root (pyenv), which only
    root may enter, still runs. Its user id is not 0, so JupyterLab's root check and the Makefile see a normal user."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("switching to an unprivileged user needs root and setpriv")
    setpriv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
               "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
    home = Path(tempfile.mkdtemp(prefix="nobody-home-"))
    os.chown(home, NOBODY, NOBODY)
    try:
        yield setpriv, home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _get(url, token, timeout=10):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


@contextmanager
def running_make_lab(home, log_path, prefix=()):
    """`make lab` with an empty HOME, on a free port and a token we choose; the whole process group goes at the end."""
    port, token = _free_port(), secrets.token_hex(16)
    lab_args = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0 " \
               f"--IdentityProvider.token={token}"
    # a newcomer's environment: no Jupyter settings of ours (the browser tests' server sets some), an empty home
    env = {name: value for name, value in os.environ.items() if not name.startswith(("JUPYTER", "XDG_"))}
    env.update(HOME=str(home), TMPDIR=str(home))
    with open(log_path, "w") as log:
        process = subprocess.Popen([*prefix, *_make_lab_command(lab_args)], env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # only a bound on a hang, not a speed goal: we poll until it answers
        while True:
            assert process.poll() is None, f"make lab exited with {process.returncode}:\n{log_path.read_text()}"
            try:
                if _get(f"{base}/api/status", token, timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"JupyterLab never answered:\n{log_path.read_text()}"
            time.sleep(0.3)
        yield base, token
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _check_lab_opens_the_first_lesson(base, token, log):
    # the lesson, through the contents API, at the path Binder and hubs use: served from the repository root
    status, body = _get(f"{base}/api/contents/{FIRST_LESSON}", token)
    model = json.loads(body)
    stored = json.loads((REPO / FIRST_LESSON).read_text())
    assert (status, model["type"], model["path"]) == (200, "notebook", FIRST_LESSON)
    assert len(model["content"]["cells"]) == len(stored["cells"])
    # the address it prints, and the one it opens in a browser, is the lesson, not the Launcher
    assert re.search(r"http://127\.0\.0\.1:\d+/lab/tree/course/00_start_here\.ipynb\?token=", log), log
    request = urllib.request.Request(f"{base}/?token={token}")
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request, timeout=10)
    assert redirect.value.code == 302
    assert redirect.value.headers["Location"].split("?")[0].endswith("/lab/tree/course/00_start_here.ipynb")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.slow
@make
def test_make_lab_opens_the_first_lesson_as_this_user(tmp_path):
    """As root here and in CI (a container): JupyterLab needs --allow-root, and `make lab` passes it."""
    home = tmp_path / "home"
    home.mkdir()
    with running_make_lab(home, tmp_path / "lab.log") as (base, token):
        _check_lab_opens_the_first_lesson(base, token, (tmp_path / "lab.log").read_text())


@pytest.mark.slow
@make
def test_make_lab_opens_the_first_lesson_as_an_unprivileged_user(tmp_path, unprivileged):
    setpriv, home = unprivileged
    log = home / "lab.log"
    with running_make_lab(home, log, prefix=setpriv) as (base, token):
        _check_lab_opens_the_first_lesson(base, token, log.read_text())
    assert "--allow-root" not in log.read_text()


# --- what the set-up says before it installs ---------------------------------------------------------------------


@contextmanager
def package_index(folder):
    """A local package index that answers, like PyTorch's CPU index when it can be reached."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


SIZE = re.compile(r"\b\d+(?:\.\d+)? [MG]B\b")


def assert_readme_states(said):
    """Every size the set-up says is one the README's table of measured figures states."""
    readme = (REPO / "README.md").read_text()
    figures = readme.partition("<!-- setup-figures: start -->")[2].partition("<!-- setup-figures: end -->")[0]
    sizes = SIZE.findall(said)
    assert sizes, said
    for size in sizes:
        assert size in figures, f"the set-up says {size}, which README.md's table of figures does not state"


def _run_install_torch(tmp_path, index_url):
    """scripts/install_torch.sh with a Python that has no torch and records what pip was asked to install."""
    calls = tmp_path / "pip-calls"
    python = _fake_commands(tmp_path / "bin", python=f"""\
        if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$@" >> "{calls}"; exit 0; fi
        if [ "$1" = "-c" ] && [ "$2" = "import torch, torchvision" ]; then exit 1; fi
        exec "{sys.executable}" "$@"
        """) / "python"
    env = dict(os.environ, FTLAB_TORCH_INDEX_URL=index_url)
    result = subprocess.run(["sh", str(REPO / "scripts" / "install_torch.sh"), str(python)], env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout, calls.read_text()


@pytest.mark.skipif(sys.platform != "linux", reason="the CPU-only index matters on Linux only")
def test_install_torch_takes_the_cpu_build_when_its_index_answers_and_says_its_size(tmp_path):
    with package_index(tmp_path) as index:
        said, pip = _run_install_torch(tmp_path, index)
    assert f"CPU-only build from {index}" in said and "MB to download" in said
    assert_readme_states(said)
    assert pip.startswith(f"-m pip install --index-url {index} torch"), pip


@pytest.mark.skipif(sys.platform != "linux", reason="the CPU-only index matters on Linux only")
def test_install_torch_says_the_default_build_is_gigabytes_before_it_starts(tmp_path):
    said, pip = _run_install_torch(tmp_path, f"http://127.0.0.1:{_free_port()}/")  # nothing listens there
    assert "cannot be reached" in said and "CUDA libraries" in said and "GB to download" in said
    assert_readme_states(said)
    assert "--index-url" not in pip and "torch>=2.2,<3" in pip


def test_make_says_the_sizes_the_readme_states():
    announcements = [line for line in (REPO / "Makefile").read_text().splitlines() if "@echo" in line]
    assert len(SIZE.findall("\n".join(announcements))) >= 2, "the set-up's steps say their download size"
    assert_readme_states("\n".join(announcements))
    said = (REPO / "scripts" / "install_browser.sh").read_text().partition("cat <<MSG")[2].partition("MSG")[0]
    assert_readme_states(said)


def _run_install_browser(tmp_path, uid, **env):
    """scripts/install_browser.sh on a PATH without Chromium, as `uid`, with an apt-get that only records its calls."""
    log = tmp_path / "apt-calls"
    chromium = tmp_path / "bin" / "chromium"  # what the fake apt-get "installs"
    fake = _fake_commands(
        tmp_path / "bin",
        id=f"echo {uid}\n",
        apt_get=f"""\
            echo "apt-get $*"
            echo "apt-get $*" >> "{log}"
            case "$*" in *install*) echo '#!/bin/sh' > "{chromium}"; chmod +x "{chromium}";; esac
            """,
    )
    tools = tmp_path / "tools"  # the few system commands the scripts use, without the real Chromium beside them
    tools.mkdir()
    for name in ("cat", "chmod"):
        (tools / name).symlink_to(shutil.which(name))
    result = subprocess.run(["/bin/sh", str(REPO / "scripts" / "install_browser.sh")],
                            env=dict(os.environ, PATH=f"{fake}{os.pathsep}{tools}", **env),
                            capture_output=True, text=True, timeout=60)
    return result, log.read_text() if log.exists() else ""


def test_install_browser_names_what_it_installs_before_apt_get_runs(tmp_path):
    result, apt_calls = _run_install_browser(tmp_path, uid=0)
    assert result.returncode == 0
    announcement, _, _ = result.stdout.partition("apt-get update -q")
    assert "chromium fonts-liberation fonts-noto-color-emoji" in announcement
    assert "FTLAB_NO_SYSTEM_PACKAGES=1" in announcement and "MB" in announcement
    assert apt_calls.splitlines() == [
        "apt-get update -q",
        "apt-get install -y -q --no-install-recommends chromium fonts-liberation fonts-noto-color-emoji",
    ]
    assert "Chromium installed" in result.stdout


def test_install_browser_installs_nothing_when_told_not_to(tmp_path):
    result, apt_calls = _run_install_browser(tmp_path, uid=0, FTLAB_NO_SYSTEM_PACKAGES="1")
    assert result.returncode == 0 and apt_calls == ""
    assert "FTLAB_NO_SYSTEM_PACKAGES=1" in result.stderr and "will be skipped" in result.stderr


def test_install_browser_never_asks_for_root(tmp_path):
    result, apt_calls = _run_install_browser(tmp_path, uid=1000)
    assert result.returncode == 0 and apt_calls == ""
    assert "sudo apt-get install" in result.stderr, "it says how to install Chromium instead"


@pytest.mark.slow
def test_browser_tests_skip_with_the_opt_out_as_their_reason(tmp_path):
    (tmp_path / "test_probe.py").write_text("def test_needs_chromium(chromium_path):\n    pass\n")
    shutil.copy(REPO / "tests" / "browser" / "conftest.py", tmp_path / "conftest.py")
    shutil.copy(REPO / "tests" / "browser" / "labpage.py", tmp_path / "labpage.py")
    env = dict(os.environ, FTLAB_NO_SYSTEM_PACKAGES="1", FTLAB_CHROMIUM=str(tmp_path / "no-chromium"))
    env.pop("CI", None)
    said = _inner_pytest(tmp_path, env, "-rs")
    assert said.returncode == 0 and "1 skipped" in said.stdout
    assert "FTLAB_NO_SYSTEM_PACKAGES=1 told `make test` not to install it" in said.stdout
    failed = _inner_pytest(tmp_path, dict(env, CI="true"))
    assert failed.returncode == 1 and "CI=true" in failed.stdout


# --- nothing left in the temp directory ---------------------------------------------------------------------------


def _inner_pytest(folder, env, *args):
    """A pytest session of its own in `folder` (its own rootdir and ini file, its own conftest.py only)."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args, str(folder)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)


def _session_with(tmp_path, test_source):
    """Run `test_source` in a session with the root conftest.py; its TMPDIR is a folder that starts empty."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(REPO / "conftest.py", project / "conftest.py")
    (project / "test_probe.py").write_text(textwrap.dedent(test_source))
    temp = tmp_path / "temp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp))
    return _inner_pytest(project, env), temp


@pytest.mark.slow
def test_a_clean_session_leaves_the_temp_directory_as_it_was(tmp_path):
    result, temp = _session_with(tmp_path, """\
        import os, subprocess, sys, tempfile
        from pathlib import Path

        def test_writes_where_it_may(tmp_path):
            (tmp_path / "scratch.txt").write_text("pytest's own tmp_path")
            Path(os.environ["FTLAB_PROGRESS"]).parent.mkdir(parents=True, exist_ok=True)
            Path(os.environ["FTLAB_PROGRESS"]).write_text("{}")
            with tempfile.TemporaryDirectory(prefix="my-finetune-") as scratch:  # as lesson 07 does
                Path(scratch, "data").mkdir()

        def test_processes_started_from_the_session_share_its_temp_folder():
            child = subprocess.run([sys.executable, "-c", "import tempfile; print(tempfile.gettempdir())"],
                                   capture_output=True, text=True, check=True).stdout.strip()
            assert child == tempfile.gettempdir() == os.environ["TMPDIR"]
            assert os.environ["FTLAB_PROGRESS"].startswith(child)
        """)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "left behind" not in result.stdout
    assert list(temp.iterdir()) == []


@pytest.mark.slow
def test_what_a_session_leaves_behind_fails_it_by_name(tmp_path):
    result, temp = _session_with(tmp_path, """\
        import tempfile

        def test_forgets_its_scratch_folder():
            tempfile.mkdtemp(prefix="my-finetune-")  # what lesson 07 used to do
        """)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "left behind in the temporary directory" in result.stdout
    assert re.search(r"^  my-finetune-\w+$", result.stdout, re.M), result.stdout
    assert list(temp.iterdir()) == [], "the leftovers are named, then removed"
