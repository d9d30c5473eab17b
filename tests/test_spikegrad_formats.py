"""The SpikeGrad format-study table (benchmarks/spikegrad_formats.py) on a tiny real sweep."""
import json
import subprocess
import sys
from pathlib import Path

from snnforge.golden_model.spikegrad.config import training_config
from snnforge.golden_model.spikegrad.memory import memory_report

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"

STUDY = """
name = "tiny-formats"
[[job]]
algo = "spikegrad"
options = { dataset = "mnist-sample", hidden = "16", batch = 1, epochs = 1, lr-offset = -1, no-plots = true, quiet = true }
grid = { seed = [0] }
list = [{ weight-bits = 22 }, { theta = 16384, theta-bp = 16384, weight-bits = 12 }]
"""


def test_format_table_from_a_sweep(tmp_path):
    study = tmp_path / "tiny.toml"
    study.write_text(STUDY)
    sweep = tmp_path / "sweep"
    proc = subprocess.run([sys.executable, "-m", "snnforge", "sweep", str(study), "--workers", "1",
                           "--out", str(sweep)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "table.json"
    proc = subprocess.run([sys.executable, str(BENCH / "spikegrad_formats.py"), str(study),
                           str(sweep), "--result", str(out)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(out.read_text())["rows"]
    assert [r["options"] for r in rows] == [
        {"weight-bits": 22}, {"theta": 16384, "theta-bp": 16384, "weight-bits": 12}]
    narrow = rows[1]
    assert narrow["status"] == "done" and narrow["batch"] == 1
    assert narrow["widths"]["weight_bits"] == 12 and narrow["theta"] == 16384
    assert 0.3 < narrow["test_accuracy"] <= 1 and narrow["ann_test_accuracy"] is not None
    want = memory_report(training_config((784, 16, 10), batch=1, weight_bits=12, theta=16384,
                                         theta_bp=16384, lr_shift=narrow["lr_shift"]))
    assert narrow["memory"] == want.to_dict()
    assert rows[0]["memory"]["weight_memory_bits"] > narrow["memory"]["weight_memory_bits"]
    assert "--weight-bits 12" in narrow["command"] and "--theta 16384" in proc.stdout
