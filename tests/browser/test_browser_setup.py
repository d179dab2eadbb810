"""The browser suite's own set-up, checked without a browser: finding Chromium, skipping or failing without it."""

import os
import subprocess
from pathlib import Path

import labpage
import pytest

REPO = Path(__file__).resolve().parents[2]


def test_ftlab_chromium_names_the_browser(monkeypatch, tmp_path):
    fake = tmp_path / "my-chromium"
    fake.write_text("#!/bin/sh\n")
    monkeypatch.setenv("FTLAB_CHROMIUM", str(fake))
    assert labpage.find_chromium() == str(fake)
    monkeypatch.setenv("FTLAB_CHROMIUM", str(tmp_path / "missing"))
    assert labpage.find_chromium() is None


def test_without_chromium_the_tests_skip_on_a_laptop_and_fail_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        labpage.missing("Chromium is not installed")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        labpage.missing("Chromium is not installed")


def test_install_script_finds_an_installed_chromium(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    chromium = bin_dir / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run(["sh", str(REPO / "scripts" / "install_browser.sh")], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert f"Chromium found: {chromium}" in result.stdout
