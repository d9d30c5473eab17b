"""A wheel built from the checkout, installed without ``-e`` into a fresh virtual environment,
runs the demo (all three steps, the cocotb chip step included) and the README's API script from
a folder outside the checkout, writing nothing into the installed package.

The fresh environment gets the wheel alone (``--no-deps``); the dependencies come from the
project environment through a ``.pth`` line (its ``site-packages`` is appended to ``sys.path``,
its own ``.pth`` files, among them the editable install's, are not run), so ``snnforge`` itself
is imported from the wheel: asserted below.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: what setup.py packages: the package folder, the mapped folders and the build metadata
SOURCES = ("snnforge", "golden_model", "hdl", "boards", "setup.py", "pyproject.toml", "README.md",
           "LICENSE")


def readme_script() -> str:
    """The Python script of the README's "Python API" section."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def _run(args, *, cwd, env=None, timeout=900):
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """(python, snnforge command, environment, site-packages) of a fresh venv with the wheel."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "-q", "-w", work / "dist", src], cwd=work)
    (wheel,) = (work / "dist").glob("snnforge-*.whl")
    env_dir = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", env_dir], cwd=work)
    python = env_dir / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "-q", wheel], cwd=work)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=work).strip())
    (site / "project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return python, env_dir / "bin" / "snnforge", env, site


def _package_files(site: Path) -> set[str]:
    return {str(p.relative_to(site)) for p in (site / "snnforge").rglob("*")
            if "__pycache__" not in p.parts}


def test_the_wheel_is_imported_not_the_checkout(venv, tmp_path):
    python, _, env, site = venv
    out = _run([python, "-c", "import snnforge, snnforge.golden_model, snnforge.sim.tb_network;"
                "print(snnforge.__file__); print(snnforge.golden_model.__file__);"
                "print(snnforge.sim.tb_network.__file__)"], cwd=tmp_path, env=env)
    for line in out.split():
        assert Path(line).is_relative_to(site), out
    assert (site / "snnforge" / "golden_model" / "data" / "sample").is_dir()
    sim = ROOT / "snnforge" / "sim"  # every source of the simulation machinery (C++ included)
    shipped = {p.name for p in (site / "snnforge" / "sim").iterdir() if p.is_file()}
    assert {p.name for p in sim.iterdir() if p.is_file()} <= shipped


_EMIT = ("from snnforge.hwsim import emit_verilog; from snnforge.hdl.smoke import "
         "SaturatingAccumulator; print(emit_verilog(SaturatingAccumulator(in_width=8, "
         "acc_width=12), name='smoke_acc'), end='')")


def test_the_wheel_emits_the_checkouts_verilog(venv, tmp_path):
    """Same Verilog text (``src`` attributes included), so the wheel and the checkout share
    the cached Verilator builds."""
    python, _, env, _ = venv
    installed = _run([python, "-c", _EMIT], cwd=tmp_path, env=env)
    checkout = _run([sys.executable, "-c", _EMIT], cwd=tmp_path)
    assert 'src = "snnforge/hdl/smoke.py:' in installed
    assert installed == checkout


@pytest.mark.hw
def test_installed_wheel_runs_the_demo_outside_the_checkout(venv, tmp_path):
    _, snnforge, env, site = venv
    before = _package_files(site)
    out = _run([snnforge, "demo", "--epochs", "1", "--chip-eval", "20", "--trace-digits", "4",
                "--cocotb-digits", "2", "--out", "demo"], cwd=tmp_path, env=env)
    # the transaction-level harness (C++ source shipped in the wheel) and the per-cycle cocotb bench
    assert "[3/3 chip] bit-identical: 500 training digits" in out, out
    assert "16 training steps and all weights bit-identical" in out, out
    assert (tmp_path / "demo" / "report.json").is_file()
    assert (tmp_path / "demo" / "ssnn_bp_network.v").is_file()
    assert _package_files(site) == before  # nothing written into the installed package


@pytest.mark.hw
def test_installed_wheel_runs_the_readme_script(venv, tmp_path):
    python, _, env, site = venv
    before = _package_files(site)
    (tmp_path / "script.py").write_text(readme_script())
    out = _run([python, "script.py"], cwd=tmp_path, env=env)
    assert "bit-identical" in out, out
    assert (tmp_path / "build" / "net" / "ssnn_bp_network.v").is_file()
    assert _package_files(site) == before


_USER_LAUNCH = """
import json
from pathlib import Path

from snnforge.hdl import registry
from snnforge.hwsim import emit_verilog, run_cocotb

unit = registry.get_unit("smoke_acc")
params = unit.resolve({"in_width": 8, "acc_width": 12})
verilog = emit_verilog(unit.factory(**params), name=unit.name)
run_cocotb(verilog=verilog, top=unit.name, test_module="tb_smoke", test_dir=Path.cwd(),
           extra_env={"SNNFORGE_TB_PARAMS": json.dumps({**params, "count": 200})})
print("registered unit simulated")
"""


@pytest.mark.hw
def test_installed_wheel_simulates_a_registered_unit_with_a_user_testbench(venv, tmp_path):
    """A user's cocotb testbench (here the smoke unit's, copied out of the checkout) built on
    ``snnforge.sim`` runs on a registered unit through ``snnforge.hwsim.run_cocotb``."""
    python, _, env, _ = venv
    shutil.copy2(ROOT / "cocotb_tests" / "smoke" / "tb_smoke.py", tmp_path / "tb_smoke.py")
    (tmp_path / "launch.py").write_text(_USER_LAUNCH)
    assert "registered unit simulated" in _run([python, "launch.py"], cwd=tmp_path, env=env)
