"""The package's shape, checked: one-way imports, no borrowed private names, one place that freezes, thin lessons.

These read the source (``ast``) rather than run it, so they hold for every code path, function-level imports
included.
"""

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "widgets"
MODULES = {
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): path
    for path in sorted(PACKAGE.rglob("*.py"))
}
MAX_LINES = 350


def _tree(name):
    return ast.parse(MODULES[name].read_text(encoding="utf-8"), filename=str(MODULES[name]))


def _package_of(name):
    return name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]


def _imports(name):
    """``{imported widgets module: [(line, bound alias or None, imported names)]}`` for every import in ``name``."""
    found = {}
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "widgets":
                    found.setdefault(alias.name, []).append((node.lineno, alias.asname, []))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(name).split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "widgets":
                continue
            for alias in node.names:
                child = f"{target}.{alias.name}"
                if child in MODULES:  # from . import checks: the module itself
                    found.setdefault(child, []).append((node.lineno, alias.asname or alias.name, []))
                else:
                    found.setdefault(target, []).append((node.lineno, None, [alias.name]))
    return found


def _graph():
    return {name: {t for t in _imports(name) if t in MODULES and t != name} for name in MODULES}


def test_there_is_no_import_cycle_among_the_packages_modules():
    graph = _graph()
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


#: top-level modules every room may import: where files live and how they are written
SHARED = {"files"}
#: room -> the rooms (and shared top-level modules) it may import; nothing else of the package
ROOMS = {
    "engine": set(),
    "kit": {"engine"},
    "labs": {"engine", "kit"},
    "codegen": {"engine"},
    "figures": {"engine", "kit", "labs"},
    "ui": {"engine", "kit", "labs", "codegen", "figures", "accessible"},
    "modes": {"accessible"},
}


def _room(name):
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_lives_in_a_room_or_is_one_of_the_few_top_level_tools():
    top_level = {_room(n) for n in MODULES if MODULES[n].parent == PACKAGE and n != "widgets"}
    assert set(ROOMS) <= {_room(n) for n in MODULES}
    assert top_level <= {"accessible", "checking", "files", "pretrain", "report", "save_hook", "sitting"}, top_level


def _room_violations(graph, room):
    return [f"{name} imports {target}" for name, targets in sorted(graph.items()) if _room(name) == room
            for target in sorted(targets)
            if target != "widgets" and _room(target) != room and _room(target) not in ROOMS[room] | SHARED]


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_each_room_imports_only_the_rooms_below_it(room):
    assert _room_violations(_graph(), room) == []


def test_the_room_rule_finds_an_import_that_goes_up():
    """Control: the same rule on the real graph plus one upward edge (engine -> kit) reports exactly that edge."""
    graph = _graph()
    graph["widgets.engine.checks"] = graph["widgets.engine.checks"] | {"widgets.kit.data"}
    assert _room_violations(graph, "engine") == ["widgets.engine.checks imports widgets.kit.data"]


def _chdir_lines(tree):
    return {node.lineno for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == "chdir"}


def test_no_module_of_the_package_changes_the_working_directory():
    """The kernel's working directory is the learner's. One exception: the copy of the kernel that run_script starts
    for a script moves to the script's folder, as ``cd folder && python my_finetune.py`` would; it is a process of
    its own, so the kernel stays where it was (tests/codegen/test_script_run.py checks it)."""
    copy = "widgets.codegen.script_run"
    allowed = {(copy, line) for node in ast.walk(_tree(copy))
               if isinstance(node, ast.FunctionDef) and node.name == "_run_as_main" for line in _chdir_lines(node)}
    offenders = [f"{name}:{line}" for name in MODULES for line in sorted(_chdir_lines(_tree(name)))
                 if (name, line) not in allowed]
    assert offenders == []


def _private_names_defined(name):
    """Functions, classes, methods and ``self._x`` attributes whose names start with one underscore."""
    names = set()
    for node in ast.walk(_tree(name)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_module_uses_another_modules_private_names():
    defined = {name: _private_names_defined(name) for name in MODULES}
    problems = []
    for name in MODULES:
        others = set().union(*(names for other, names in defined.items() if other != name)) - defined[name]
        for target, uses in _imports(name).items():
            for line, _, imported in uses:
                problems += [f"{name}:{line} imports {target}.{n}" for n in imported
                             if n.startswith("_") and not n.startswith("__")]
        for node in ast.walk(_tree(name)):
            if (isinstance(node, ast.Attribute) and node.attr in others
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                problems.append(f"{name}:{node.lineno} uses .{node.attr}")
    assert problems == []


def _writes_requires_grad(name):
    lines = []
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "requires_grad_":
            lines.append(node.lineno)
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AugAssign) else [])
        lines += [t.lineno for t in targets if isinstance(t, ast.Attribute) and t.attr == "requires_grad"]
    return lines


def test_only_the_freezing_module_writes_requires_grad():
    writers = {name for name in MODULES if _writes_requires_grad(name)}
    scripts = {"widgets.codegen.keras_side", "widgets.codegen.recipe_template"}  # code the learner gets: plain PyTorch
    # the freezing API and the snapshot it restores from (state.py puts back the flags it saw, nothing else)
    assert writers - scripts == {"widgets.engine.freezing", "widgets.engine.state"}
    state_lines = _writes_requires_grad("widgets.engine.state")
    assert len(state_lines) == 1, f"state.py writes requires_grad at lines {state_lines}: only its restore may"


def test_one_freezing_api():
    defining = {name for name in MODULES for node in ast.walk(_tree(name))
                if isinstance(node, ast.FunctionDef) and node.name in ("freeze", "unfreeze", "freeze_batchnorm")}
    assert defining == {"widgets.engine.freezing"}


@pytest.mark.parametrize("name", sorted(n for n in MODULES if MODULES[n].name != "__init__.py"))
def test_no_module_is_longer_than_a_reader_can_hold(name):
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by idea"


def _notebook_code(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return [("".join(c["source"]), i) for i, c in enumerate(notebook["cells"]) if c["cell_type"] == "code"]


@pytest.mark.parametrize("lesson", sorted((ROOT / "course").glob("*.ipynb")), ids=lambda p: p.stem)
def test_lessons_import_only_widgets(lesson):
    for code, index in _notebook_code(lesson):
        tree = ast.parse("\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("widgets"):
                assert node.module == "widgets", f"cell {index}: from {node.module} import ..."
            if isinstance(node, ast.Import):
                assert all(a.name == "widgets" or not a.name.startswith("widgets") for a in node.names), f"cell {index}"
        for room in ("engine", "kit", "ui", "modes", "figures"):
            assert f"widgets.{room}" not in code, f"cell {index}: widgets.{room}"


def _unbounded_caches(tree):
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "lru_cache":
            sizes = [k.value for k in node.keywords if k.arg == "maxsize"] + node.args[:1]
            if not sizes or (isinstance(sizes[0], ast.Constant) and sizes[0].value is None):
                found.append(node.lineno)
        if isinstance(node, ast.Attribute) and node.attr == "cache" and getattr(node.value, "id", "") == "functools":
            found.append(node.lineno)
    return found


def test_every_cache_is_bounded():
    """A cache that holds runs or tensors must not grow without end in a long session: each names its size."""
    assert {name: lines for name in MODULES if (lines := _unbounded_caches(_tree(name)))} == {}


def test_the_cache_rule_sees_an_unbounded_cache():
    """Control: the rule reports ``lru_cache(maxsize=None)``, a bare ``lru_cache`` and ``functools.cache``."""
    source = ("import functools\n@functools.lru_cache(maxsize=None)\ndef f(): pass\n@functools.cache\ndef g(): pass\n"
              "@functools.lru_cache()\ndef h(): pass\n@functools.lru_cache(maxsize=8)\ndef k(): pass\n")
    assert _unbounded_caches(ast.parse(source)) == [2, 4, 6]


def test_the_readme_layout_names_every_room_of_the_package_and_of_the_tests():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):readme.index("## Contributing")]
    rooms = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    test_rooms = sorted(p.name for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name not in ("support",))
    assert [r for r in rooms if f"`{r}/`" not in layout] == []
    assert [r for r in test_rooms if f"`{r}/`" not in layout] == []
    named = set(re.findall(r"`(\w+)/`", layout))
    assert named <= set(rooms) | set(test_rooms) | {"course", "widgets", "tests", "benchmarks", "content", "progress",
                                                    "classroom", "lessons", "browser", "hub"}, named
