"""The float ANN baseline: gradients, learning, validation."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.ann import ANNConfig, MLP, softmax


@pytest.mark.parametrize("activation", ["sigmoid", "relu", "hard-sigmoid"])
def test_gradient_matches_finite_differences(activation):
    rng = np.random.default_rng(1)
    net = MLP(ANNConfig(sizes=(5, 7, 4, 3), activation=activation, lr=1.0, init="he", seed=3))
    x = rng.uniform(0, 1, size=(4, 5))
    y = np.array([0, 2, 1, 2])
    W0 = [w.copy() for w in net.W]
    net.step(x, y)  # lr = 1: W_new = W - grad
    grad = [w0 - w for w0, w in zip(W0, net.W)]
    net.W = [w.copy() for w in W0]
    net.b = [np.zeros_like(b) for b in net.b]
    eps = 1e-6
    for layer in range(3):
        for idx in [(0, 0), (1, 2), (2, 1)]:
            net.W[layer][idx] += eps
            lp = net.loss(x, y)
            net.W[layer][idx] -= 2 * eps
            lm = net.loss(x, y)
            net.W[layer][idx] += eps
            assert grad[layer][idx] == pytest.approx((lp - lm) / (2 * eps), rel=1e-4, abs=1e-8)


def test_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(400, 2))
    y = (x[:, 0] > x[:, 1]).astype(int)
    net = MLP(ANNConfig(sizes=(2, 16, 2), activation="relu", lr=0.1, batch=8, init="he"))
    before = net.accuracy(x, y)
    for _ in range(30):
        net.train_epoch(x, y, rng)
    assert net.accuracy(x, y) > 0.95 > before


def test_softmax_rows_sum_to_one():
    p = softmax(np.array([[1000.0, 0.0], [1.0, 2.0]]))
    assert np.allclose(p.sum(1), 1) and np.isfinite(p).all()


@pytest.mark.parametrize("kw,msg", [({"sizes": (784,)}, "sizes"), ({"activation": "tanhh"}, "activation"),
                                    ({"lr": 0}, "lr"), ({"batch": 0}, "batch")])
def test_bad_config(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        MLP(ANNConfig(**kw))


def test_per_sample_step_equals_the_dense_update():
    """Batch 1 updates only the columns of non-zero inputs; the weights are the same floats
    as the dense outer-product update."""
    rng = np.random.default_rng(4)
    x = rng.random((40, 30)) * (rng.random((40, 30)) < 0.3)  # sparse, like digit pixels
    y = rng.integers(0, 5, 40)
    cfg = ANNConfig(sizes=(30, 12, 8, 5), activation="relu", lr=0.05, batch=1, init="he", seed=2)
    fast, dense = MLP(cfg), MLP(cfg)
    for i in range(40):
        fast.step(x[i:i + 1], y[i:i + 1])
        # the dense update of the same step, written out
        us, acts = dense.forward(x[i:i + 1])
        delta = softmax(acts[-1])
        delta[0, y[i]] -= 1.0
        for layer in range(len(dense.W) - 1, -1, -1):
            gW, gb = delta.T @ acts[layer], delta.sum(axis=0)
            if layer > 0:
                delta = (delta @ dense.W[layer]) * (us[layer - 1] > 0)
            dense.W[layer] -= cfg.lr * gW
            dense.b[layer] -= cfg.lr * gb
    for a, b in zip(fast.W + fast.b, dense.W + dense.b):
        np.testing.assert_array_equal(a, b)
