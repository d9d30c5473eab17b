"""The bit-true and float SSNN-BP networks: determinism, structure, agreement, learning."""
import numpy as np
import pytest

from snnforge.errors import ConfigError, DataError
from snnforge.golden_model.data import load_dataset
from snnforge.golden_model.rng import Stream, random_draw_range
from snnforge.golden_model.ssnn_bp import units
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN, quantize_weights
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.golden_model.ssnn_bp.float_model import FloatSSNN, FloatSSNNConfig
from snnforge.golden_model.ssnn_bp.train import TrainTestArrays
from snnforge.training.ssnn_bp_run import train_with_baseline


@pytest.fixture(scope="module")
def sample_data():
    tr = load_dataset("mnist-sample", "train")
    te = load_dataset("mnist-sample", "test")
    return TrainTestArrays(tr.images.reshape(len(tr), -1), tr.labels.astype(np.int64),
                   te.images.reshape(len(te), -1), te.labels.astype(np.int64))


def test_bittrue_is_deterministic_and_independent_of_chunking(sample_data):
    c = SSNNConfig(T=3, seed=11)
    x, y = sample_data.x_train[:60], sample_data.y_train[:60]
    a, b, d = BitTrueSSNN(c), BitTrueSSNN(c), BitTrueSSNN(c)
    sa = a.train(x, y, first_sample=0, engine="numpy")
    sb = b.train(x, y, first_sample=0, chunk=7, engine="numpy")
    assert np.array_equal(a.W1, b.W1) and np.array_equal(a.W2, b.W2) and sa == sb
    assert not np.array_equal(a.W1, BitTrueSSNN(c).W1)  # it did learn something
    d.train(x, y, first_sample=1000)  # other sample keys, other random bits
    assert not np.array_equal(a.W1, d.W1)
    ea = a.evaluate(sample_data.x_test, sample_data.y_test)
    assert ea == a.evaluate(sample_data.x_test, sample_data.y_test, chunk=13)


def test_float_is_deterministic(sample_data):
    c = FloatSSNNConfig(T=3, seed=4)
    a, b = FloatSSNN(c), FloatSSNN(c)
    a.train(sample_data.x_train[:40], sample_data.y_train[:40])
    b.train(sample_data.x_train[:40], sample_data.y_train[:40], chunk=9)
    assert np.array_equal(a.W1, b.W1) and np.array_equal(a.W2, b.W2)


def test_bittrue_step_structure():
    """Updates are single LSBs, only at coincidences, only on error steps, within range."""
    c = SSNNConfig(n_in=30, n_hidden=12, n_out=4, T=1, weight_bits=6, lr_gate_threshold=1 << 16,
                   accumulator_bits=16, gumbel_value_bits=12)
    net = BitTrueSSNN(c)
    rng = np.random.default_rng(0)
    draws = net.draws_for_samples(np.arange(300), training=True)
    seen_error = seen_ok = False
    for n in range(300):
        s0 = rng.random(30) < 0.5
        y = int(rng.integers(4))
        w1, w2 = net.W1.copy(), net.W2.copy()
        cnt = net.train_step(s0, y, sample=n, step=0, r_hidden=draws["hidden"][n, 0],
                             r_wta=draws["wta"][n, 0], r_grad=draws["grad"][n, 0])
        d1, d2 = net.W1 - w1, net.W2 - w2
        assert np.abs(d1).max() <= 1 and np.abs(d2).max() <= 1
        assert net.W1.min() >= c.weight_min and net.W1.max() <= c.weight_max
        if cnt["winner"] == y:
            seen_ok = True
            assert not d1.any() and not d2.any()
            continue
        seen_error = True
        k = cnt["winner"]
        rows1 = np.append(s0, True)
        assert not d1[~rows1].any()  # only rows of spiking inputs (and the bias) change
        assert not np.delete(d2, [k, y], axis=1).any()
        assert (d2[:, k] <= 0).all() and (d2[:, y] >= 0).all()
        assert cnt["w1_updates"] == np.count_nonzero(d1)
        assert cnt["w2_updates"] == np.count_nonzero(d2)
    assert seen_error and seen_ok


def _mean_update(model, steps, s0_of, y, draw):
    """Mean signed weight change of one step from a fixed state, over independent steps."""
    w1, w2 = model.W1.copy(), model.W2.copy()
    acc1, acc2 = np.zeros(w1.shape), np.zeros(w2.shape)
    for n in range(steps):
        draw(model, n, s0_of(n), y)
        acc1 += model.W1 - w1
        acc2 += model.W2 - w2
        model.W1, model.W2 = w1.copy(), w2.copy()
    return acc1 / steps, acc2 / steps


def test_float_and_bittrue_agree_in_distribution_at_high_precision():
    """At 17-bit weights (15 fraction bits) and a gate probability of 1, the expected one-step
    update of the bit-true model (in LSBs) equals the float model's (in units of lr)."""
    n_in, n_h, n_out, y = 12, 8, 3, 1
    fc = FloatSSNNConfig(n_in=n_in, n_hidden=n_h, n_out=n_out, T=1, lr=1.0, beta=4.0,
                         weight_limit=0.0, seed=3)
    bc = SSNNConfig(n_in=n_in, n_hidden=n_h, n_out=n_out, T=1, weight_bits=17, beta_log2=2,
                    lr_gate_threshold=1 << 16, gumbel_value_bits=20, seed=3)
    wrng = np.random.default_rng(9)
    w1 = wrng.uniform(-0.3, 0.3, (n_in + 1, n_h))
    w2 = wrng.uniform(-0.6, 0.6, (n_h + 1, n_out))
    fnet = FloatSSNN(fc)
    fnet.W1, fnet.W2 = w1.copy(), w2.copy()
    bnet = BitTrueSSNN(bc, w1=quantize_weights(w1, bc), w2=quantize_weights(w2, bc))
    pixels = np.array([0, 32, 64, 96, 128, 160, 192, 224, 255, 16, 200, 100], np.uint8)
    steps = 4000
    in_bits = random_draw_range(seed=3, stream=Stream.INPUT, sample=np.arange(steps), step=0,
                                count=n_in, width=8)
    draws = bnet.draws_for_samples(np.arange(steps), training=True)
    frng = np.random.default_rng(1)

    def float_step(m, n, s0, y):
        m.train_step(frng.random(n_in) < pixels / 256.0, y, r_hidden=frng.random((n_h, 1)),
                     gumbel=frng.gumbel(size=n_out), r_grad=frng.random(n_h))

    def bit_step(m, n, s0, y):
        m.train_step(in_bits[n] < pixels, y, sample=n, step=0, r_hidden=draws["hidden"][n, 0],
                     r_wta=draws["wta"][n, 0], r_grad=draws["grad"][n, 0])

    f1, f2 = _mean_update(fnet, steps, lambda n: None, y, float_step)
    b1, b2 = _mean_update(bnet, steps, lambda n: None, y, bit_step)
    # per-element sd of a mean of {-1, 0, 1} values <= 1/sqrt(steps) = 0.013; allow ~4 sd
    tol = 4 / np.sqrt(steps) * np.sqrt(2)
    assert np.abs(f2 - b2).max() < tol
    assert np.abs(f1 - b1).max() < tol
    assert np.abs(f2).max() > 3 * tol  # the comparison is not vacuous
    assert np.abs(f1).max() > 2 * tol


def test_bittrue_learns_mnist_sample(sample_data):
    c = SSNNConfig(T=4, seed=0)
    res = train_with_baseline(model="bittrue", config=c, data=sample_data, epochs=2, ann_lr=0.02)
    first = res["history"][0]["test_accuracy_sum_z"]
    assert res["test_accuracy_sum_z"] > 0.65 and res["test_accuracy_votes"] > 0.55
    assert res["ann_test_accuracy"] > 0.7
    assert first > 0.3


def test_bad_inputs():
    net = BitTrueSSNN(SSNNConfig(n_in=16, n_hidden=4, n_out=2, accumulator_bits=16))
    with pytest.raises(DataError, match="n_in=16"):
        net.evaluate(np.zeros((3, 17), np.uint8), np.zeros(3, int))
    with pytest.raises(DataError, match="uint8"):
        net.evaluate(np.zeros((3, 16)), np.zeros(3, int))
    with pytest.raises(ConfigError, match="shape"):
        BitTrueSSNN(SSNNConfig(n_in=16, n_hidden=4, n_out=2, accumulator_bits=16),
                    w1=np.zeros((16, 4)), w2=np.zeros((5, 2)))
    with pytest.raises(ConfigError, match="range"):
        BitTrueSSNN(SSNNConfig(n_in=16, n_hidden=4, n_out=2, accumulator_bits=16),
                    w1=np.full((17, 4), 4096), w2=np.zeros((5, 2)))


def test_compiled_engine_is_bit_identical_to_numpy(sample_data):
    pytest.importorskip("numba")
    c = SSNNConfig(T=3, n_hidden=48, weight_bits=8, seed=21)
    x, y = sample_data.x_train[:80], sample_data.y_train[:80]
    a, b = BitTrueSSNN(c), BitTrueSSNN(c)
    sa = a.train(x, y, first_sample=500, engine="numpy")
    sb = b.train(x, y, first_sample=500, engine="numba", chunk=17)
    assert sa == sb and sa["w1_updates"] > 0
    assert np.array_equal(a.W1, b.W1) and np.array_equal(a.W2, b.W2)


def test_unknown_engine():
    net = BitTrueSSNN(SSNNConfig(n_in=16, n_hidden=4, n_out=2, accumulator_bits=16))
    with pytest.raises(ConfigError, match="engine"):
        net.train(np.zeros((1, 16), np.uint8), np.zeros(1, int), first_sample=0, engine="gpu")


def test_train_step_trace_matches_unit_composition():
    c = SSNNConfig(n_in=20, n_hidden=10, n_out=3, T=1, weight_bits=8, accumulator_bits=16,
                   gumbel_value_bits=12, seed=5)
    a, b = BitTrueSSNN(c), BitTrueSSNN(c)
    draws = a.draws_for_samples(np.arange(50), training=True)
    rng = np.random.default_rng(3)
    errors = 0
    for n in range(50):
        s0, y = rng.random(20) < 0.5, int(rng.integers(3))
        kw = dict(sample=n, step=0, r_hidden=draws["hidden"][n, 0], r_wta=draws["wta"][n, 0],
                  r_grad=draws["grad"][n, 0])
        w1, w2 = a.W1.copy(), a.W2.copy()
        tr = a.train_step(s0, y, trace=True, **kw)
        plain = b.train_step(s0, y, **kw)
        assert {k: tr[k] for k in plain} == plain  # tracing changes nothing
        assert np.array_equal(tr["u"], units.synaptic_accumulate(w1, s0))
        h, gate = units.neuron_forward(tr["u"], kw["r_hidden"], frac_bits=c.weight_frac_bits)
        assert np.array_equal(h, tr["h"]) and np.array_equal(gate, tr["gate"])
        assert np.array_equal(tr["s0"], s0)
        if tr["winner"] != y:
            errors += 1
            bb = units.error_backprop(w2, tr["e_pos"], tr["e_neg"])
            assert np.array_equal(bb, tr["b"])
            gp, gn = units.neuron_backward(bb, gate, kw["r_grad"], frac_bits=c.weight_frac_bits,
                                           beta_log2=c.beta_log2)
            assert np.array_equal(gp, tr["g_pos"]) and np.array_equal(gn, tr["g_neg"])
        else:
            assert not tr["g_pos"].any() and not tr["e_pos"].any()
    assert np.array_equal(a.W1, b.W1) and errors > 0
