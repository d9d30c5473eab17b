"""The layers stay apart: the golden models are pure NumPy (no command line, run folders, plots
or progress bars); the HDL package holds components, and the verification support of the units
(references, stimulus, simulator drivers, harness tops) lives in ``snnforge.sim``."""
import ast
from pathlib import Path

import pytest

import snnforge.golden_model
import snnforge.hdl

ROOT = Path(snnforge.golden_model.__file__).parent
HDL_ROOT = Path(snnforge.hdl.__file__).parent

#: imports that belong to the layers above the golden models (``snnforge.training``,
#: ``snnforge.runs``, ``snnforge.commands``, ``snnforge.sweep``, the HDL ...)
FORBIDDEN = ("argparse", "matplotlib", "tqdm", "snnforge.runs", "snnforge.commands",
             "snnforge.cli", "snnforge.training", "snnforge.sweep", "snnforge.sim",
             "snnforge.hdl", "snnforge.api")

#: downloading a dataset is I/O with a progress bar and atomic file writes, not a model;
#: it stays beside the dataset loader it serves (golden_model/data/download.py)
ALLOWED = {("data/download.py", "snnforge.runs")}


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def _forbidden(name: str) -> str | None:
    return next((f for f in FORBIDDEN if name == f or name.startswith(f + ".")), None)


def layer_violations(root: Path) -> list[str]:
    """``file:line imports name`` for every forbidden import below ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for line, name in _imports(ast.parse(path.read_text(), str(path))):
            hit = _forbidden(name)
            if hit and (rel, hit) not in ALLOWED:
                found.append(f"{rel}:{line} imports {hit}")
    return sorted(set(found))


def test_golden_models_import_nothing_from_the_layers_above():
    assert layer_violations(ROOT) == []


@pytest.mark.parametrize("source", [
    "import argparse\n",
    "def f():\n    from snnforge.runs import RunDir\n",
    "from snnforge import runs\n",
    "import matplotlib.pyplot as plt\n",
    "from tqdm.auto import tqdm\n",
    "from snnforge.hdl.ssnn_bp.network import small_network_config\n",
])
def test_the_check_finds_each_kind_of_forbidden_import(tmp_path, source):
    (tmp_path / "model.py").write_text("import numpy as np\n" + source)
    assert len(layer_violations(tmp_path)) == 1


def test_the_training_front_ends_live_outside_the_golden_models():
    assert not list(ROOT.glob("*/cli.py")) and not list(ROOT.glob("*/plots.py"))


#: module-name endings that mark verification support (references of what a unit must output,
#: random stimulus, simulator drivers, test harness tops)
TEST_SUPPORT_ENDINGS = ("reference", "harness", "_sim", "parts_model")

def support_modules(root: Path) -> list[str]:
    """Paths (relative to ``root``) of the modules whose names mark them as test support."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py")
                  if p.stem.endswith(TEST_SUPPORT_ENDINGS))


def test_the_hdl_package_holds_no_test_support():
    assert support_modules(HDL_ROOT) == [], (
        "verification support belongs in snnforge/sim/, not snnforge/hdl/")


@pytest.mark.parametrize("name", ["spikegrad/reference.py", "spikegrad/network_sim.py",
                                  "unit_harness.py", "x/network_parts_model.py",
                                  "x/golden_reference.py"])
def test_the_check_finds_each_kind_of_test_support(tmp_path, name):
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text("")
    (tmp_path / "network.py").write_text("")
    assert support_modules(tmp_path) == [name]


def test_the_hdl_package_imports_no_verification_support():
    hits = [f"{p.relative_to(HDL_ROOT).as_posix()}:{line} imports {name}"
            for p in sorted(HDL_ROOT.rglob("*.py"))
            for line, name in _imports(ast.parse(p.read_text(), str(p)))
            if name.split(".")[0] in ("cocotb", "pytest")
            or name == "snnforge.sim" or name.startswith("snnforge.sim.")]
    assert hits == []


#: folders whose code finds modules by import name or by file path, never by editing ``sys.path``
REPO = Path(__file__).resolve().parents[1]
NO_PATH_EDITS = ("benchmarks", "snnforge", "tests", "cocotb_tests", "golden_model", "hdl",
                 "boards")

#: the one edit kept, and why: cocotb's runner hands its own ``sys.path`` to the simulator as
#: ``PYTHONPATH`` (overriding ``extra_env``), so ``run_cocotb(test_dir=...)`` puts the folder of a
#: testbench there for the duration of the run and takes it off again
PATH_EDITS_ALLOWED = {"snnforge/hwsim.py:_on_sys_path"}

_PATH_METHODS = ("insert", "append", "extend", "remove", "pop", "clear")


def _is_sys_path(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "path"
            and isinstance(node.value, ast.Name) and node.value.id == "sys")


def _is_path_edit(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        return (isinstance(node.func, ast.Attribute) and node.func.attr in _PATH_METHODS
                and _is_sys_path(node.func.value))
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(_is_sys_path(t) or (isinstance(t, ast.Subscript) and _is_sys_path(t.value))
                   for t in targets)
    return False


def _path_edits(node: ast.AST, where: str):
    """(``where``, line) of each edit below ``node``; ``where`` names the innermost function."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _path_edits(child, f"{where.split(':')[0]}:{child.name}")
            continue
        if _is_path_edit(child):
            yield where, child.lineno
        yield from _path_edits(child, where)


def sys_path_edits(root: Path, folders=NO_PATH_EDITS) -> list[str]:
    """``file[:function]:line`` of every ``sys.path`` edit below the ``folders`` of ``root``: a
    call of one of its list methods, an assignment to it or to a slice of it, an augmented
    assignment."""
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            if any(part in ("sim_build", "obj_dir", "__pycache__") for part in path.parts):
                continue
            rel = path.relative_to(root).as_posix()
            for where, line in _path_edits(ast.parse(path.read_text(), str(path)), rel):
                if where not in PATH_EDITS_ALLOWED:
                    found.append(f"{where}:{line}")
    return sorted(set(found))


def test_no_code_edits_sys_path():
    assert sys_path_edits(REPO) == [], (
        "import modules by name, or load a script by its file path with importlib "
        "(conftest.py's load_benchmark), instead of editing sys.path")


@pytest.mark.parametrize("source", [
    "import sys\nsys.path.insert(0, 'x')\n",
    "import sys\ndef f():\n    sys.path.append('x')\n",
    "import sys\nsys.path[:0] = ['x']\n",
    "import sys\nsys.path += ['x']\n",
    "import sys\nsys.path = ['x'] + sys.path\n",
])
def test_the_check_finds_each_kind_of_sys_path_edit(tmp_path, source):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "script.py").write_text(
        '"""Reads sys.path.insert in prose only."""\n' + source)
    assert len(sys_path_edits(tmp_path, folders=("benchmarks",))) == 1


def test_the_rtl_sweep_benchmark_loads_its_launcher_without_sys_path():
    import importlib.util
    import sys

    before = list(sys.path)
    spec = importlib.util.spec_from_file_location(
        "spikegrad_rtl_sweep_check", REPO / "benchmarks" / "spikegrad_rtl_sweep.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sys.path == before
    configs = module.configurations(quick=False)
    assert {"array", "gate", "update", "fanout"} <= {unit for unit, _ in configs}
    assert any("training_config" in params for _, params in configs)  # from the launcher
