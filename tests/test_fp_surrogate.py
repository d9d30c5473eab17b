"""The time-stepped surrogate-gradient copy against the exact event-driven model."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.fp_exact.datasets import yin_yang_task
from snnforge.golden_model.fp_exact.lif import simulate
from snnforge.golden_model.fp_exact.surrogate import (gradient_agreement, simulate_stepped,
                                                        stepped_first_spike_times,
                                                        surrogate_loss_and_grads)
from snnforge.golden_model.fp_exact.train import FPConfig, init_network, loss_and_grads


@pytest.fixture(scope="module")
def case():
    task = yin_yang_task(train_size=30, test_size=1)
    cfg = FPConfig(hidden=(20,), max_spikes_hidden=20)
    weights = init_network((5, 20, 3), cfg, np.random.default_rng(0))
    return cfg, weights, task.train_x, task.train_y


def test_stepped_spike_times_converge_to_the_exact_ones(case):
    cfg, weights, x, _ = case
    exact = simulate(weights, x, neuron=cfg.neuron(), max_spikes=cfg.max_spikes())[-1][:, :, 0]
    errs = []
    for dt in (0.5, 0.05):
        spikes, _ = simulate_stepped(weights, x, neuron=cfg.neuron(), dt=dt)
        first, _ = stepped_first_spike_times(spikes[-1], dt=dt, t_max=cfg.t_max)
        both = np.isfinite(exact) & (first < cfg.t_max)
        assert both.mean() > 0.9
        errs.append(np.abs(first - exact)[both].mean())
    assert errs[1] < errs[0] / 5
    assert errs[1] < 0.2


def test_surrogate_gradient_points_along_the_exact_gradient(case):
    cfg, weights, x, y = case
    _, exact, _ = loss_and_grads(weights, x, y, cfg)
    _, surr, _ = surrogate_loss_and_grads(weights, x, y, neuron=cfg.neuron(), dt=0.1,
                                          tau_loss=cfg.tau_loss)
    agree = gradient_agreement(surr, exact)
    assert agree["cosine"] > 0.7
    assert agree["relative_error"] > 0.1  # but it is an estimate, not the exact gradient
    _, detached, _ = surrogate_loss_and_grads(weights, x, y, neuron=cfg.neuron(), dt=0.1,
                                              tau_loss=cfg.tau_loss, detach_reset=True)
    assert gradient_agreement(detached, exact)["cosine"] < agree["cosine"]


def test_gradient_agreement_of_identical_gradients():
    g = [np.arange(6.0).reshape(2, 3), np.ones(4)]
    assert gradient_agreement(g, g) == {"cosine": pytest.approx(1.0), "relative_error": 0.0}
    assert gradient_agreement([-a for a in g], g)["cosine"] == pytest.approx(-1.0)


def test_bad_time_step_is_rejected(case):
    cfg, weights, x, y = case
    with pytest.raises(ConfigError, match="dt"):
        surrogate_loss_and_grads(weights, x, y, neuron=cfg.neuron(), dt=0.0, tau_loss=5.0)
    with pytest.raises(ConfigError, match="slope"):
        surrogate_loss_and_grads(weights, x, y, neuron=cfg.neuron(), dt=0.1, tau_loss=5.0, slope=0)
