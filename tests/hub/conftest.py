"""A real JupyterHub for the hub tests: the PyPI package, configurable-http-proxy from npm (``npm ci``), a dummy
authenticator and one local process per learner, each with its own home directory, all on 127.0.0.1.

Without JupyterHub, nbgitpuller, git, Node or the proxy, the tests skip and say what is missing; under
``CI=true`` they fail instead, so CI never passes by skipping them. ``make test`` installs all of it.
"""

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import requests
from hubclient import BRANCH, TARGET, class_report, git, wait_until

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def missing(reason):
    """Skip on a laptop; fail under CI, where a skipped hub test would pass without testing anything."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the hub tests must run in CI)", pytrace=False)
    pytest.skip(reason)


def proxy_command():
    local = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def tools():
    for module, package in (("jupyterhub", "jupyterhub"), ("nbgitpuller", "nbgitpuller")):
        if importlib.util.find_spec(module) is None:
            missing(f"the `{package}` Python package is not installed: pip install -e '.[test]'")
    if shutil.which("git") is None:
        missing("git is not installed (nbgitpuller pulls the course with it)")
    if shutil.which("node") is None:
        missing("Node.js is not installed (JupyterHub's proxy, configurable-http-proxy, runs on it)")
    if proxy_command() is None:
        missing("configurable-http-proxy is not installed: run `npm ci` in the repository root (make test does)")


@pytest.fixture(scope="module")
def course_repo(tools, tmp_path_factory):
    """A local bare clone of this repository's HEAD, on branch ``main``: the class's upstream."""
    bare = tmp_path_factory.mktemp("upstream") / "fine-tuning-lab.git"
    head = git("rev-parse", "HEAD", cwd=REPO)
    git("clone", "--quiet", "--bare", str(REPO), str(bare))
    git("update-ref", f"refs/heads/{BRANCH}", head, cwd=bare)
    git("symbolic-ref", "HEAD", f"refs/heads/{BRANCH}", cwd=bare)
    return bare


@pytest.fixture(scope="module")
def hub(tools, tmp_path_factory):
    """A running hub; yields a dict with its ``url``, ``admin`` token (the instructor), ``dir`` and ``process``."""
    import torch

    folder = tmp_path_factory.mktemp("hub")
    port = _free_port()
    admin = secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "FTLAB_PROGRESS"}  # learners use their own homes
    env.update({
        "FTLAB_HUB_DIR": str(folder),
        "FTLAB_HUB_PORT": str(port),
        "FTLAB_HUB_API_PORT": str(_free_port()),
        "FTLAB_HUB_PROXY_API_PORT": str(_free_port()),
        "FTLAB_HUB_PROXY": proxy_command(),
        "FTLAB_HUB_PASSWORD": "class-password",
        "FTLAB_HUB_ADMIN_TOKEN": admin,
        "FTLAB_HUB_TARGET": TARGET,
        "FTLAB_HUB_TORCH_HOME": os.path.dirname(torch.hub.get_dir()),
    })
    log_path = folder / "jupyterhub.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(HERE / "jupyterhub_config.py")],
                                   cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"

    def log_tail():
        return "".join(log_path.read_text().splitlines(keepends=True)[-40:])

    def answering():
        if process.poll() is not None:
            raise AssertionError(f"JupyterHub exited with code {process.returncode}:\n{log_tail()}")
        try:
            return requests.get(f"{url}/hub/api/", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(answering, 180, "JupyterHub to answer")
        yield {"url": url, "admin": admin, "dir": folder, "process": process, "password": "class-password",
               "log_tail": log_tail}
    finally:
        _stop(process)


def _stop(process):
    """Stop the hub (it stops the learners' servers and its proxy), then anything of it still running."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    gone, alive = psutil.wait_procs(children, timeout=30)
    for child in alive:
        child.kill()


def pytest_terminal_summary(terminalreporter):
    if not class_report:
        return
    terminalreporter.section("JupyterHub class (tests/hub)")
    for line in class_report:
        terminalreporter.write_line(line)
