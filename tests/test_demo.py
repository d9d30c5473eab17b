"""`snnforge demo`: the README's main job, end to end on a few digits."""
import json

import pytest

from snnforge import cli


def test_demo_golden_only(tmp_path, capsys):
    assert cli.main(["demo", "--no-hw", "--epochs", "1", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    golden = report["golden"]
    assert golden["n_train"] == 500 and golden["n_test"] == 200
    assert 0.0 <= golden["test_accuracy_votes"] <= 1.0 and 0.0 <= golden["ann_test_accuracy"] <= 1.0
    assert "chip" not in report
    assert (tmp_path / "learning_curve.png").stat().st_size > 1000
    assert "[1/3 golden]" in capsys.readouterr().out


@pytest.mark.hw
def test_demo_chip_matches_golden(tmp_path):
    assert cli.main(["demo", "--epochs", "1", "--chip-train", "4", "--chip-eval", "4",
                     "--out", str(tmp_path)]) == 0
    chip = json.loads((tmp_path / "report.json").read_text())["chip"]
    assert chip["train_steps_checked"] == 4 * 8
    assert chip["chip_accuracy_votes"] == chip["golden_accuracy_votes"]
    assert (tmp_path / "ssnn_network.v").read_text().startswith("/*")


def test_demo_rejects_bad_counts(tmp_path, capsys):
    assert cli.main(["demo", "--chip-train", "0", "--out", str(tmp_path)]) == 2
    assert "--chip-train must be >= 1" in capsys.readouterr().err
