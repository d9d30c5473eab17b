"""The Python API (`snnforge.SSNN`, `snnforge.SpikeGrad`): training equals the golden-model
training functions and the CLI's order, checkpoints round-trip, bad input gives clear errors,
hardware calls generate and simulate (SSNN) or refuse clearly (SpikeGrad)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import snnforge
from snnforge.errors import ConfigError, DataError, SnnforgeError
from snnforge.golden_model.ssnn_bp.train import TrainTestArrays
from snnforge.training.ssnn_bp_run import train_with_baseline
from snnforge.hdl.ssnn_bp.network import small_network_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def digits():
    x, y = snnforge.load_data("mnist-sample", "train", side=8, limit=120)
    xt, yt = snnforge.load_data("mnist-sample", "test", side=8, limit=60)
    return x, y, xt, yt


def test_load_data_downsamples_to_the_network_inputs(digits):
    x, y, _, _ = digits
    assert x.dtype == np.uint8 and x.shape == (120, 64) and y.shape == (120,)
    full, _ = snnforge.load_data("mnist-sample", "test", limit=3)
    assert full.shape == (3, 784)


def test_ssnn_bp_fit_equals_the_golden_training_function(digits):
    x, y, xt, yt = digits
    net = snnforge.SSNN()
    assert net.config == small_network_config()
    net.fit((x, y), epochs=2)
    ref = train_with_baseline(model="bittrue", config=net.config, epochs=2, ann_lr=0.02,
                              with_ann=False,
                              data=TrainTestArrays(x_train=x, y_train=y, x_test=xt, y_test=yt))
    assert np.array_equal(net.weights[0], ref["net"].W1)
    assert np.array_equal(net.weights[1], ref["net"].W2)
    assert net.evaluate((xt, yt))["accuracy_votes"] == ref["test_accuracy_votes"]
    again = snnforge.SSNN()
    again.fit((x, y), epochs=1)
    again.fit((x, y), epochs=1)  # epochs continue: keys and order of epoch 2
    assert np.array_equal(again.weights[0], net.weights[0]) and again.epochs_done == 2


def test_ssnn_bp_predict_agrees_with_evaluate(digits):
    _, _, xt, yt = digits
    net = snnforge.SSNN()
    predicted = net.predict(xt)
    assert predicted.shape == (60,)
    assert float((predicted == yt).mean()) == net.evaluate((xt, yt))["accuracy_votes"]


def test_ssnn_bp_save_and_load_round_trip(digits, tmp_path):
    x, y, _, _ = digits
    net = snnforge.SSNN(small_network_config(seed=3))
    net.fit((x, y))
    back = snnforge.SSNN.load(net.save(tmp_path / "net.npz"))
    assert back.config == net.config and back.epochs_done == 1
    assert all(np.array_equal(a, b) for a, b in zip(back.weights, net.weights))
    snnforge.SpikeGrad().save(tmp_path / "sg.npz")
    with pytest.raises(SnnforgeError, match="algorithm 'spikegrad', not 'ssnn-bp'"):
        snnforge.SSNN.load(tmp_path / "sg.npz")
    with pytest.raises(SnnforgeError, match="no such checkpoint"):
        snnforge.SSNN.load(tmp_path / "missing.npz")


def test_ssnn_bp_loads_a_cli_training_run_with_the_api_weights(digits, tmp_path):
    """`snnforge train --preset chip-64-16-10` and `SSNN().fit` train the same weights, and
    `SSNN.load` reads the run folder: train -> generate -> simulate is one path."""
    from snnforge import cli

    run = tmp_path / "run"
    assert cli.main(["train", "--algo", "ssnn-bp", "--preset", "chip-64-16-10", "--dataset",
                     "mnist-sample", "--train-limit", "120", "--test-limit", "60", "--epochs",
                     "2", "--out", str(run), "--no-plots", "--quiet"]) == 0
    loaded = snnforge.SSNN.load(run)
    x, y, _, _ = digits
    fitted = snnforge.SSNN()
    fitted.fit((x, y), epochs=2)
    assert loaded.config == fitted.config and loaded.epochs_done == 2
    assert all(np.array_equal(a, b) for a, b in zip(loaded.weights, fitted.weights))


def test_ssnn_bp_rejects_bad_input(digits):
    x, y, _, _ = digits
    net = snnforge.SSNN()
    with pytest.raises(DataError, match="uint8"):
        net.fit((x.astype(np.float32), y))
    with pytest.raises(DataError, match="n_in=64"):
        net.fit((np.zeros((4, 10), np.uint8), y[:4]))
    with pytest.raises(DataError, match="4 integer labels"):
        net.fit((x[:4], y[:3]))
    with pytest.raises(DataError, match="dataset name"):
        net.fit(42)
    with pytest.raises(ConfigError, match="epochs"):
        net.fit((x, y), epochs=0)
    with pytest.raises(ConfigError, match="SSNNConfig"):
        snnforge.SSNN({"n_in": 64})


def test_ssnn_bp_verilog_holds_the_trained_weights(digits, tmp_path):
    x, y, _, _ = digits
    net = snnforge.SSNN()
    untrained = net.verilog()
    net.fit((x[:20], y[:20]))
    path = net.to_verilog(tmp_path / "rtl", lint=False)
    assert path.read_text() == net.verilog() != untrained
    assert "module ssnn_bp_network" in path.read_text()
    assert (tmp_path / "rtl" / "ssnn_bp_network.json").is_file()


def test_spikegrad_fit_follows_the_cli_order_and_round_trips(digits, tmp_path):
    from snnforge.golden_model.spikegrad.train import SpikeGradNet

    x, y, xt, yt = digits
    net = snnforge.SpikeGrad(sizes=(64, 16, 10), seed=2)
    net.fit((x, y), epochs=1)
    ref = SpikeGradNet(net.config, seed=2, **net.init)
    order = np.random.default_rng([2, 0]).permutation(len(y))
    for i in range(0, len(y), net.config.batch):
        ref.step(x[order[i:i + net.config.batch]], y[order[i:i + net.config.batch]])
    assert all(np.array_equal(a, b) for a, b in zip(net.weights[0], ref.W))
    accuracy = net.evaluate((xt, yt))["accuracy"]
    assert accuracy == float((net.predict(xt) == yt).mean())
    back = snnforge.SpikeGrad.load(net.save(tmp_path / "sg.npz"))
    assert back.config == net.config and back.epochs_done == 1
    assert back.evaluate((xt, yt))["accuracy"] == accuracy


def test_spikegrad_loads_a_cli_training_run(tmp_path):
    import json

    from snnforge import cli

    run = tmp_path / "run"
    assert cli.main(["train", "--algo", "spikegrad", "--dataset", "mnist-sample", "--hidden",
                     "16", "--train-limit", "96", "--test-limit", "50", "--epochs", "1",
                     "--no-ann", "--out", str(run), "--no-plots", "--quiet"]) == 0
    net = snnforge.SpikeGrad.load(run)
    assert net.config.sizes == (784, 16, 10) and net.epochs_done == 1
    report = json.loads((run / "report.json").read_text())
    assert net.evaluate("mnist-sample", limit=50)["accuracy"] == \
        report["epochs"][-1]["test_accuracy"]


def test_spikegrad_hardware_calls_say_there_is_no_network_top(tmp_path):
    net = snnforge.SpikeGrad()
    for call in (lambda: net.to_verilog(tmp_path), lambda: net.simulate("mnist-sample"),
                 lambda: net.synth()):
        with pytest.raises(SnnforgeError, match="no network top yet"):
            call()


@pytest.mark.hw
def test_ssnn_bp_simulate_takes_arrays_and_leaves_the_network_unchanged(digits):
    x, y, xt, yt = digits
    net = snnforge.SSNN()  # the demo's network: the Verilator build is shared with it
    with pytest.raises(DataError, match="uint8"):
        net.simulate((x.astype(np.float32), y))
    before = [w.copy() for w in net.weights]
    result = net.simulate((x, y), n=4, eval_samples=(xt, yt), n_eval=3)
    assert result["train_steps_checked"] == 4 * net.config.T and result["n_eval"] == 3
    assert result["chip_accuracy_votes"] == result["golden_accuracy_votes"]
    assert result["weights_changed"] > 0
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))


@pytest.mark.hw
def test_readme_script_trains_generates_and_simulates(tmp_path):
    """The README's API script, run as a user would (the Verilator build is cached)."""
    from test_wheel_install import readme_script

    (tmp_path / "script.py").write_text(readme_script())
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "bit-identical: 64 training steps" in result.stdout, result.stdout
    assert (tmp_path / "build" / "net.npz").is_file()


@pytest.mark.hw
def test_ssnn_bp_synth_reports_the_network_top(tmp_path):
    net = snnforge.SSNN(small_network_config(n_in=4, n_hidden=2, n_out=2))
    with pytest.raises(ConfigError, match="unknown target"):
        net.synth(target="xc7")
    figures = net.synth(target="ice40-up5k", work_dir=tmp_path / "work")
    assert figures["lut"] > 0 and figures["ff"] > 0 and figures["bram"] >= 1
    assert figures["lut"] == figures["cells"]["SB_LUT4"]
    assert (tmp_path / "work" / "ssnn_bp_network.v").is_file()
