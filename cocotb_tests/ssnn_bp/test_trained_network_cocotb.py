"""Train -> generate -> simulate on Verilator: the network top generated from a
``--preset chip-64-16-10`` run (``snnforge generate ssnn_bp_network --from-run``) starts from the
trained weights; the cocotb network testbench evaluates held-out digits (winners and accuracy
equal to the golden model's with the trained weights) and trains on from there bit for bit."""
import hashlib
import json

import numpy as np

from snnforge.cli import main
from snnforge.commands.generate import trained_parameters
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.sim.network import run_network_tb


def test_trained_chip_on_verilator_matches_the_golden_model(tmp_path):
    run, gen = tmp_path / "run", tmp_path / "gen"
    assert main(["train", "--algo", "ssnn-bp", "--preset", "chip-64-16-10", "--dataset",
                 "mnist-sample", "--train-limit", "80", "--test-limit", "20", "--epochs", "1",
                 "--no-ann", "--no-plots", "--quiet", "--out", str(run)]) == 0
    assert main(["generate", "ssnn_bp_network", "--from-run", str(run), "--out", str(gen)]) == 0
    manifest = json.loads((gen / "ssnn_bp_network.json").read_text())
    config = SSNNConfig(**manifest["golden"]["configuration"])
    _, weights, _ = trained_parameters("ssnn_bp_network", run, {})
    # the testbench's top holds the weights generate wrote into the Verilog
    sha = hashlib.sha256(weights["w1"].tobytes() + weights["w2"].tobytes()).hexdigest()
    assert manifest["trained_from"]["weights_sha256"] == sha
    result = run_network_tb(config, n_train=4, n_eval=10, first_train=80, **weights)
    assert result["train_steps_checked"] == 4 * config.T and result["weights_changed"] > 0
    assert result["chip_accuracy_votes"] == result["golden_accuracy_votes"]
    untrained = BitTrueSSNN(config)
    assert not np.array_equal(weights["w1"], untrained.W1)
