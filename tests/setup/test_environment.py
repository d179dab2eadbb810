"""environment.yml (conda and Binder) must ask for the same packages as pyproject.toml, from conda-forge (but
for the few in PIP_ONLY, from PyPI under pip:), and the README's conda command for the test tools must install
pyproject's test extra."""

import os
import re
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[2]

# pip name -> conda-forge name, where they differ
CONDA_NAMES = {"torch": "pytorch-cpu"}
# runtime dependencies environment.yml takes from PyPI, under pip: (pure Python, published there by their authors)
PIP_ONLY = {"fsrs"}

# a conda spec: name, then an optional version constraint such as ">=2.2,<3" or "=3.11"
CONDA_SPEC = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<version>[<>=!~].*)?$")


def _pyproject_dependencies():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    return [Requirement(line) for line in pyproject["project"]["dependencies"]]


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((REPO / "environment.yml").read_text())


@pytest.fixture(scope="module")
def conda_packages(environment):
    """{conda name: version constraint ('' if none)} for the plain (non-pip) dependencies."""
    packages = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, str):
            match = CONDA_SPEC.match(entry.strip())
            assert match, f"cannot read the conda spec {entry!r}"
            packages[match["name"].lower()] = (match["version"] or "").replace(" ", "")
    return packages


def test_channels_are_conda_forge_only(environment):
    assert environment["channels"][0] == "conda-forge"
    assert set(environment["channels"]) <= {"conda-forge", "nodefaults"}


def test_python_is_pinned_to_a_supported_version(conda_packages):
    # Binder reads the Python version from an exact pin; it must satisfy pyproject's requires-python.
    pin = conda_packages["python"]
    assert re.fullmatch(r"=\d+\.\d+", pin), pin
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(pin.lstrip("=")), (pin, requires)


def test_pytorch_is_the_cpu_build(conda_packages):
    assert "pytorch-cpu" in conda_packages
    assert "pytorch" not in conda_packages and "pytorch-gpu" not in conda_packages


@pytest.fixture(scope="module")
def pip_packages(environment):
    """{pip name: version constraint} for the dependencies under ``pip:`` (those conda-forge does not build)."""
    packages = {}
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            for line in entry.get("pip", []):
                requirement = Requirement(line)
                packages[requirement.name.lower()] = requirement.specifier
    return packages


@pytest.mark.parametrize("requirement", _pyproject_dependencies(), ids=lambda r: r.name)
def test_every_runtime_dependency_is_there_with_the_same_versions(requirement, conda_packages, pip_packages):
    if requirement.name.lower() in PIP_ONLY:
        assert pip_packages.get(requirement.name.lower()) == requirement.specifier, (
            f"{requirement.name}: environment.yml's pip section must ask for {str(requirement.specifier)!r}")
        return
    name = CONDA_NAMES.get(requirement.name.lower(), requirement.name.lower())
    assert name in conda_packages, f"{requirement.name} (conda: {name}) is missing from environment.yml"
    assert SpecifierSet(conda_packages[name]) == requirement.specifier, (
        f"{name}: environment.yml says {conda_packages[name]!r}, pyproject.toml says {str(requirement.specifier)!r}"
    )


def test_nothing_beyond_pyproject(conda_packages, pip_packages):
    expected = {CONDA_NAMES.get(r.name.lower(), r.name.lower()) for r in _pyproject_dependencies()}
    assert set(conda_packages) - expected == {"python", "pip"}
    assert set(pip_packages) == PIP_ONLY  # everything else comes from conda-forge


def test_no_local_pip_requirement(environment):
    # A local path such as `-e .` makes repo2docker copy the repository before it builds the environment,
    # so every change to a lesson would rebuild PyTorch; postBuild installs the package instead.
    pip_sections = [entry["pip"] for entry in environment["dependencies"] if isinstance(entry, dict)]
    for section in pip_sections:
        for line in section:
            assert not line.startswith(("-e", ".", "/")), line


def test_post_build_installs_the_course_package():
    post_build = REPO / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker runs postBuild only when it is executable"
    commands = [line.strip() for line in post_build.read_text().splitlines() if not line.startswith("#")]
    assert "python -m pip install --no-deps -e ." in commands


def test_binder_badge_opens_the_first_lesson_in_jupyterlab():
    readme = (REPO / "README.md").read_text()
    links = re.findall(r"https://mybinder\.org/v2/gh/[^\s)\]]+", readme)
    assert links, "the README has no Binder link"
    for link in links:
        assert link.endswith("/HEAD?urlpath=lab/tree/course/00_start_here.ipynb"), link


# --- the conda route runs the tests too: the README's one extra command installs pyproject's test tools ---

# pip name -> conda-forge name of the test tools, where they differ
CONDA_TEST_NAMES = {"playwright": "playwright-python"}


def _pyproject_test_tools():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    return [Requirement(line) for line in pyproject["project"]["optional-dependencies"]["test"]]


@pytest.fixture(scope="module")
def readme_conda_test_tools():
    """{conda name: version constraint} from the README's `conda install -c conda-forge ...` line."""
    lines = [line for line in (REPO / "README.md").read_text().splitlines()
             if line.startswith("conda install -c conda-forge ")]
    assert len(lines) == 1, lines
    specs = [Requirement(spec) for spec in re.findall(r'"([^"]+)"', lines[0])]
    return {spec.name.lower(): spec.specifier for spec in specs}


@pytest.mark.parametrize("requirement", _pyproject_test_tools(), ids=lambda r: r.name)
def test_the_readme_installs_every_test_tool_with_conda(requirement, readme_conda_test_tools):
    name = CONDA_TEST_NAMES.get(requirement.name.lower(), requirement.name.lower())
    assert name in readme_conda_test_tools, f"the README's conda command does not install {requirement.name}"
    assert readme_conda_test_tools[name] == requirement.specifier, (name, str(requirement.specifier))


def test_the_readme_installs_no_other_test_tool(readme_conda_test_tools):
    expected = {CONDA_TEST_NAMES.get(r.name.lower(), r.name.lower()) for r in _pyproject_test_tools()}
    assert set(readme_conda_test_tools) == expected
