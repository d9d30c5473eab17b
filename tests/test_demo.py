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
    assert (tmp_path / "training_curve.png").stat().st_size > 1000
    assert not (tmp_path / "learning_curve.png").exists()
    assert "[1/3 golden]" in capsys.readouterr().out


@pytest.mark.hw
def test_demo_chip_matches_golden(tmp_path):
    assert cli.main(["demo", "--epochs", "1", "--chip-eval", "20", "--trace-digits", "8",
                     "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    chip, golden = report["chip"], report["golden"]
    assert chip["bit_identical"] and chip["n_train"] == golden["n_train"] == 500
    assert chip["full_trace_samples"] == 8 and chip["n_eval"] == 20
    assert chip["chip_accuracy_votes"] == chip["golden_accuracy_votes"]
    assert chip["weights_changed"] > 0
    assert (tmp_path / "ssnn_bp_network.v").read_text().startswith("/*")


@pytest.mark.hw
def test_demo_chip_ends_where_the_golden_model_ends(tmp_path):
    """The chip trains on step 1's whole stream (2 epochs, same order and keys), so its
    held-out accuracy over the whole test split is step 1's final figure."""
    assert cli.main(["demo", "--epochs", "2", "--trace-digits", "0", "--cocotb-digits", "2",
                     "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    chip, golden = report["chip"], report["golden"]
    assert chip["n_train"] == 2 * golden["n_train"] and chip["n_eval"] == golden["n_test"]
    assert chip["chip_accuracy_votes"] == golden["test_accuracy_votes"]
    assert chip["golden_accuracy_sum_z"] == golden["test_accuracy_sum_z"]
    assert chip["cocotb"]["train_steps_checked"] == 2 * 8


def test_demo_rejects_bad_counts(tmp_path, capsys):
    assert cli.main(["demo", "--chip-epochs", "0", "--out", str(tmp_path)]) == 2
    assert "--chip-epochs must be >= 1" in capsys.readouterr().err
    assert cli.main(["demo", "--trace-digits", "-1", "--out", str(tmp_path)]) == 2
    assert "--trace-digits must be >= 0" in capsys.readouterr().err


def test_second_default_demo_keeps_the_first(tmp_path, monkeypatch, capsys):
    """Without --out a second demo goes to runs/demo-2: the first run's results stay."""
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert cli.main(["demo", "--no-hw", "--epochs", "1"]) == 0
    assert (tmp_path / "runs" / "demo" / "report.json").is_file()
    assert (tmp_path / "runs" / "demo-2" / "report.json").is_file()
    assert "runs/demo-2/report.json" in capsys.readouterr().out
    assert cli.main(["demo", "--no-hw", "--epochs", "1", "--overwrite"]) == 0
    assert not (tmp_path / "runs" / "demo-3").exists()
    assert json.loads((tmp_path / "runs" / "demo" / "report.json").read_text())["golden"]


def test_demo_spikegrad_golden_only(tmp_path, capsys):
    assert cli.main(["demo", "--algo", "spikegrad", "--no-hw", "--epochs", "1",
                     "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["algo"] == "spikegrad" and report["config"]["sizes"] == [196, 32, 10]
    assert report["config"]["loss"] == "fixed"    # the chip computes its own output errors
    assert report["golden"]["n_train"] == 500 and 0.2 < report["golden"]["test_accuracy"] <= 1.0
    assert "chip" not in report
    assert (tmp_path / "training_curve.png").stat().st_size > 1000
    assert "[1/3 golden] bit-true SpikeGrad 196-32-10" in capsys.readouterr().out


@pytest.mark.hw
def test_demo_spikegrad_chip_matches_golden(tmp_path):
    assert cli.main(["demo", "--algo", "spikegrad", "--epochs", "1", "--chip-digits", "20",
                     "--chip-eval", "10", "--cocotb-digits", "3", "--out", str(tmp_path)]) == 0
    chip = json.loads((tmp_path / "report.json").read_text())["chip"]
    assert chip["bit_identical"] and chip["n_train"] == 20 and chip["n_eval"] == 10
    assert chip["chip_accuracy"] == chip["golden_accuracy"]
    assert chip["weights_changed"] > 0 and chip["cocotb"]["digits"] == 3
    assert (tmp_path / "spikegrad_network.v").read_text().startswith("/*")


def test_demo_spikegrad_rejects_bad_counts(tmp_path, capsys):
    assert cli.main(["demo", "--algo", "spikegrad", "--chip-digits", "0",
                     "--out", str(tmp_path)]) == 2
    assert "--chip-digits must be >= 1" in capsys.readouterr().err


def test_demo_plot_shows_golden_curves_and_the_chip_beside_the_golden_model(tmp_path,
                                                                            monkeypatch):
    """training_curve.png: the golden readouts and the ANN per epoch; the chip's held-out
    accuracy as one point after the epochs it trained, labelled with the golden model's."""
    from snnforge.training import plots
    from snnforge.training.plots import demo_training_curve

    drawn = {}
    monkeypatch.setattr(plots, "plot_lines",
                        lambda path, series, **kw: drawn.update(path=path, series=series, **kw))
    curve = {"epoch": [1, 2], "votes": [0.5, 0.6], "sum_z": [0.55, 0.65], "ann": [0.7, 0.8],
             "missing": [0.1, None]}
    chip = {"n_train": 1000, "n_eval": 20, "chip_acc": 0.65, "golden_acc": 0.65}
    demo_training_curve(tmp_path, title="t", curve=curve,
                        series={"votes": "votes", "sum of z": "sum_z", "ANN": "ann",
                                "absent": "missing"},
                        golden={"n_train": 500}, chip=chip, chip_key="chip_acc",
                        golden_key="golden_acc")
    assert drawn["path"] == tmp_path / "training_curve.png" and drawn["ylabel"] == "accuracy (%)"
    series = drawn["series"]
    assert series["votes"] == ([1, 2], [50.0, 60.0]) and "absent" not in series
    (label, point), = [(k, v) for k, v in series.items() if k.startswith("chip")]
    assert point == ([2.0], [65.0]) and "20 held-out digits (golden 65.0 %)" in label
    assert drawn["title"] == "t: golden model vs chip"
    demo_training_curve(tmp_path, title="t", curve=curve, series={"votes": "votes"},
                        golden={"n_train": 500}, chip=None, chip_key="chip_acc",
                        golden_key="golden_acc")
    assert list(drawn["series"]) == ["votes"] and drawn["title"] == "t"
