"""SpikeGrad benchmarks: short versions in the default suite, the full runs marked slow."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script, *args):
    return subprocess.run([sys.executable, str(BENCH / script), *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def test_speed_benchmark_short(tmp_path):
    out = tmp_path / "speed.json"
    proc = _run("spikegrad_speed.py", "--dataset", "mnist-sample", "--hidden", "32",
                "--pretrain", "256", "--samples", "2", "--throughput-samples", "256",
                "--out", out)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert res["identical_weights"] is True
    assert res["speed_ratio_event_over_ann"] > 1
    assert res["forward_spikes_per_sample"] > 100 and res["error_spikes_per_sample"] > 0
    assert res["training_throughput"]["samples_per_second"] > 0


def test_equivalence_benchmark_short(tmp_path):
    out = tmp_path / "eq.json"
    proc = _run("spikegrad_equivalence.py", "--cases", "100", "--seed", "5", "--out", out)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert res["cases"] == res["identical"] == 100 and res["failures"] == []


@pytest.mark.slow
def test_equivalence_benchmark_full():
    proc = _run("spikegrad_equivalence.py", "--cases", "5000", "--seed", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("dataset, target", [("mnist", 0.985), ("fashion-mnist", 0.89)])
def test_full_dataset_training_meets_targets(tmp_path, dataset, target):
    proc = subprocess.run([sys.executable, str(BENCH / "spikegrad_train.py"), "--dataset",
                           dataset, "--out-dir", str(tmp_path / dataset)],
                          capture_output=True, text=True, timeout=6 * 3600)
    assert proc.returncode == 0, proc.stderr
    res = json.loads((BENCH / "results" / f"spikegrad_train_{dataset}.json").read_text())
    assert res["bit_true_test_accuracy"] >= target
    assert res["gap_to_ann_points"] <= 0.3
