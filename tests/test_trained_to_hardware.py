"""Train -> generate -> simulate: a run trained with ``--preset chip-64-16-10`` goes to the
network top with ``snnforge generate ssnn_bp_network --from-run``, and the chip (Amaranth
simulator) evaluates held-out digits with the golden model's winners for the trained weights."""
import json

import numpy as np
import pytest

from snnforge.checkpoints import load_checkpoint, save_checkpoint
from snnforge.cli import main
from snnforge.commands.generate import trained_parameters
from snnforge.golden_model.data import downsample, load_dataset
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.sim.ssnn_bp_network_amaranth import simulate_network
from snnforge.sim.ssnn_bp_network_reference import golden_eval_winners

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")

TRAIN = ["train", "--algo", "ssnn-bp", "--preset", "chip-64-16-10", "--dataset", "mnist-sample",
         "--train-limit", "80", "--test-limit", "20", "--epochs", "1", "--no-ann", "--no-plots",
         "--quiet"]


@pytest.fixture(scope="module")
def chip_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "chip"
    assert main(TRAIN + ["--out", str(out)]) == 0
    return out


def test_preset_trains_the_chip_configuration(chip_run):
    report = json.loads((chip_run / "report.json").read_text())
    assert report["config"]["network"] == small_network_config().to_dict()
    assert report["config"]["input_side"] == 8
    arrays, meta = load_checkpoint(chip_run / "checkpoint.npz")
    assert meta["algo"] == "ssnn-bp" and meta["network"] == small_network_config().to_dict()
    initial = BitTrueSSNN(small_network_config())
    assert (arrays["W1"] != initial.W1).any() and (arrays["W2"] != initial.W2).any()


def test_generated_chip_evaluates_like_the_golden_model_with_trained_weights(chip_run, tmp_path):
    out = tmp_path / "gen"
    assert main(["generate", "ssnn_bp_network", "--from-run", str(chip_run),
                 "--out", str(out)]) == 0
    manifest = json.loads((out / "ssnn_bp_network.json").read_text())
    config = SSNNConfig(**manifest["golden"]["configuration"])
    assert config == small_network_config()
    assert manifest["trained_from"]["epochs_done"] == 1
    main(["generate", "ssnn_bp_network", "--out", str(tmp_path / "untrained")])
    untrained = (tmp_path / "untrained" / "ssnn_bp_network.v").read_text()
    assert (out / "ssnn_bp_network.v").read_text() != untrained

    # the weights generate put into the memories, on held-out digits in the Amaranth simulator
    _, weights, _ = trained_parameters("ssnn_bp_network", chip_run, {})
    test = load_dataset("mnist-sample", "test", limit=3)
    images = downsample(test.images, size=8).reshape(3, -1)
    arrays, _ = load_checkpoint(chip_run / "checkpoint.npz")
    golden = BitTrueSSNN(config, w1=arrays["W1"], w2=arrays["W2"])
    want = golden_eval_winners(golden, images).reshape(-1).tolist()
    assert want != golden_eval_winners(BitTrueSSNN(config), images).reshape(-1).tolist()
    chip = simulate_network(config, images, test.labels, learn=False, **weights)
    assert [t["winner"] for t in chip.traces] == want
    assert np.array_equal(chip.w1, arrays["W1"]) and np.array_equal(chip.w2, arrays["W2"])


def test_from_run_errors_name_the_option(chip_run, tmp_path, capsys):
    gen = ["generate", "ssnn_bp_network", "--out", str(tmp_path / "g"), "--from-run"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(gen + [str(empty)]) == 2
    assert "--from-run" in capsys.readouterr().err.strip().splitlines()[-1]
    assert main(gen + [str(chip_run), "--param", "T=4"]) == 2
    err = capsys.readouterr().err
    assert "--param T=4 differs from the run's T=8" in err and len(err.strip().splitlines()) == 1
    assert main(gen + [str(chip_run), "--param", "T=8", "--param", "rounds_per_stage=2"]) == 0
    other = tmp_path / "sg"
    other.mkdir()
    arrays, meta = load_checkpoint(chip_run / "checkpoint.npz")
    save_checkpoint(other / "checkpoint.npz", arrays, {**meta, "algo": "spikegrad"})
    assert main(gen + [str(other)]) == 2
    assert "a run of algorithm 'spikegrad', not ssnn-bp" in capsys.readouterr().err
    save_checkpoint(other / "checkpoint.npz", arrays, {**meta, "model": "float"})
    assert main(gen + [str(other)]) == 2
    assert "--model bittrue" in capsys.readouterr().err


def test_preset_with_float_model_is_refused(tmp_path, capsys):
    assert main(TRAIN + ["--model", "float", "--out", str(tmp_path)]) == 2
    assert "drop --model float" in capsys.readouterr().err
