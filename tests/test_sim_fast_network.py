"""The fast transaction-level Verilator harness of the SSNN-BP network top
(snnforge.sim.fast_network): bit-identical training and evaluation against BitTrueSSNN on the
demo network and on 784-256-10, and a check that catches a corrupted weight, winner or spike."""
import copy
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from snnforge.errors import ConfigError, DataError, ToolchainError
from snnforge.golden_model.data import downsample, load_dataset
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.sim.fast_build import build_fast_harness, fast_build_key, raw_cycles_per_second
from snnforge.sim.fast_network import (FastSimMismatch, compare, golden_run, network_harness,
                                       run, simulate)

DEMO = small_network_config()
BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def digits(split, count, side=None):
    data = load_dataset("mnist-sample", split, download=False, limit=count)
    images = data.images[:count]
    if side is not None:
        images = downsample(images, size=side)
    return images.reshape(count, -1), data.labels[:count].astype(np.int64)


@pytest.fixture(scope="module")
def demo_run():
    """The demo network trained on 30 digits, evaluated on 20 (first 6 with full traces)."""
    x, y = digits("train", 30, side=8)
    xe, ye = digits("test", 20, side=8)
    exe, _ = network_harness(DEMO)
    chip = simulate(exe, DEMO, x, y, xe, ye, full_trace_samples=6)
    golden = golden_run(DEMO, x, y, xe, ye, full_trace_samples=6)
    return exe, chip, golden, y


def test_demo_network_bit_identical_in_fast_harness():
    x, y = digits("train", 40, side=8)
    xe, ye = digits("test", 30, side=8)
    r = run(DEMO, x, y, xe, ye, full_trace_samples=10, first_train_key=7)
    assert r["bit_identical"] and r["mismatches"] == []
    assert r["weights_changed"] > 0
    assert r["chip_accuracy_votes"] == r["golden_accuracy_votes"]
    assert r["n_train"] == 40 and r["n_eval"] == 30
    assert r["cycles_per_training_sample"] > r["cycles_per_eval_sample"] > DEMO.n_in


def _epoch_benchmark(tmp_path, *args):
    out = tmp_path / "epoch.json"
    proc = subprocess.run([sys.executable, str(BENCH / "ssnn_bp_rtl_epoch.py"), *map(str, args),
                           "--out", str(out)], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(out.read_text())


def test_784_256_10_bit_identical_in_fast_harness(tmp_path):
    """The epoch benchmark's short version: 20 digits of the committed MNIST sample."""
    r = _epoch_benchmark(tmp_path, "--dataset", "mnist-sample", "--train-limit", 20,
                         "--eval-limit", 10, "--full-trace-samples", 2, "--raw-cycles", 20_000)
    assert r["bit_identical"] and r["mismatches"] == [], r["mismatches"]
    assert (r["config"]["n_in"], r["config"]["n_hidden"], r["config"]["weight_bits"]) == \
        (784, 256, 10)
    assert r["n_train"] == 20 and r["n_eval"] == 10 and not r["full_epoch_run"]
    assert r["weights_changed"] > 1000
    assert r["chip_accuracy_votes"] == r["golden_accuracy_votes"]
    assert r["cycles_per_training_sample_first_1000"] > r["cycles_per_eval_sample"] > 784


@pytest.mark.slow
def test_784_256_10_trains_1000_mnist_digits_bit_identical(tmp_path):
    r = _epoch_benchmark(tmp_path, "--train-limit", 1000, "--eval-limit", 500)
    assert r["bit_identical"], r["mismatches"]
    assert r["chip_accuracy_votes"] == r["golden_accuracy_votes"] > 0.5


def test_demo_chip_matches_golden(demo_run):
    _, chip, golden, y = demo_run
    assert compare(chip, golden, y) == []


def test_corrupted_weight_is_reported_with_its_place(demo_run):
    _, chip, golden, y = demo_run
    bad = dataclasses.replace(chip, w2=chip.w2.copy())
    bad.w2[3, 7] += 1
    found = compare(bad, golden, y)
    assert [(m.where, m.index, m.field) for m in found] == [
        ("final weights", (("layer", "W2"), ("row", 3), ("column", 7)), "weight")]
    assert found[0].chip == golden.w2[3, 7] + 1 and found[0].golden == golden.w2[3, 7]


def test_corrupted_eval_winner_is_reported(demo_run):
    _, chip, golden, y = demo_run
    bad = dataclasses.replace(chip, eval_winners=chip.eval_winners.copy())
    bad.eval_winners[5, 2] = (bad.eval_winners[5, 2] + 1) % DEMO.n_out
    found = compare(bad, golden, y)
    assert len(found) == 1 and found[0].where == "evaluation winners"
    assert found[0].index == (("sample", 5), ("step", 2))
    with pytest.raises(FastSimMismatch, match=r"evaluation winners \[sample=5, step=2\]"):
        raise FastSimMismatch(found)


def test_corrupted_trace_spike_and_training_winner_are_reported(demo_run):
    _, chip, golden, y = demo_run
    traces = copy.deepcopy(chip.train_traces)
    traces["h"][4, 1, 9] ^= True
    bad = dataclasses.replace(chip, train_traces=traces)
    found = compare(bad, golden, y)
    assert [(m.where, m.index, m.field) for m in found] == [
        ("training trace", (("sample", 4), ("step", 1)), "h")]
    wrong = dataclasses.replace(chip, train_winners=(chip.train_winners + 1) % DEMO.n_out)
    assert "training winners" in {m.where for m in compare(wrong, golden, y)}


def test_learning_during_evaluation_is_reported(demo_run):
    _, chip, golden, y = demo_run
    learned = chip.eval_learned.copy()
    learned[0, 0] = True
    found = compare(dataclasses.replace(chip, eval_learned=learned), golden, y)
    assert [m.where for m in found] == ["evaluation trace"]


def test_stalled_design_is_a_one_line_error(demo_run):
    exe, *_ = demo_run
    x, y = digits("train", 2, side=8)
    with pytest.raises(ToolchainError, match="training sample 0 .* stalled at step 0"):
        simulate(exe, DEMO, x, y, x[:0], y[:0], max_cycles_per_sample=50)


def test_raw_speed_runs_the_requested_cycles(demo_run):
    exe, *_ = demo_run
    raw = raw_cycles_per_second(exe, sample_lsbs={"pix_lo": 0, "learn_lo": 12}, pixel=30,
                                cycles=20_000)
    assert raw["raw_cycles"] == 20_000 and raw["raw_cpu_seconds"] >= 0


def test_bad_inputs_are_refused_before_building():
    x, y = digits("train", 3, side=8)
    with pytest.raises(DataError, match="n_in=64"):
        run(DEMO, x[:, :10], y, x, y)
    with pytest.raises(DataError, match="labels"):
        run(DEMO, x, y + 20, x, y)
    with pytest.raises(ConfigError, match="full_trace_samples"):
        run(DEMO, x, y, x, y, full_trace_samples=-1)
    with pytest.raises(ConfigError, match="pixel"):
        raw_cycles_per_second("unused", sample_lsbs={}, pixel=300)


def test_build_key_follows_verilog_and_top():
    v = "module a(input clk); endmodule\n"
    assert fast_build_key(verilog=v, top="a") == fast_build_key(verilog=v, top="a")
    assert fast_build_key(verilog=v, top="a") != fast_build_key(verilog=v + "\n", top="a")
    assert fast_build_key(verilog=v, top="a") != fast_build_key(verilog=v, top="b")


def test_broken_verilog_is_a_toolchain_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path))
    with pytest.raises(ToolchainError, match="Verilator build of the fast harness"):
        build_fast_harness("module ssnn_bp_network(input clk);\n  wire x = ;\nendmodule\n",
                           top="ssnn_bp_network")
    with pytest.raises(ConfigError, match="module 'other'"):
        build_fast_harness("module ssnn_bp_network(input clk); endmodule\n", top="other")
