"""``snnforge train --algo error-prop``: report, plots, checkpoint, resume, clear errors."""
import json

import numpy as np
import pytest

from snnforge import cli
from snnforge.checkpoints import load_checkpoint
from snnforge.golden_model.error_prop.train import Trainer
from snnforge.training import error_prop as ep_cli
from snnforge.training.loop import without_timing

ARGS = ["train", "--algo", "error-prop", "--seeds", "2", "--epochs", "3", "--train-per-class", "4",
        "--test-per-class", "4", "--quiet"]


def test_run_writes_report_plots_and_checkpoint(tmp_path):
    out = tmp_path / "run"
    assert cli.main(ARGS + ["--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["algo"] == "error-prop"
    assert [e["epoch"] for e in report["epochs"]] == [1, 2, 3]
    res = report["results"]
    assert len(res["network_test_acc_per_seed"]) == 2
    assert res["chance"] == 0.5 and 0 <= res["rate_baseline_test_acc"]["mean"] <= 1
    assert res["weight_grid"]["bits"] == 6
    for name in ("training_curve.png", "raster_initial.png", "raster.png", "raster_class1.png"):
        assert name in res["plots"] and (out / name).stat().st_size > 1000
    arrays, meta = load_checkpoint(out / "checkpoint.npz")
    assert meta["epoch"] == 3 and arrays["curve"].shape == (4, 2)


def test_resume_after_interruption_matches_uninterrupted_run(tmp_path, monkeypatch):
    full = tmp_path / "full"
    assert cli.main(ARGS + ["--out", str(full), "--no-plots"]) == 0
    part = tmp_path / "part"
    real = Trainer.train_epoch

    def interrupted(self, bar=None):
        if self.epoch == 2:
            raise KeyboardInterrupt
        return real(self, bar)

    monkeypatch.setattr(Trainer, "train_epoch", interrupted)
    assert cli.main(ARGS + ["--out", str(part), "--no-plots"]) == 130
    assert load_checkpoint(part / "checkpoint.npz")[1]["epoch"] == 2
    monkeypatch.setattr(Trainer, "train_epoch", real)
    assert cli.main(ARGS + ["--out", str(part), "--no-plots", "--resume"]) == 0
    a, _ = load_checkpoint(full / "checkpoint.npz")
    b, _ = load_checkpoint(part / "checkpoint.npz")
    assert np.array_equal(a["W1"], b["W1"]) and np.array_equal(a["curve"], b["curve"])
    ra = json.loads((full / "report.json").read_text())
    rb = json.loads((part / "report.json").read_text())
    assert [without_timing(r) for r in ra["epochs"]] == [without_timing(r) for r in rb["epochs"]]
    assert without_timing(ra["results"]) == without_timing(rb["results"])


def test_resume_with_other_options_or_without_checkpoint_fails(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(ARGS + ["--out", str(out), "--no-plots"]) == 0
    assert cli.main(ARGS + ["--out", str(out), "--no-plots", "--resume", "--hidden", "4"]) == 2
    assert "configuration differs" in capsys.readouterr().err
    assert cli.main(ARGS + ["--out", str(tmp_path / "none"), "--resume"]) == 2
    assert "no checkpoint" in capsys.readouterr().err


@pytest.mark.parametrize("extra, match", [
    (["--channels", "1"], "channels"),
    (["--patterns", "1"], "patterns"),
    (["--weight-bits", "1"], "weight-bits"),
    (["--weight-bits", "-3"], "weight-bits"),
    (["--jitter", "-1"], "jitter"),
    (["--seeds", "0"], "seeds"),
    (["--hidden-layers", "2", "--lower-err-threshold", "0"], "--lower-err-threshold"),
    (["--lr-lower", "-1"], "--lr-lower"),
    (["--teacher-stop-margin", "-2"], "--teacher-stop-margin"),
])
def test_bad_options_are_one_line_errors(tmp_path, capsys, extra, match):
    assert cli.main(ARGS + ["--out", str(tmp_path / "x")] + extra) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("snnforge train: error:") and match in err and "\n" not in err


def test_help_lists_task_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--algo", "error-prop", "--help"])
    out = capsys.readouterr().out
    for opt in ("--patterns", "--jitter", "--channels", "--seeds", "--weight-bits", "--resume",
                "--lower-err-threshold", "--lr-lower", "--teacher-stop-margin"):
        assert opt in out
    assert ep_cli.__doc__.split(":")[0] in out


def test_depth_options_reach_the_network_config():
    import argparse

    parser = argparse.ArgumentParser()
    ep_cli.add_arguments(parser)
    args = parser.parse_args(["--hidden-layers", "2", "--lower-err-threshold", "1.5",
                              "--lr-lower", "0.002", "--teacher-stop-margin", "3"])
    _, net, _ = ep_cli.configs_from_args(args)
    assert (net.lower_err_threshold, net.lr_lower, net.teacher_stop_margin) == (1.5, 0.002, 3)
    _, plain, _ = ep_cli.configs_from_args(parser.parse_args([]))
    assert (plain.lower_err_threshold, plain.lr_lower, plain.teacher_stop_margin) == (None, None, 0)
