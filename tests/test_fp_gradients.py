"""Exact spike-time gradients (SPEC 1.3) against central finite differences."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.fp_exact.gradients import contract_gradients, spike_sensitivities
from snnforge.golden_model.fp_exact.lif import LIFParams, first_crossing, simulate
from snnforge.golden_model.fp_exact.loss import first_spike_loss

NEURON = LIFParams(tau_mem=10.0, tau_syn=5.0, theta=1.0, t_max=40.0)


def _membrane(weights_row, in_times, in_src, own_spikes, t):
    """V(t) summed from scratch (independent of the simulator's running state)."""
    lag = t[:, None] - in_times[None, :]
    v = (weights_row[in_src][None, :] * NEURON.kernel(lag)).sum(axis=1)
    own = t[:, None] - own_spikes[None, :]
    return v - NEURON.theta * np.where(own > 0, np.exp(-NEURON.alpha * np.where(own > 0, own, 0)),
                                       0.0).sum(axis=1)


def test_first_crossing_finds_a_bump_that_ends_below_threshold():
    # V rises above theta and decays below it again before the interval ends: checking only the
    # end point would miss the spike.
    a, b = np.array([6.0]), np.array([-6.0])
    s = first_crossing(a, b, np.array([50.0]), alpha=NEURON.alpha, beta=NEURON.beta, theta=1.0)
    grid = np.linspace(0, 50, 200001)
    v = a * np.exp(-NEURON.alpha * grid) + b * np.exp(-NEURON.beta * grid)
    assert v[-1] < 1.0
    assert s[0] == pytest.approx(grid[np.argmax(v >= 1.0)], abs=1e-3)
    assert a * np.exp(-NEURON.alpha * s) + b * np.exp(-NEURON.beta * s) == pytest.approx(1.0, abs=1e-13)


def test_first_crossing_matches_dense_grid_on_random_states():
    rng = np.random.default_rng(3)
    a = rng.uniform(-5, 20, 800)
    b = rng.uniform(-20, 5, 800)
    keep = a + b < 1.0
    a, b = a[keep], b[keep]
    h = rng.uniform(0.1, 30, a.size)
    s = first_crossing(a, b, h, alpha=NEURON.alpha, beta=NEURON.beta, theta=1.0)
    grid = np.linspace(0, 1, 5001)[None, :] * h[:, None]
    v = a[:, None] * np.exp(-NEURON.alpha * grid) + b[:, None] * np.exp(-NEURON.beta * grid)
    crossed = (v >= 1.0).any(axis=1)
    assert crossed.sum() > 50 and (~crossed).sum() > 50
    assert np.array_equal(np.isfinite(s), crossed)
    first = grid[np.arange(a.size), np.argmax(v >= 1.0, axis=1)]
    assert np.allclose(s[crossed], first[crossed], atol=2 * h[crossed].max() / 5000)


def test_spikes_sit_on_threshold_and_membrane_stays_below_between_them():
    rng = np.random.default_rng(5)
    w = rng.normal(0.6, 0.5, (1, 6))
    inp = np.sort(rng.uniform(0, 15, (1, 6, 3)), axis=2)
    out = simulate([w], inp, neuron=NEURON, max_spikes=[30])[1][0, 0]
    spikes = out[np.isfinite(out)]
    assert spikes.size >= 4
    in_times = inp[0].ravel()
    in_src = np.repeat(np.arange(6), 3)
    v_at = _membrane(w[0], in_times, in_src, spikes, spikes)  # own spike r counts only after t_r
    assert np.allclose(v_at, NEURON.theta, atol=1e-12)
    grid = np.linspace(0, NEURON.t_max, 40001)
    v = _membrane(w[0], in_times, in_src, spikes, grid)
    assert v.max() < NEURON.theta + 1e-9


def _random_network(seed, sizes=(4, 6, 5, 3), batch=3, mean=0.5):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(mean, 0.8, (o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    inp = np.sort(rng.uniform(0, 10, (batch, sizes[0], 3)), axis=2)
    return weights, inp


def _fd_check(weights, inp, objective, max_spikes, h=1e-6):
    """Central differences of ``objective(trains)``; asserts no spike appears or vanishes."""
    base = [np.isfinite(t) for t in simulate(weights, inp, neuron=NEURON, max_spikes=max_spikes)]
    fd = [np.zeros_like(w) for w in weights]
    for li, w in enumerate(weights):
        for idx in np.ndindex(w.shape):
            vals = []
            for sign in (1, -1):
                ws = [x.copy() for x in weights]
                ws[li][idx] += sign * h
                trains = simulate(ws, inp, neuron=NEURON, max_spikes=max_spikes)
                for t, m in zip(trains, base):
                    assert np.array_equal(np.isfinite(t), m), "a spike appeared or vanished"
                vals.append(objective(trains))
            fd[li][idx] = (vals[0] - vals[1]) / (2 * h)
    return np.concatenate([g.ravel() for g in fd])


def _rel_err(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.fixture(scope="module", params=[0, 1])
def all_spikes_case(request):
    """A 3-layer network whose hidden neurons fire several times, a random linear functional of
    every spike time, and its central-difference gradient."""
    seed = request.param
    weights, inp = _random_network(seed, sizes=(3, 5, 4, 2), batch=2, mean=0.8)
    max_spikes = [12, 12, 6]
    trains = simulate(weights, inp, neuron=NEURON, max_spikes=max_spikes)
    counts = np.isfinite(trains[1]).sum(axis=2)
    assert counts.max() >= 4 and (counts >= 2).sum() >= 6  # hidden neurons fire several times
    assert np.isfinite(trains[2]).sum(axis=2).max() >= 2
    coef = [np.random.default_rng(seed + 100).normal(size=t.shape) for t in trains[1:]]

    def objective(tr):
        return sum((np.where(np.isfinite(t), t, 0.0) * c).sum() for t, c in zip(tr[1:], coef))

    fd = _fd_check(weights, inp, objective, max_spikes)
    return weights, trains, coef, fd


def _exact_all_spikes(case, **kwargs):
    weights, trains, coef, _ = case
    sens = spike_sensitivities(weights, trains, neuron=NEURON, **kwargs)
    grads = contract_gradients(weights, sens, {l + 1: c for l, c in enumerate(coef)})
    return np.concatenate([g.ravel() for g in grads])


def test_all_spike_times_gradient_equals_central_differences(all_spikes_case):
    assert _rel_err(_exact_all_spikes(all_spikes_case), all_spikes_case[3]) <= 1e-6


def test_dropping_the_reset_dependence_breaks_the_match(all_spikes_case):
    exact = _exact_all_spikes(all_spikes_case, include_reset_dependence=False)
    assert _rel_err(exact, all_spikes_case[3]) > 1e-2


def test_loss_gradient_equals_central_differences():
    weights, inp = _random_network(7, sizes=(4, 6, 3), batch=3, mean=0.8)
    labels = np.array([0, 1, 2])
    max_spikes = [10, 3]
    trains = simulate(weights, inp, neuron=NEURON, max_spikes=max_spikes)
    assert np.isfinite(trains[2][:, :, 0]).all()
    assert np.isfinite(trains[1]).sum(axis=2).max() >= 3

    def objective(tr):
        return first_spike_loss(tr[-1], labels, t_max=NEURON.t_max, tau_loss=3.0)[0]

    _, dl_dt = first_spike_loss(trains[-1], labels, t_max=NEURON.t_max, tau_loss=3.0)
    sens = spike_sensitivities(weights, trains, neuron=NEURON)
    grads = contract_gradients(weights, sens, {2: dl_dt})
    fd = _fd_check(weights, inp, objective, max_spikes)
    assert _rel_err(np.concatenate([g.ravel() for g in grads]), fd) <= 1e-6


def test_first_spikes_are_unaffected_by_dropping_the_reset_dependence():
    weights, inp = _random_network(2, sizes=(4, 5))
    trains = simulate(weights, inp, neuron=NEURON, max_spikes=[12])
    with_reset = spike_sensitivities(weights, trains, neuron=NEURON)[0].row
    without = spike_sensitivities(weights, trains, neuron=NEURON, include_reset_dependence=False)[0].row
    assert np.array_equal(with_reset[:, :, 0], without[:, :, 0])
    assert not np.allclose(with_reset[:, :, 1:], without[:, :, 1:])


@pytest.mark.parametrize("kwargs", [dict(tau_mem=5.0, tau_syn=5.0), dict(theta=0.0),
                                    dict(t_max=float("inf")), dict(tau_syn=-1.0)])
def test_invalid_neuron_parameters_are_rejected(kwargs):
    with pytest.raises(ConfigError):
        LIFParams(**kwargs)


def test_simulate_rejects_mismatched_shapes():
    weights, inp = _random_network(0)
    with pytest.raises(ConfigError, match="max_spikes"):
        simulate(weights, inp, neuron=NEURON, max_spikes=[3])
    with pytest.raises(ConfigError, match="input_times"):
        simulate(weights, inp[:, :2], neuron=NEURON, max_spikes=[3, 3, 3])
