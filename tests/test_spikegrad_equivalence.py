"""Event-driven simulation == ANN-equivalent route, bit for bit (counts and weight updates)."""

import numpy as np
import pytest

from snnforge.golden_model.spikegrad import ann_equivalent, event_sim
from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.golden_model.spikegrad.equivalence import (Case, compare, random_case,
                                                           run_equivalence)


@pytest.mark.parametrize("seed", range(4))
def test_routes_identical_on_random_networks(seed):
    # 4 x 300 = 1,200 random networks; 1-4 weight layers; random, adversarial, extreme
    summary = run_equivalence(n_cases=300, seed=seed)
    assert summary["failures"] == []
    assert summary["identical"] == summary["cases"] == 300
    assert summary["deep_cases_3plus_layers"] >= 75
    assert summary["by_kind"]["adversarial"] >= 50 and summary["by_kind"]["extreme"] >= 10
    assert summary["cases_with_undo_spikes"] >= 50  # negative spikes really happen
    assert summary["hidden_totals_at_threshold"] >= 300  # totals at k*theta and +-1
    assert summary["error_spikes"] > 1000


def _bad_if_neuron_step(potential, count, synaptic_input, *, theta, count_max):
    """The rule SPEC warns against: negative spike only at V <= -theta."""
    v = np.asarray(potential, dtype=np.int64) + np.asarray(synaptic_input, dtype=np.int64)
    c = np.asarray(count, dtype=np.int64)
    up = (v >= theta) & (c < count_max)
    down = ~up & (v <= -theta) & (c > 0)
    s = up.astype(np.int64) - down.astype(np.int64)
    return v - s * theta, c + s, s


def test_equivalence_check_catches_the_inexact_negative_rule(monkeypatch):
    monkeypatch.setattr(event_sim, "if_neuron_step", _bad_if_neuron_step)
    summary = run_equivalence(n_cases=200, seed=7)
    assert len(summary["failures"]) > 10


def test_result_independent_of_spike_order():
    rng = np.random.default_rng(3)
    case = random_case(rng, kind="adversarial", max_layers=3, max_width=8)
    runs = [event_sim.train_step(case.weights, case.biases, case.inputs, case.labels,
                                 case.config, order="fifo")]
    for seed in range(5):
        runs.append(event_sim.train_step(case.weights, case.biases, case.inputs, case.labels,
                                         case.config, order="random",
                                         rng=np.random.default_rng(seed)))
    first = runs[0]
    for w, b, results in runs[1:]:
        assert all(np.array_equal(x, y) for x, y in zip(w, first[0]))
        assert all(np.array_equal(x, y) for x, y in zip(b, first[1]))
        for r, r0 in zip(results, first[2]):
            assert all(np.array_equal(x, y) for x, y in zip(r.errors, r0.errors))


def test_mnist_sized_network_identical():
    """Default number formats, 784 inputs, pixel-like inputs, 3 weight layers."""
    rng = np.random.default_rng(11)
    cfg = SpikeGradConfig(sizes=(784, 24, 16, 10), batch=2).validate()
    weights = [rng.integers(-800, 800, size=(o, i)) for i, o in zip(cfg.sizes[:-1], cfg.sizes[1:])]
    biases = [rng.integers(-2000, 2000, size=o) for o in cfg.sizes[1:]]
    pixels = (rng.random((2, 784)) < 0.2) * rng.integers(0, 256, size=(2, 784))
    inputs = pixels >> 4
    case = Case(cfg, weights, biases, inputs, np.array([3, 7]), "mnist-like")
    result = compare(case, order="random", rng=rng)
    assert result.mismatches == []
    fwd = ann_equivalent.forward(weights, biases, inputs, cfg)
    assert fwd.counts[1].sum() > 0  # the network is active


def test_event_sim_rejects_bad_order():
    from snnforge.errors import ConfigError

    case = random_case(np.random.default_rng(0))
    with pytest.raises(ConfigError, match="order"):
        event_sim.simulate_sample(case.weights, case.biases, case.inputs[0], 0, case.config,
                                  order="lifo")
    with pytest.raises(ConfigError, match="rng"):
        event_sim.simulate_sample(case.weights, case.biases, case.inputs[0], 0, case.config,
                                  order="random")


def test_bias_input_of_k_spikes_is_a_synapse_of_count_k():
    """bias_count k: the forward pass sees k * b, the update sum is k * sum(n), in both routes."""
    rng = np.random.default_rng(21)
    one = SpikeGradConfig(sizes=(12, 6, 5, 3), theta=9, theta_bp=5, gradient_scale=60,
                          weight_bits=8, error_bits=8, lr_shift=(2, 3, 4), batch=3)
    k = (5, 3, 7)
    many = one.with_required_widths(bias_count=k)
    one = one.with_required_widths().validate()
    weights = [rng.integers(-40, 41, size=(o, i)) for i, o in zip(one.sizes[:-1], one.sizes[1:])]
    biases = [rng.integers(-20, 21, size=o) for o in one.sizes[1:]]
    x = rng.integers(0, 16, size=(3, 12))
    y = rng.integers(0, 3, size=3)
    fwd_k = ann_equivalent.forward(weights, biases, x, many)
    fwd_1 = ann_equivalent.forward(weights, [kb * b for kb, b in zip(k, biases)], x, one)
    for a, b in zip(fwd_k.totals + fwd_k.counts, fwd_1.totals + fwd_1.counts):
        np.testing.assert_array_equal(a, b)
    assert any(c[:, :].any() for c in fwd_k.counts[1:])
    errors = ann_equivalent.backward(weights, fwd_k, y, many)
    _, bias_k = ann_equivalent.product_sums(fwd_k, errors, many)
    _, bias_1 = ann_equivalent.product_sums(fwd_k, errors, one)
    for kb, s_k, s_1 in zip(k, bias_k, bias_1):
        np.testing.assert_array_equal(s_k, kb * s_1)
    assert any(s.any() for s in bias_1)
    result = compare(Case(many, weights, biases, x, y, "random"), order="random",
                     rng=np.random.default_rng(0))
    assert result.mismatches == []
    w_a, b_a, _, _ = ann_equivalent.train_step(weights, biases, x, y, many)
    w_1, b_1, _, _ = ann_equivalent.train_step(weights, biases, x, y, one)
    assert any(not np.array_equal(a, b) for a, b in zip(b_a, b_1))  # k changes the update


def test_random_cases_draw_bias_inputs_of_several_spikes():
    rng = np.random.default_rng(0)
    counts = {random_case(rng, kind="random").config.layer_bias_count(0) for _ in range(40)}
    assert counts == {1, 2, 3, 4}
