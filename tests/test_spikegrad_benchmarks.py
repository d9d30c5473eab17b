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


def test_training_benchmark_short_two_seeds(tmp_path):
    out = tmp_path / "train.json"
    proc = _run("spikegrad_train.py", "--dataset", "mnist-sample", "--seeds", "3,4",
                "--out-dir", tmp_path / "runs", "--result", out, "--",
                "--hidden", "16", "--epochs", "2", "--lr-decay-epochs", "1", "--no-plots",
                "--quiet")
    assert proc.returncode == 0, proc.stderr
    res = json.loads(out.read_text())
    assert res["seeds"] == [3, 4] and [r["seed"] for r in res["per_seed"]] == [3, 4]
    assert res["network"] == [784, 16, 10] and res["epochs"] == 2
    # different seeds train different networks (init and sample order)
    assert len({tuple(e["test_accuracy"] for e in r["per_epoch"]) for r in res["per_seed"]}) == 2
    gaps = [r["gap_to_ann_points"] for r in res["per_seed"]]
    assert res["gap_to_ann_points"] == pytest.approx(sum(gaps) / 2)
    assert res["largest_gap_points"] == max(gaps)
    assert res["meets_gap_target"] == (res["gap_to_ann_points"] <= 0.3)
    assert res["meets_accuracy_target"] is None  # the sample set has no target
    assert "--seed 4" in res["per_seed"][1]["command"]


def test_training_benchmark_judges_the_targets_on_the_seed_mean(load_benchmark):
    spikegrad_train = load_benchmark("spikegrad_train")
    runs = [{"seed": s, "bit_true_test_accuracy": b, "ann_test_accuracy": a,
             "gap_to_ann_points": 100 * (a - b), "training_samples_per_second": 1000.0,
             "epochs": 10, "network": [784, 10]}
            for s, b, a in ((0, 0.895, 0.900), (1, 0.899, 0.900), (2, 0.889, 0.890))]
    res = spikegrad_train.summarize("fashion-mnist", runs)
    assert res["gap_to_ann_points"] == pytest.approx((0.5 + 0.1 + 0.1) / 3)
    assert res["meets_gap_target"] is True and res["largest_gap_points"] == pytest.approx(0.5)
    assert res["lowest_bit_true_test_accuracy"] == 0.889 and res["meets_accuracy_target"] is False
    assert res["gap_std_points"] == pytest.approx(0.2309, abs=1e-4)


@pytest.mark.slow
def test_equivalence_benchmark_full():
    proc = _run("spikegrad_equivalence.py", "--cases", "5000", "--seed", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("dataset, target, seeds", [("mnist", 0.985, "0"),
                                                    ("fashion-mnist", 0.89, "0,1,2")])
def test_full_dataset_training_meets_targets(tmp_path, dataset, target, seeds):
    """The issue's targets: accuracy on every seed, within 0.3 points of the ANN on the mean
    over the seeds (one Fashion-MNIST run's seed spread is as large as the target)."""
    result = tmp_path / f"{dataset}.json"
    proc = subprocess.run([sys.executable, str(BENCH / "spikegrad_train.py"), "--dataset",
                           dataset, "--seeds", seeds, "--out-dir", str(tmp_path / dataset),
                           "--result", str(result)],
                          capture_output=True, text=True, timeout=6 * 3600)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(result.read_text())
    assert res["lowest_bit_true_test_accuracy"] >= target
    assert res["gap_to_ann_points"] <= 0.3


def test_training_benchmark_batch_override_matches_the_ann_rate(load_benchmark):
    spikegrad_train = load_benchmark("spikegrad_train")
    fixed = spikegrad_train.study("mnist-sample", [0], ["--hidden", "16"]).runs[0].argv
    assert "--ann-lr" in fixed and "0.2" in fixed
    per_sample = spikegrad_train.study("mnist-sample", [0], ["--batch", "1"]).runs[0].argv
    assert "--ann-lr" not in per_sample  # the matched rate
    given = spikegrad_train.study("mnist-sample", [0], ["--batch", "1", "--ann-lr", "0.01"])
    assert "0.01" in given.runs[0].argv
