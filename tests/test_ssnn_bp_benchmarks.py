"""SSNN-BP benchmarks: short versions in the default suite, the full runs marked slow."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script, *args, timeout=600):
    return subprocess.run([sys.executable, str(BENCH / script), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def test_accuracy_benchmark_short(tmp_path):
    out = tmp_path / "acc.json"
    proc = _run("ssnn_bp_accuracy.py", "--dataset", "mnist-sample", "--out-dir", tmp_path / "run",
                "--result", out, "--", "--epochs", "1", "--T", "2", "--hidden", "32", "--quiet",
                "--no-plots")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert res["epochs"] == 1 and 0 < res["test_accuracy_votes"] <= 1
    assert res["ann_test_accuracy"] > 0.3 and res["command"].startswith("snnforge train")


def test_readout_benchmark_short(tmp_path):
    from snnforge.cli import main

    run = tmp_path / "run"
    assert main(["train", "--algo", "ssnn-bp", "--dataset", "mnist-sample", "--epochs", "1",
                 "--T", "2", "--hidden", "24", "--out", str(run), "--quiet", "--no-plots"]) == 0
    out = tmp_path / "readout.json"
    proc = _run("ssnn_bp_readout.py", "--run", run, "--T", "2,4", "--out", out)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert [r["T"] for r in res["stochastic_readout"]] == [2, 4]
    assert 0.2 < res["mean_field_readout_accuracy"] <= 1


def test_speed_benchmark_short(tmp_path):
    out = tmp_path / "speed.json"
    proc = _run("ssnn_bp_speed.py", "--dataset", "mnist-sample", "--samples", "40",
                "--hidden", "16", "--T", "2", "--engines", "numpy", "--out", out)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(out.read_text())["rows"][0]
    assert row["samples"] == 40 and row["samples_per_s"] > 0 and row["engine"] == "numpy"


@pytest.mark.slow
@pytest.mark.parametrize("dataset,target", [("mnist", 0.980), ("fashion-mnist", 0.885)])
def test_full_dataset_accuracy_targets(tmp_path, dataset, target):
    out = tmp_path / "acc.json"
    proc = _run("ssnn_bp_accuracy.py", "--dataset", dataset, "--out-dir", tmp_path / "run",
                "--result", out, "--", "--epochs", "5", "--T", "8", "--lr-decay-epochs", "1,2,3,4",
                "--quiet", timeout=6 * 3600)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert res["meets_accuracy_target"] and res["meets_gap_target"], res


@pytest.mark.slow
def test_speed_target():
    out = BENCH / "results" / "ssnn_bp_speed.json"
    proc = _run("ssnn_bp_speed.py", "--samples", "3000", "--hidden", "256", "--T", "16",
                "--engines", "numba", "--out", out, timeout=3600)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["meets_target"]


@pytest.mark.parametrize("args,message", [
    (("--n-hidden", "0"), "--n-hidden: n_hidden must be >= 1, got 0"),
    (("--n-hidden", "128", "--w1-lanes", "129"), "--w1-lanes must be an integer in 1..128"),
])
def test_network_cycles_benchmark_refuses_bad_sizes(args, message):
    proc = _run("ssnn_bp_network_cycles.py", *args)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].endswith(message), proc.stderr
