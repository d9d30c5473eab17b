"""Training aids outside the exact gradient (dead-neuron push, label-spike regulariser, the
reset-term switch) and the XOR study benchmark script."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from snnforge.golden_model.fp_exact.datasets import xor_task
from snnforge.golden_model.fp_exact.lif import simulate
from snnforge.golden_model.fp_exact.loss import first_spike_loss
from snnforge.golden_model.fp_exact.train import FPConfig, dead_nudge, loss_and_grads

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def test_dead_nudge_raises_only_neurons_silent_on_the_whole_batch():
    cfg = FPConfig(hidden=(3,))
    task = xor_task()
    w = [np.array([[0.8, 0.8, 0.8], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]), np.ones((2, 3))]
    trains = simulate(w, task.train_x, neuron=cfg.neuron(), max_spikes=cfg.max_spikes())
    fired = np.isfinite(trains[1][:, :, 0]).any(axis=0)
    assert list(fired) == [True, False, True]
    before = [a.copy() for a in w]
    dead_nudge(w, trains, 0.1)
    assert np.allclose(w[0][1], 0.1)  # one spike per input channel on every pattern
    assert np.array_equal(w[0][[0, 2]], before[0][[0, 2]]) and np.array_equal(w[1], before[1])


def test_label_push_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    t = rng.uniform(1, 20, (5, 3, 1))
    t[0, 2, 0] = np.inf  # a silent neuron carries no gradient
    y = np.array([0, 2, 1, 1, 0])
    kw = dict(t_max=40.0, tau_loss=4.0, label_push=0.3, tau_push=7.0)
    loss, g = first_spike_loss(t, y, **kw)
    assert loss > first_spike_loss(t, y, t_max=40.0, tau_loss=4.0)[0]
    h = 1e-6
    for b, c in [(0, 0), (1, 2), (2, 1), (3, 0), (4, 1)]:
        tp, tm = t.copy(), t.copy()
        tp[b, c, 0] += h
        tm[b, c, 0] -= h
        fd = (first_spike_loss(tp, y, **kw)[0] - first_spike_loss(tm, y, **kw)[0]) / (2 * h)
        assert g[b, c, 0] == pytest.approx(fd, rel=1e-5, abs=1e-9)
    assert g[0, 2, 0] == 0.0


def test_reset_dependence_switch_reaches_the_training_gradient():
    rng = np.random.default_rng(0)
    task = xor_task()
    cfg = FPConfig(hidden=(4,), init_mean=3.0)
    w = [rng.normal(1.0, 0.3, (4, 3)), rng.normal(0.5, 0.3, (2, 4))]
    _, g_on, trains = loss_and_grads(w, task.train_x, task.train_y, cfg)
    assert np.isfinite(trains[1][:, :, 1]).any()  # hidden neurons fire more than once
    _, g_off, _ = loss_and_grads(w, task.train_x, task.train_y, FPConfig(hidden=(4,), reset_dependence=False))
    _, g_kw, _ = loss_and_grads(w, task.train_x, task.train_y, cfg, include_reset_dependence=False)
    assert all(np.array_equal(a, b) for a, b in zip(g_off, g_kw))
    assert not np.allclose(g_on[0], g_off[0])


def _study(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return subprocess.run([sys.executable, str(BENCH / "fp_xor_study.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=600, env=env)


def test_xor_study_rows_for_exact_and_surrogate_gradients(tmp_path):
    out = tmp_path / "study.json"
    assert _study("--row", "a", "--seeds", "1", "--epochs", "3", "--config", '{"lr": 0.03}',
                  "--out", out).returncode == 0
    proc = _study("--row", "s", "--seeds", "1", "--epochs", "3", "--gradient", "surrogate",
                  "--dt", "1.0", "--task", '{"t_bias": 2.0}', "--out", out)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(out.read_text())["rows"]
    assert [r["row"] for r in rows] == ["a", "s"]
    assert rows[0]["config"]["lr"] == 0.03 and rows[1]["task"] == {"t_bias": 2.0}
    assert rows[1]["gradient"] == "surrogate" and rows[0]["converged"] + len(rows[0]["failures"]) == 1


@pytest.mark.parametrize("bad", [["--config", "lr=1"], ["--config", '{"no_such": 1}'],
                                 ["--config", '{"lr": -1}']])
def test_xor_study_rejects_bad_options_in_one_line(tmp_path, bad):
    proc = _study("--row", "x", "--seeds", "1", "--epochs", "1", "--out", tmp_path / "s.json", *bad)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --config")
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_cli_names_the_option_of_a_bad_training_aid(tmp_path, capsys):
    from snnforge.cli import main
    assert main(["train", "--algo", "fp", "--task", "xor", "--epochs", "1", "--out", str(tmp_path),
                 "--quiet", "--dead-nudge", "-0.5"]) == 2
    assert "--dead-nudge must be >= 0" in capsys.readouterr().err


def test_cli_passes_the_training_aids_and_the_reset_switch(tmp_path):
    from snnforge.cli import main
    assert main(["train", "--algo", "fp", "--task", "xor", "--epochs", "1", "--out", str(tmp_path),
                 "--quiet", "--no-plots", "--dead-nudge", "0.1", "--label-push", "0.2",
                 "--tau-push", "6", "--no-reset-term"]) == 0
    cfg = json.loads((tmp_path / "report.json").read_text())["config"]
    assert (cfg["dead_nudge"], cfg["label_push"], cfg["tau_push"], cfg["reset_dependence"]) == \
        (0.1, 0.2, 6.0, False)


def test_lr_decay_scales_the_step_size_per_epoch():
    from snnforge.errors import ConfigError
    from snnforge.golden_model.fp_exact.train import fit
    assert FPConfig(lr=0.1, lr_decay=0.5).lr_at(3) == pytest.approx(0.025)
    for bad in (0.0, 1.5):
        with pytest.raises(ConfigError):
            FPConfig(lr_decay=bad)
    runs = {}
    for epochs in (1, 2):
        for decay in (1.0, 0.5):
            cfg = FPConfig(hidden=(4,), epochs=epochs, batch_size=1, lr=0.03, lr_decay=decay)
            runs[epochs, decay] = fit(xor_task(), cfg, seed=1)["weights"]
    assert all(np.array_equal(u, v) for u, v in zip(runs[1, 1.0], runs[1, 0.5]))  # epoch 1: lr
    assert not np.allclose(runs[2, 1.0][0], runs[2, 0.5][0])
