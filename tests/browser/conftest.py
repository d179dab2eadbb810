"""Fixtures for the browser tests: one JupyterLab server and one Chromium per session, one page per test.

The tests drive Debian's Chromium through the Python ``playwright`` package (``executable_path``), so no
browser is ever downloaded. Without Chromium they skip with the reason; under ``CI=true`` they fail instead,
so CI never passes by skipping them. ``scripts/install_browser.sh`` installs Chromium.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from labpage import CHROMIUM_ARGS, LabPage, find_chromium, missing

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

# screenshots/ also holds the throw-away notebooks tests write: they are not lessons for nbval to run
collect_ignore_glob = ["screenshots/*"]


@pytest.fixture(scope="session")
def chromium_path():
    path = find_chromium()
    if path is None and os.environ.get("FTLAB_NO_SYSTEM_PACKAGES") == "1":
        missing("Chromium is not installed, and FTLAB_NO_SYSTEM_PACKAGES=1 told `make test` not to install it")
    if path is None:
        missing("Chromium is not installed: run `sh scripts/install_browser.sh` or set FTLAB_CHROMIUM")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the `playwright` Python package is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def _lab_dirs(root):
    """Config, settings and workspaces of a throw-away JupyterLab: nothing of the tester's own is read or written."""
    config = root / "config"
    _write_json(
        config / "jupyter_server_config.json",
        {
            "LabApp": {
                "news_url": None,  # no news feed
                "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
                "expose_app_in_browser": True,  # window.jupyterapp: run JupyterLab commands from the test
                "extension_manager": "readonly",  # never asks PyPI for extensions
            }
        },
    )
    settings = root / "settings"
    _write_json(
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    # Render every cell, so the whole notebook's outputs are in the page, not only what is on screen.
    _write_json(
        settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
        {"windowingMode": "none"},
    )
    # Never write the lessons back: running them in the browser fills them with outputs, and they are stored clean.
    _write_json(
        settings / "@jupyterlab" / "docmanager-extension" / "plugin.jupyterlab-settings",
        {"autosave": False},
    )
    workspaces = root / "workspaces"
    workspaces.mkdir()
    return config, settings, workspaces


def _wait_for_server(url, process, log_path, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "".join(log_path.read_text().splitlines(keepends=True)[-20:])
            raise RuntimeError(f"JupyterLab exited with code {process.returncode} before answering:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"JupyterLab did not answer {url} within {timeout} s")


@pytest.fixture(scope="session")
def jupyter_server(chromium_path):
    """JupyterLab on 127.0.0.1 (free port, random token) started from the repository root."""
    root = Path(tempfile.mkdtemp(prefix="ftlab-browser-"))
    config, settings, workspaces = _lab_dirs(root)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(workspaces),
        JUPYTER_RUNTIME_DIR=str(root / "runtime"),
        FTLAB_PROGRESS=str(root / "progress" / "progress.json"),
        KERAS_BACKEND="torch",
    )
    log = open(root / "jupyterlab.log", "w")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={REPO}",
            # checkpoints go to the temp dir, not into .ipynb_checkpoints/ folders next to the lessons
            f"--FileCheckpoints.checkpoint_dir={root / 'checkpoints'}",
            # CI containers run as root; JupyterLab refuses that unless told
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(f"{base}/api/status?token={token}", process, root / "jupyterlab.log")
        yield {"url": base, "token": token, "progress": Path(env["FTLAB_PROGRESS"]), "log": root / "jupyterlab.log"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def lab(browser, jupyter_server, request):
    """A fresh browser context (no state shared between tests) on the JupyterLab server."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    SCREENSHOTS.mkdir(exist_ok=True)
    lab = LabPage(page, jupyter_server["url"], jupyter_server["token"], SCREENSHOTS)
    try:
        yield lab
    finally:
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            lab.screenshot(f"FAILED-{request.node.name}")
        lab.shutdown_kernels()
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # keep each phase's report on the test item, so the `lab` fixture can screenshot a failing page
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
