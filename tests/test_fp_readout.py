"""Membrane readout, training schedule, weight average and seeds trained side by side."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.fp_exact.datasets import yin_yang_task
from snnforge.golden_model.fp_exact.lif import LIFParams
from snnforge.golden_model.fp_exact.objective import forward, network_loss
from snnforge.golden_model.fp_exact.readout import max_membrane
from snnforge.golden_model.fp_exact.replicas import fit_replicas
from snnforge.golden_model.fp_exact.train import FPConfig, fit, update_average

NEURON = LIFParams(tau_mem=10.0, tau_syn=5.0, theta=1.0, t_max=40.0)


def _hidden_trains(seed, b=5, n=6, s=3):
    rng = np.random.default_rng(seed)
    h = rng.uniform(0, 30, (b, n, s))
    h[rng.random((b, n, s)) < 0.3] = np.inf
    return np.sort(h, axis=2)


def test_max_membrane_is_the_maximum_of_the_membrane_on_a_dense_grid():
    h = _hidden_trains(1)
    w = np.random.default_rng(2).normal(0.1, 0.7, (3, h.shape[1]))
    v_max, t_star, _, _ = max_membrane(w, h, neuron=NEURON)
    grid = np.linspace(0, NEURON.t_max, 200001)
    for b in range(h.shape[0]):
        for c in range(3):
            fin = np.isfinite(h[b])
            j, _ = np.nonzero(fin)
            v = (w[c, j][None, :] * NEURON.kernel(grid[:, None] - h[b][fin][None, :])).sum(axis=1)
            v = np.maximum(v, 0.0)  # V(0) = 0 is a candidate
            assert v_max[b, c] == pytest.approx(v.max(), abs=1e-4)  # grid step 2e-4 ms at a kink
            assert v_max[b, c] >= v.max() - 1e-12  # exact maximum, never below the grid's
            if v.max() > 0:
                assert t_star[b, c] == pytest.approx(grid[v.argmax()], abs=2e-3)


def test_max_membrane_derivatives_equal_central_differences():
    h = _hidden_trains(4)
    w = np.random.default_rng(5).normal(0.1, 0.7, (3, h.shape[1]))
    _, _, dv_dw, dv_dt = max_membrane(w, h, neuron=NEURON)
    eps = 1e-6
    for c, j in [(0, 0), (1, 3), (2, 5)]:
        wp, wm = w.copy(), w.copy()
        wp[c, j] += eps
        wm[c, j] -= eps
        num = (max_membrane(wp, h, neuron=NEURON)[0] - max_membrane(wm, h, neuron=NEURON)[0]) / (2 * eps)
        assert np.allclose(num[:, c], dv_dw[:, c, j], atol=1e-7)
    checked = 0
    for j, r in [(0, 0), (2, 1), (4, 0), (5, 2), (1, 1)]:
        fin = np.isfinite(h[:, j, r])
        hp, hm = h.copy(), h.copy()
        hp[:, j, r] += eps
        hm[:, j, r] -= eps
        num = (max_membrane(w, hp, neuron=NEURON)[0] - max_membrane(w, hm, neuron=NEURON)[0]) / (2 * eps)
        assert np.allclose(num[fin], dv_dt[fin, :, j, r], atol=1e-7)
        checked += int((np.abs(dv_dt[fin, :, j, r]) > 1e-3).sum())
    assert checked > 5


def _cfg(**kw):
    return FPConfig(**{**dict(hidden=(6,), tau_mem=10.0, tau_syn=5.0, t_max=40.0, max_spikes_hidden=6,
                              readout="max_membrane", membrane_scale=3.0), **kw})


def test_membrane_readout_loss_gradient_equals_central_differences():
    rng = np.random.default_rng(7)
    weights = [rng.normal(0.8 / 4, 0.5, (6, 4)), rng.normal(0.2, 0.6, (3, 6))]
    x = np.sort(rng.uniform(0, 12, (4, 4, 2)), axis=2)
    y = np.array([0, 1, 2, 1])
    cfg = _cfg()
    trains, _, _ = forward(weights, x, cfg)
    assert np.isfinite(trains[1]).sum(axis=2).max() >= 2  # the reset term is exercised
    _, grads, _, _ = network_loss(weights, x, y, cfg)
    exact = np.concatenate([g.ravel() for g in grads])
    fd, eps = [], 1e-6
    for li, w in enumerate(weights):
        for idx in np.ndindex(w.shape):
            vals = []
            for sign in (1, -1):
                ws = [v.copy() for v in weights]
                ws[li][idx] += sign * eps
                vals.append(network_loss(ws, x, y, cfg)[0])
            fd.append((vals[0] - vals[1]) / (2 * eps))
    fd = np.array(fd)
    assert np.linalg.norm(exact - fd) / np.linalg.norm(fd) <= 1e-6
    _, without, _, _ = network_loss(weights, x, y, cfg, include_reset_dependence=False)
    assert not np.allclose(without[0], grads[0])


def test_cosine_schedule_weight_average_and_readout_are_validated():
    cfg = FPConfig(lr=0.01, epochs=4, lr_schedule="cosine")
    assert [round(cfg.lr_at(e), 6) for e in (1, 3)] == [0.01, 0.005]
    assert cfg.lr_at(4) < cfg.lr_at(3)
    avg, w = [np.zeros(3)], [np.ones(3)]
    update_average(avg, w, 0.75)
    assert np.allclose(avg[0], 0.25)
    for kw, name in [({"lr_schedule": "step"}, "lr_schedule"), ({"weight_average": 1.0}, "weight_average"),
                     ({"readout": "rate"}, "readout"), ({"membrane_scale": 0.0}, "membrane_scale")]:
        with pytest.raises(ConfigError, match=name):
            FPConfig(**kw)


@pytest.mark.parametrize("readout", ["first_spike", "max_membrane"])
def test_seeds_side_by_side_train_like_one_seed_at_a_time(readout):
    task = yin_yang_task(train_size=40, test_size=20)
    cfg = FPConfig(hidden=(8,), lr=0.005, batch_size=10, init_mean=1.0, silent_nudge=0.2,
                   grad_clip=1.0, epochs=1, dead_nudge=0.05, weight_average=0.9, readout=readout,
                   rest_nudge=0.1)
    side = fit_replicas(task, cfg, seeds=[3, 4])
    for r, seed in enumerate((3, 4)):
        alone = fit(task, cfg, seed=seed)
        for a, b in zip(alone["weights"], side["weights"][r]):
            assert np.allclose(a, b, rtol=0, atol=1e-9)
        assert alone["test"]["accuracy"] == side["history"][-1]["test_accuracy"][r]


def test_surrogate_membrane_readout_is_exact_without_hidden_layers():
    """With no hidden layer nothing has a threshold, so the stepped BPTT gradient of the
    membrane readout is the true gradient of the stepped model's loss."""
    from snnforge.golden_model.fp_exact.surrogate import surrogate_loss_and_grads

    rng = np.random.default_rng(11)
    w = [rng.normal(0.3, 0.6, (3, 5))]
    x = np.sort(rng.uniform(0, 12, (4, 5, 2)), axis=2)
    y = np.array([0, 1, 2, 0])
    kw = dict(neuron=NEURON, dt=0.5, tau_loss=5.0, readout="max_membrane", membrane_scale=3.0)
    loss, (g,), _ = surrogate_loss_and_grads(w, x, y, **kw)
    fd, eps = np.zeros_like(w[0]), 1e-6
    for idx in np.ndindex(w[0].shape):
        wp, wm = w[0].copy(), w[0].copy()
        wp[idx] += eps
        wm[idx] -= eps
        fd[idx] = (surrogate_loss_and_grads([wp], x, y, **kw)[0]
                   - surrogate_loss_and_grads([wm], x, y, **kw)[0]) / (2 * eps)
    assert np.abs(fd).max() > 1e-3
    assert np.allclose(g, fd, atol=1e-7)


def test_surrogate_seeds_side_by_side_train_like_one_seed_at_a_time():
    from snnforge.golden_model.fp_exact.replicas import fit_surrogate_replicas
    from snnforge.golden_model.fp_exact.surrogate import surrogate_train_epoch
    from snnforge.golden_model.fp_exact.train import Adam, init_network

    task = yin_yang_task(train_size=30, test_size=10)
    cfg = FPConfig(hidden=(8,), lr=0.005, batch_size=10, init_mean=1.0, grad_clip=1.0, epochs=1,
                   readout="max_membrane")
    side = fit_surrogate_replicas(task, cfg, seeds=[5, 6], dt=1.0)
    for r, seed in enumerate((5, 6)):
        rng = np.random.default_rng(seed)
        w = init_network((5, 8, 3), cfg, rng)
        surrogate_train_epoch(w, Adam(lr=cfg.lr), task.train_x, task.train_y, cfg, dt=1.0, rng=rng)
        for a, b in zip(w, side["weights"][r]):
            assert np.allclose(a, b, rtol=0, atol=1e-9)


def test_rest_nudge_raises_label_outputs_that_never_rise_above_rest():
    from snnforge.golden_model.fp_exact.train import rest_nudge

    cfg = _cfg(rest_nudge=0.1)
    rng = np.random.default_rng(2)
    w = [rng.normal(0.5, 0.3, (6, 4)), -np.abs(rng.normal(0.3, 0.1, (3, 6)))]
    w[1][2] = np.abs(w[1][2])  # output 2 rises above rest, outputs 0 and 1 never do
    x = np.sort(rng.uniform(0, 12, (3, 4, 1)), axis=2)
    y = np.array([0, 2, 0])
    trains, logits, _ = forward(w, x, cfg)
    assert (np.abs(logits[:, :2]) < 1e-12).all() and (logits[:, 2] > 0.1).all()
    before = [a.copy() for a in w]
    rest_nudge(w, trains, y, 0.1, cfg)
    counts = np.isfinite(trains[1]).sum(axis=2)  # hidden spikes per sample
    assert np.allclose(w[1][0] - before[1][0], 0.1 * counts[[0, 2]].sum(axis=0) / 3)
    assert np.array_equal(w[1][1:], before[1][1:])  # output 2 is not starved, output 1 not a label
