"""SpikeGrad per-unit step functions: exact rules, invariants, saturation, rounding."""
import numpy as np
import pytest

from snnforge.golden_model.spikegrad.units import (apply_weight_update, derivative_gate,
                                                     error_integrator_step, if_neuron_step,
                                                     input_counts, output_error,
                                                     output_error_fixed, FixedLossFormat,
                                                     quiescent_count, quiescent_error_count,
                                                     round_shift, saturate, weight_update)


def test_if_neuron_rules():
    v, c, s = if_neuron_step([0, 9, 30, -1, -1, 20], [0, 0, 0, 0, 2, 3], [10, 0, 0, 0, 0, 0],
                             theta=10, count_max=3)
    # fires +1 at V >= theta, at most one spike per step, -1 only with a positive count,
    # no +1 at count_max
    assert s.tolist() == [1, 0, 1, 0, -1, 0]
    assert v.tolist() == [0, 9, 20, -1, 9, 20]
    assert c.tolist() == [1, 0, 1, 0, 1, 3]


def test_if_neuron_does_not_fire_negative_at_minus_theta_only():
    # the exact rule undoes at V < 0, not at V <= -theta
    v, c, s = if_neuron_step(-1, 1, 0, theta=10, count_max=7)
    assert (int(s), int(v), int(c)) == (-1, 9, 0)


@pytest.mark.parametrize("seed", range(5))
def test_if_neuron_invariant_and_quiescence(seed):
    rng = np.random.default_rng(seed)
    theta, cmax = int(rng.integers(1, 20)), int(rng.integers(1, 8))
    v = np.zeros(50, dtype=np.int64)
    c = np.zeros(50, dtype=np.int64)
    total = np.zeros(50, dtype=np.int64)
    for _ in range(40):
        inp = rng.integers(-3 * theta, 3 * theta + 1, size=50) * (rng.random(50) < 0.5)
        total += inp
        v, c, _ = if_neuron_step(v, c, inp, theta=theta, count_max=cmax)
        assert ((c >= 0) & (c <= cmax)).all()
        assert (v == total - theta * c).all()  # V = a - theta * c at every step
    for _ in range(4 * cmax + 4):
        v, c, s = if_neuron_step(v, c, 0, theta=theta, count_max=cmax)
    assert not s.any()
    assert (c == quiescent_count(total, theta=theta, count_max=cmax)).all()
    assert (c == np.clip(np.floor(total / theta), 0, cmax)).all()


def test_error_integrator_rules_both_signs():
    u, n, s = error_integrator_step([10, -10, -1, 1, 9, -9, 25, -25], [0, 0, 2, -2, 0, 0, 3, -3],
                                    0, theta_bp=10, error_max=3)
    assert s.tolist() == [1, -1, -1, 1, 0, 0, 0, 0]
    assert n.tolist() == [1, -1, 1, -1, 0, 0, 3, -3]
    assert u.tolist() == [0, 0, 9, -9, 9, -9, 25, -25]


@pytest.mark.parametrize("seed", range(5))
def test_error_integrator_invariant_and_trunc(seed):
    rng = np.random.default_rng(100 + seed)
    theta, emax = int(rng.integers(1, 20)), int(rng.integers(1, 8))
    u = np.zeros(60, dtype=np.int64)
    n = np.zeros(60, dtype=np.int64)
    total = np.zeros(60, dtype=np.int64)
    for _ in range(40):
        inp = rng.integers(-3 * theta, 3 * theta + 1, size=60) * (rng.random(60) < 0.5)
        total += inp
        u, n, _ = error_integrator_step(u, n, inp, theta_bp=theta, error_max=emax)
        assert (np.abs(n) <= emax).all()
        assert (u == total - theta * n).all()
    for _ in range(4 * emax + 4):
        u, n, s = error_integrator_step(u, n, 0, theta_bp=theta, error_max=emax)
    assert not s.any()
    assert (n == quiescent_error_count(total, theta_bp=theta, error_max=emax)).all()
    assert (n == np.clip(np.trunc(total / theta), -emax, emax)).all()


def test_derivative_gate():
    assert derivative_gate([0, 1, 5, 0]).tolist() == [0, 1, 1, 0]


def test_round_shift_nearest_ties_away_and_symmetric():
    x = np.arange(-40, 41)
    r = round_shift(x, 3)
    assert (r == -round_shift(-x, 3)).all()
    assert round_shift([4, 3, -4, -3, 12, -12, 0], 3).tolist() == [1, 0, -1, 0, 2, -2, 0]
    assert (round_shift(x, 0) == x).all()
    assert (np.abs(r - x / 8) <= 0.5).all()
    big = np.random.default_rng(0).integers(-2**40, 2**40, size=10000)
    for shift in (1, 7, 15, 30):  # the one-adder form equals sign-magnitude rounding
        ref = np.sign(big) * ((np.abs(big) + (1 << (shift - 1))) >> shift)
        assert (round_shift(big, shift) == ref).all()


def test_saturate_and_weight_update():
    assert saturate([200, -200, 5], 8).tolist() == [127, -128, 5]
    # W - round(lr_mult * n * c / 2**shift), saturating both ways
    assert weight_update([0, 120, -120], [3, -10, 10], [5, 200, 200], lr_mult=1, lr_shift=2,
                         weight_bits=8).tolist() == [-4, 127, -128]
    assert apply_weight_update([10], [6], lr_mult=3, lr_shift=1, weight_bits=8).tolist() == [1]


def test_input_counts():
    assert input_counts([0, 15, 16, 255], input_bits=4).tolist() == [0, 0, 1, 15]
    assert input_counts([255], input_bits=8).tolist() == [255]


def test_output_error():
    totals = np.array([[0, 0, 0, 0], [4000, 0, 0, -4000]])
    e = output_error(totals, [1, 0], theta=1000, gradient_scale=1000)
    assert e[0].tolist() == [250, -750, 250, 250]
    assert e[1, 0] < 0 and (e[1, 1:] >= 0).all()
    assert (np.abs(e) <= 1000).all()


FIXED_CASES = [  # theta, G, F, X, classes
    (1 << 14, 1 << 30, 10, 17, 10), (1 << 16, 1 << 32, 10, 17, 10), (37, 1000, 4, 6, 3),
    (1, 7, 1, 4, 2), (4096, 4096 * 256, 8, 12, 100)]


def _totals(rng, n, classes, theta):
    scale = rng.choice([theta / 8, theta, 8 * theta, 100 * theta], size=(n, 1))
    return np.rint(rng.standard_normal((n, classes)) * scale).astype(np.int64)


@pytest.mark.parametrize("theta,g,frac,exp,classes", FIXED_CASES)
def test_output_error_fixed_properties(theta, g, frac, exp, classes):
    rng = np.random.default_rng(classes)
    t = _totals(rng, 400, classes, theta)
    labels = rng.integers(0, classes, size=len(t))
    kw = dict(theta=theta, gradient_scale=g, frac_bits=frac, exp_bits=exp)
    e = output_error_fixed(t, labels, **kw)
    assert e.dtype == np.int64 and e.shape == t.shape
    rows = np.arange(len(t))
    on = e[rows, labels]
    off = e.copy()
    off[rows, labels] = 0
    assert (on <= 0).all() and (on >= -g).all() and (off >= 0).all() and (off <= g).all()
    # probabilities rounded one by one: the row sums to 0 within C / 2
    assert (np.abs(e.sum(axis=1)) <= classes / 2).all()
    # agreement with the float loss within the documented bound
    bound = g * 2.0 ** -frac + classes * g * 2.0 ** -exp + 1
    assert np.abs(e - output_error(t, labels, theta=theta, gradient_scale=g)).max() <= bound
    # vectorized: row by row gives the same integers; shifting all totals changes nothing
    for i in range(0, len(t), 97):
        assert (output_error_fixed(t[i:i + 1], labels[i:i + 1], **kw) == e[i]).all()
    assert (output_error_fixed(t + 12345, labels, **kw) == e).all()


def test_output_error_fixed_exact_cases():
    kw = dict(theta=1000, gradient_scale=1000, frac_bits=8, exp_bits=12)
    # equal totals: every probability exactly 1 / C
    assert output_error_fixed(np.zeros((1, 4), np.int64), [1], **kw)[0].tolist() == [
        250, -750, 250, 250]
    # one class far above the others: its error is exactly 0 when labelled, G otherwise
    t = np.array([[10 ** 9, 0, 0]])
    assert output_error_fixed(t, [0], **kw)[0].tolist() == [0, 0, 0]
    assert output_error_fixed(t, [2], **kw)[0].tolist() == [1000, 0, -1000]


def test_fixed_loss_format_widths():
    fmt = FixedLossFormat(classes=10, theta=1 << 14, gradient_scale=1 << 30, frac_bits=10,
                          exp_bits=17)
    assert fmt.table[0] == 1 << 17 and len(fmt.table) == 1024 and fmt.e_bits == 18
    assert max(fmt.table).bit_length() <= fmt.e_bits and fmt.k_mul.bit_length() <= 18
    # d_sat is the first difference whose exponential is 0 for sure, and the clamp is exact
    t = np.array([[0, -fmt.d_sat, -(fmt.d_sat - 1), -(1 << 28)]])
    e = fmt.exponentials(t)[0]
    assert e[1] == 0 and e[3] == 0 and e[0] == 1 << 17
    assert fmt.quot_bits == 31 and fmt.num_bits <= 62
