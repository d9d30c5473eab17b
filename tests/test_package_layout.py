"""The mapped folders import only as ``snnforge.<folder>``; the package's light entry points stay
light (``import snnforge`` / ``import snnforge.sim`` pull in neither the API nor cocotb)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("folder", ["golden_model", "hdl", "boards"])
def test_a_bare_import_of_a_mapped_folder_fails_at_once(folder):
    result = subprocess.run([sys.executable, "-c", f"import {folder}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"import snnforge.{folder}, not {folder}" in result.stderr, result.stderr[-2000:]


def test_the_mapped_name_imports(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import sys, snnforge, snnforge.sim, snnforge.golden_model, "
         "snnforge.hdl, snnforge.boards; print('cocotb' in sys.modules, "
         "'snnforge.api' in sys.modules); print(snnforge.SSNN.__module__)"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["False", "False", "snnforge.api.ssnn_bp"]
