"""`snnforge train --algo ssnn-bp`: report, plots, resume, sweeps, clear errors."""
import json

import pytest

from snnforge.cli import main

BASE = ["train", "--algo", "ssnn-bp", "--dataset", "mnist-sample", "--train-limit", "120",
        "--test-limit", "60", "--T", "2", "--hidden", "32", "--quiet"]


def _report(path):
    return json.loads((path / "report.json").read_text())


def test_train_report_keys_of_both_readouts(tmp_path):
    """(Plots and exact resume: tests/test_training_cli.py.)"""
    assert main(BASE + ["--epochs", "2", "--out", str(tmp_path), "--no-plots"]) == 0
    report = _report(tmp_path)
    last, final = report["epochs"][-1], report["results"]["final"]
    for key in ("test_accuracy_votes", "test_accuracy_sum_z", "ann_test_accuracy", "per_sample"):
        assert final[key] == last[key]
    assert last["test_accuracy"] == last["test_accuracy_votes"]
    assert 0 <= final["test_accuracy_votes"] <= 1 and final["per_sample"]["input_spikes"] > 0
    assert last["train_samples_per_s"] > 0 and last["learning_rate"] > 0


def test_resume_with_other_options_is_refused(tmp_path, capsys):
    assert main(BASE + ["--epochs", "1", "--out", str(tmp_path), "--no-plots"]) == 0
    assert main(BASE + ["--epochs", "2", "--out", str(tmp_path), "--resume", "--lr", "0.003"]) == 2
    assert "configuration differs" in capsys.readouterr().err


def test_float_model_and_sweep(tmp_path):
    assert main(BASE + ["--model", "float", "--epochs", "1", "--out", str(tmp_path / "f"),
                        "--no-plots"]) == 0
    assert main(BASE + ["--epochs", "1", "--out", str(tmp_path / "s"), "--sweep", "weight-bits",
                        "--sweep-values", "6,10"]) == 0
    rows = _report(tmp_path / "s")["results"]["sweep_weight-bits"]
    assert [r["weight-bits"] for r in rows] == [6, 10]
    assert rows[0]["ann_test_accuracy"] == rows[1]["ann_test_accuracy"]
    for name in ("accuracy_vs_weight-bits.png", "activity_vs_weight-bits.png"):
        assert (tmp_path / "s" / name).exists()


@pytest.mark.parametrize("opts,msg", [
    (["--weight-bits", "0"], "--weight-bits must"),
    (["--T", "0"], "--T (time steps"),
    (["--beta", "3"], "power of two"),
    (["--accumulator-bits", "8"], "too narrow"),
    (["--lr", "0.5"], "not realisable"),
    (["--epochs", "0"], "--epochs"),
    (["--model", "bittrue", "--transfer", "sigmoid"], "hard-sigmoid"),
    (["--sweep", "T", "--sweep-values", "1,x"], "--sweep-values"),
])
def test_bad_options_give_one_line_errors(tmp_path, capsys, opts, msg):
    assert main(BASE + ["--out", str(tmp_path)] + opts) == 2
    err = capsys.readouterr().err
    assert msg in err and "Traceback" not in err


def test_learning_rate_decay(tmp_path):
    assert main(BASE + ["--epochs", "2", "--lr-decay-epochs", "1", "--out", str(tmp_path),
                        "--no-plots"]) == 0
    lrs = [e["learning_rate"] for e in _report(tmp_path)["epochs"]]
    assert lrs[1] == pytest.approx(lrs[0] / 2, rel=1e-3)
    assert main(BASE + ["--lr-decay-epochs", "0", "--out", str(tmp_path / "x")]) == 2


def test_accumulator_width_is_derived_unless_given():
    import argparse

    from snnforge.training.ssnn_bp import add_arguments, build_config
    from snnforge.golden_model.ssnn_bp.config import SSNNConfig

    def config(*opts):
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        return build_config(parser.parse_args(list(opts)))

    wide = config("--weight-bits", "16", "--lr", "0.00005")
    assert wide.weight_bits == 16
    assert wide.accumulator_bits == SSNNConfig(n_hidden=256, weight_bits=16).accumulator_bits
    assert wide.accumulator_bits > 24           # a fixed 24-bit default would be refused
    assert config().accumulator_bits == SSNNConfig(n_hidden=256).accumulator_bits
    assert config("--accumulator-bits", "30").accumulator_bits == 30


def test_wide_weights_train_with_the_derived_accumulator(tmp_path):
    assert main(BASE + ["--epochs", "1", "--out", str(tmp_path), "--no-plots", "--no-ann",
                        "--weight-bits", "16", "--lr", "0.00005"]) == 0
    config = _report(tmp_path)["config"]["network"]
    assert config["weight_bits"] == 16 and config["accumulator_bits"] == 26
