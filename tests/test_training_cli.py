"""What every ``snnforge train`` algorithm shares: the resumable loop, the per-epoch line in
percent, the report keys, the plot names, and ``--resume`` without a checkpoint as an error."""
import json
import re

import numpy as np
import pytest

from snnforge.cli import main
from snnforge.runs import RunDir
from snnforge.training.loop import epoch_line, finish, train_epochs, without_timing

QUICK = {
    "ssnn-bp": ["--dataset", "mnist-sample", "--train-limit", "60", "--test-limit", "30",
                "--T", "2", "--hidden", "16"],
    "spikegrad": ["--dataset", "mnist-sample", "--train-limit", "100", "--test-limit", "50",
                  "--hidden", "16", "--batch", "16"],
    "fp": ["--task", "xor"],
    "error-prop": ["--seeds", "1", "--train-per-class", "2", "--test-per-class", "2"],
}
LINE = re.compile(r"^epoch (\d+)/(\d+): .+ \d+\.\d\d %.* \((\d+ ms|\d+\.\d s)\)$")


@pytest.mark.parametrize("algo", sorted(QUICK))
def test_resume_without_a_checkpoint_is_a_one_line_error(tmp_path, capsys, algo):
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "empty", tmp_path / "missing"):
        assert main(["train", "--algo", algo, *QUICK[algo], "--epochs", "1", "--out", str(out),
                     "--resume"]) == 2
        err = capsys.readouterr().err.strip()
        assert "--resume: no checkpoint.npz" in err and "\n" not in err
        assert not (out / "report.json").exists()


@pytest.mark.parametrize("algo", sorted(QUICK))
def test_every_algorithm_prints_one_percent_line_per_epoch_and_the_shared_results(
        tmp_path, capsys, algo):
    out = tmp_path / algo
    assert main(["train", "--algo", algo, *QUICK[algo], "--epochs", "2", "--out", str(out),
                 "--no-plots"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    assert [LINE.match(line).groups()[:2] for line in epoch_lines] == [("1", "2"), ("2", "2")]
    assert "%" in lines[-1] and "report" in lines[-1]
    report = json.loads((out / "report.json").read_text())
    for row in report["epochs"]:
        assert {"epoch", "test_accuracy", "train_seconds", "samples_per_second"} <= set(row)
        assert 0 <= row["test_accuracy"] <= 1
    res = report["results"]
    assert res["epochs_done"] == 2 and res["test_accuracy"] == report["epochs"][-1]["test_accuracy"]
    assert res["best_test_accuracy"] == max(r["test_accuracy"] for r in report["epochs"])
    if algo in ("ssnn-bp", "spikegrad"):
        ann = report["epochs"][-1]["ann_test_accuracy"]
        assert res["ann_test_accuracy"] == ann
        assert res["gap_to_ann_points"] == pytest.approx(100 * (ann - res["test_accuracy"]))


@pytest.mark.parametrize("algo", ["ssnn-bp", "spikegrad"])
def test_mnist_algorithms_plot_the_same_files_and_resume_exactly(tmp_path, algo):
    """1 epoch resumed to 2 equals 2 straight (beside the wall times); the plots of both MNIST
    algorithms carry the same names, a spike raster among them."""
    base = ["train", "--algo", algo, *QUICK[algo], "--quiet"]
    resumed, straight = tmp_path / "resumed", tmp_path / "straight"
    assert main(base + ["--epochs", "1", "--out", str(resumed)]) == 0
    assert sorted(p.name for p in resumed.glob("*.png")) == ["activity.png", "raster.png",
                                                             "training_curve.png"]
    assert main(base + ["--epochs", "2", "--out", str(resumed), "--resume", "--no-plots"]) == 0
    assert main(base + ["--epochs", "2", "--out", str(straight), "--no-plots"]) == 0
    ra, rb = (json.loads((p / "report.json").read_text()) for p in (resumed, straight))
    assert [r["epoch"] for r in ra["epochs"]] == [1, 2]
    assert [without_timing(r) for r in ra["epochs"]] == [without_timing(r) for r in rb["epochs"]]
    assert without_timing(ra["results"]) == without_timing(rb["results"])


def test_spikegrad_event_raster_replays_the_event_simulation():
    from snnforge.golden_model.spikegrad import event_sim
    from snnforge.golden_model.spikegrad.config import training_config
    from snnforge.golden_model.spikegrad.train import SpikeGradNet
    from snnforge.training.spikegrad_run import event_raster

    net = SpikeGradNet(training_config((784, 16, 10), batch=1), seed=1)
    pixels = np.random.default_rng(0).integers(0, 256, 784).astype(np.uint8)
    groups = event_raster(net, pixels, 3)
    result = event_sim.simulate_sample(net.W, net.b, net.inputs(pixels[None])[0], 3, net.config)
    # every forward and error spike the simulation counts appears once, in delivery order
    assert sum(len(g[0]) for g in groups.values()) == (result.stats.forward_spikes
                                                         + result.stats.error_spikes)
    times = np.concatenate([g[0] for g in groups.values()])
    assert np.array_equal(np.sort(times), np.arange(len(times)))
    assert np.array_equal(np.bincount(groups["input"][1], minlength=784),
                          net.inputs(pixels[None])[0])
    hidden = np.zeros(16, np.int64)
    np.add.at(hidden, groups["hidden 1"][1], groups["hidden 1"][2])
    assert np.array_equal(hidden, result.counts[1])


class _Counter:
    """A toy learner: its state is a running sum of the epochs it trained."""

    name, unit, samples_per_epoch = "toy", "sample", 10

    def __init__(self):
        self.total = np.zeros(1)

    def train_epoch(self, epoch, bar):
        self.total += epoch + 1
        return {"total": float(self.total[0])}

    def evaluate(self, epoch):
        return {"test_accuracy": min(1.0, float(self.total[0]) / 10)}

    def accuracies(self, row):
        return {"toy": row["test_accuracy"]}

    def state(self):
        return {"total": self.total}, {}

    def restore(self, arrays, meta):
        self.total = np.array(arrays["total"])


def test_the_loop_resumes_where_the_checkpoint_stopped(tmp_path):
    straight = RunDir(tmp_path / "s", config={}, command="t")
    rows = train_epochs(_Counter(), epochs=4, run=straight, bars=False)
    part = RunDir(tmp_path / "p", config={}, command="t")
    train_epochs(_Counter(), epochs=2, run=part, bars=False)
    resumed = RunDir(tmp_path / "p", config={}, command="t", resume=True)
    again = train_epochs(_Counter(), epochs=4, run=resumed, resume=True, bars=False)
    assert [without_timing(r) for r in again] == [without_timing(r) for r in rows]
    assert [r["total"] for r in rows] == [1, 3, 6, 10]
    assert finish(resumed, again)["best_test_accuracy"] == 1.0


def test_epoch_line_shows_percent():
    assert epoch_line(3, 20, {"ssnn-bp": 0.912, "ANN": 0.921}, 12.34) == \
        "epoch 3/20: ssnn-bp 91.20 %, ANN 92.10 % (12.3 s)"
    assert epoch_line(1, 1, {"fp": 1.0}, 0.0123).endswith("100.00 % (12 ms)")
