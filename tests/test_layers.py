"""The golden models are pure NumPy: no command line, run folders, plots or progress bars."""
import ast
from pathlib import Path

import pytest

import snnforge.golden_model

ROOT = Path(snnforge.golden_model.__file__).parent

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
