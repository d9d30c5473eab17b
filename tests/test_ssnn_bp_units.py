"""Each SSNN-BP unit function against a direct (scalar, pure-Python) reference computation."""
import math

import numpy as np
import pytest

from snnforge.golden_model.ann import softmax
from snnforge.golden_model.ssnn_bp import units

RNG = np.random.default_rng(2024)


def test_encode_input_matches_reference_and_probability():
    px = RNG.integers(0, 256, 500).astype(np.uint8)
    r = RNG.integers(0, 256, 500)
    got = units.encode_input(px, r)
    assert got.tolist() == [int(ri) < int(pi) for pi, ri in zip(px, r)]
    # P(spike) = pixel / 256 exactly: enumerate every random byte
    for p in (0, 1, 128, 255):
        assert units.encode_input(np.full(256, p, np.uint8), np.arange(256)).sum() == p


def _forward_ref(u, r, frac, slope):
    one = 1 << frac
    a = (u << slope if slope >= 0 else u >> -slope) + one // 2
    p = min(max(a, 0), one) << (16 - frac)
    return r < p, 0 < a < one


@pytest.mark.parametrize("frac,slope", [(8, 0), (6, 0), (10, 1), (8, -2), (16, 0)])
def test_neuron_forward_matches_reference(frac, slope):
    u = RNG.integers(-3 << frac, 3 << frac, 400)
    r = RNG.integers(0, 1 << 16, 400)
    spike, gate = units.neuron_forward(u, r, frac_bits=frac, slope_log2=slope)
    ref = [_forward_ref(int(a), int(b), frac, slope) for a, b in zip(u, r)]
    assert spike.tolist() == [s for s, _ in ref]
    assert gate.tolist() == [g for _, g in ref]


def test_neuron_forward_probability_is_hard_sigmoid():
    frac = 8
    for u_val in (-200, -128, -64, 0, 37, 127, 128, 500):
        spikes, _ = units.neuron_forward(np.full(1 << 16, u_val), np.arange(1 << 16), frac_bits=frac)
        f = min(max(u_val / 256 + 0.5, 0.0), 1.0)
        assert spikes.mean() == pytest.approx(f, abs=1e-12)


def test_synaptic_accumulate_single_and_batch():
    w = RNG.integers(-512, 512, size=(31, 7))  # 30 inputs + bias row
    s = RNG.random((5, 30)) < 0.4
    batch = units.synaptic_accumulate(w, s)
    for b in range(5):
        ref = [int(w[30, j]) + sum(int(w[i, j]) for i in range(30) if s[b, i]) for j in range(7)]
        assert units.synaptic_accumulate(w, s[b]).tolist() == ref
        assert batch[b].tolist() == ref


def test_error_backprop_reads_two_columns():
    w2 = RNG.integers(-512, 512, size=(9, 4))
    e_pos, e_neg = units.error_split(3, 1, n_out=4)
    b = units.error_backprop(w2, e_pos, e_neg)
    assert b.tolist() == [int(w2[j, 3]) - int(w2[j, 1]) for j in range(8)]
    e_pos, e_neg = units.error_split(2, 2, n_out=4)
    assert not units.error_backprop(w2, e_pos, e_neg).any()


@pytest.mark.parametrize("frac,beta", [(8, 2), (6, 0), (12, 3)])
def test_neuron_backward_matches_reference(frac, beta):
    b = RNG.integers(-(1 << frac), 1 << frac, 500)
    gate = RNG.random(500) < 0.7
    r = RNG.integers(0, 1 << 16, 500)
    gp, gn = units.neuron_backward(b, gate, r, frac_bits=frac, beta_log2=beta)
    for i in range(500):
        p = min(abs(int(b[i])) << beta, 1 << frac) << (16 - frac)
        fire = bool(gate[i]) and int(r[i]) < p
        assert gp[i] == (fire and b[i] > 0) and gn[i] == (fire and b[i] < 0)


def test_gumbel_table_reference():
    t = units.gumbel_table(index_bits=4, frac_bits=8)
    ref = [round(-math.log(-math.log((i + 0.5) / 16)) * 256) for i in range(16)]
    assert t.tolist() == ref and np.all(np.diff(t) > 0)


def test_wta_reference_and_tie_break():
    table = units.gumbel_table(index_bits=8, frac_bits=8)
    z = RNG.integers(-300, 300, size=(200, 10))
    r = RNG.integers(0, 1 << 16, size=(200, 10))
    k = units.wta(z, r, table, index_bits=8)
    for n in range(200):
        scores = [int(z[n, c]) + int(table[int(r[n, c]) & 255]) for c in range(10)]
        assert k[n] == scores.index(max(scores))
    # ties: all scores equal -> lowest index wins
    assert units.wta(np.zeros(5, int), np.full(5, 7), table, index_bits=8) == 0
    assert units.wta(np.array([0, 5, 5]), np.zeros(3, int), table, index_bits=8) == 1


def test_wta_samples_softmax():
    """Win frequencies of the table-based WTA match softmax(z) (chi-square, fixed seed)."""
    frac = 8
    table = units.gumbel_table(index_bits=8, frac_bits=frac)
    zf = np.array([1.0, 0.0, -0.5, 2.0, 0.3])
    z = np.rint(zf * (1 << frac)).astype(np.int64)
    n = 40000
    r = np.random.default_rng(1).integers(0, 1 << 16, size=(n, 5))
    wins = np.bincount(units.wta(np.broadcast_to(z, (n, 5)), r, table, index_bits=8), minlength=5)
    expect = softmax(z / (1 << frac)) * n
    chi2 = ((wins - expect) ** 2 / expect).sum()
    assert chi2 < 25  # 4 dof: p ~ 5e-5; a biased table (e.g. no Gumbel) fails by orders of magnitude


def test_error_stream_expectation_is_softmax_minus_label():
    """E[e+ - e-] over WTA samples equals softmax(z) - onehot(y) within a tolerance."""
    table = units.gumbel_table(index_bits=8, frac_bits=8)
    z = np.array([200, -100, 50, 0, 120, -300, 10, 90, -20, 60])
    y = 4
    n = 60000
    r = np.random.default_rng(5).integers(0, 1 << 16, size=(n, 10))
    k = units.wta(np.broadcast_to(z, (n, 10)), r, table, index_bits=8)
    e_pos, e_neg = units.error_split(k, np.full(n, y), n_out=10)
    mean = (e_pos.astype(float) - e_neg).mean(axis=0)
    target = softmax(z / 256.0) - np.eye(10)[y]
    assert np.abs(mean - target).max() < 0.012  # ~5 sd at n = 60000; table bias < 0.005


def test_error_split_reference():
    k = np.array([0, 3, 3, 9])
    y = np.array([0, 3, 1, 2])
    ep, en = units.error_split(k, y, n_out=10)
    for n in range(4):
        assert ep[n].tolist() == [c == k[n] and k[n] != y[n] for c in range(10)]
        assert en[n].tolist() == [c == y[n] and k[n] != y[n] for c in range(10)]


def test_coincidence_update_reference_and_saturation():
    wb = 6
    w = RNG.integers(-32, 32, 1000)
    w[:20] = -32
    w[20:40] = 31
    pre = RNG.random(1000) < 0.7
    pos = RNG.random(1000) < 0.4
    neg = ~pos & (RNG.random(1000) < 0.5)
    r = RNG.integers(0, 1 << 16, 1000)
    got = units.coincidence_update(w, pre=pre, post_pos=pos, post_neg=neg, rand16=r, gate_bits=12,
                                   gate_threshold=1500, weight_bits=wb)
    for i in range(1000):
        gated = (int(r[i]) & 0xFFF) < 1500
        step = (int(neg[i]) - int(pos[i])) if (pre[i] and gated) else 0
        assert got[i] == min(max(int(w[i]) + step, -32), 31)
    assert got.min() >= -32 and got.max() <= 31


def test_coincidence_gate_probability():
    r = np.arange(1 << 16)
    w = np.zeros(1 << 16, np.int64)
    got = units.coincidence_update(w, pre=True, post_pos=True, post_neg=False, rand16=r,
                                   gate_bits=16, gate_threshold=1234, weight_bits=8)
    assert (got == -1).sum() == 1234 and (got == 0).sum() == (1 << 16) - 1234
