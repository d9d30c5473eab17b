"""The float model's ablation switches (``FloatSSNNConfig.exact``): every noise source replaced
by its expectation turns one SSNN-BP time step into one SGD step of the ANN baseline."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.ann import ANNConfig, MLP
from snnforge.golden_model.ssnn_bp.float_model import EXACT_SOURCES, FloatSSNN, FloatSSNNConfig


def _images(n, seed=0):
    r = np.random.default_rng(seed)
    images = (r.random((n, 64)) < 0.3) * r.integers(0, 256, (n, 64))
    return images.astype(np.uint8), r.integers(0, 10, n)


def _pair(lr=0.05, **kw):
    cfg = FloatSSNNConfig(n_in=64, n_hidden=16, n_out=10, T=1, lr=lr, beta=1.0,
                          weight_limit=0.0, exact=EXACT_SOURCES, **kw)
    ann = MLP(ANNConfig(sizes=(64, 16, 10), activation="hard-sigmoid", lr=lr, batch=1,
                        init="uniform-fan-in", seed=cfg.seed))
    return FloatSSNN(cfg), ann


def test_fully_exact_step_is_the_ann_sgd_step():
    images, labels = _images(20)
    model, ann = _pair()
    np.testing.assert_array_equal(model.W1[:-1], ann.W[0].T)   # same initial weights
    model.train(images, labels)
    for x, y in zip(images / 255.0, labels):
        ann.step(x[None], np.array([y]))
    np.testing.assert_allclose(model.W1[:-1], ann.W[0].T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.W1[-1], ann.b[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.W2[:-1], ann.W[1].T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.W2[-1], ann.b[1], rtol=0, atol=1e-12)
    assert model.mean_field_accuracy(images, labels) == ann.accuracy(images / 255.0, labels)


@pytest.mark.parametrize("missing", EXACT_SOURCES)
def test_each_noise_source_changes_the_weights(missing):
    """Leaving any one source stochastic moves the weights away from the ANN's: the
    equality above is not an accident of the test data."""
    images, labels = _images(20)
    model, ann = _pair()
    cfg = FloatSSNNConfig(**{**model.config.to_dict(),
                             "exact": tuple(e for e in EXACT_SOURCES if e != missing)})
    model = FloatSSNN(cfg)
    model.train(images, labels)
    for x, y in zip(images / 255.0, labels):
        ann.step(x[None], np.array([y]))
    assert np.abs(model.W1[:-1] - ann.W[0].T).max() + np.abs(model.W2[:-1] - ann.W[1].T).max() > 1e-6


def test_default_path_unchanged_by_the_switch():
    """exact=() is the SSNN-BP algorithm itself: identical to a model built without the field."""
    images, labels = _images(30, seed=3)
    a = FloatSSNN(FloatSSNNConfig(n_in=64, n_hidden=16, n_out=10, T=4))
    b = FloatSSNN(FloatSSNNConfig(n_in=64, n_hidden=16, n_out=10, T=4, exact=()))
    a.train(images, labels)
    b.train(images, labels)
    np.testing.assert_array_equal(a.W1, b.W1)
    np.testing.assert_array_equal(a.W2, b.W2)


@pytest.mark.parametrize("exact, match", [
    (("noise",), "distinct names"),
    (("input", "input"), "distinct names"),
    ("input", "tuple"),
])
def test_bad_exact(exact, match):
    with pytest.raises(ConfigError, match=match):
        FloatSSNNConfig(exact=exact)


def test_exact_needs_hard_sigmoid():
    with pytest.raises(ConfigError, match="hard-sigmoid"):
        FloatSSNNConfig(exact=("hidden",), transfer="sigmoid")
