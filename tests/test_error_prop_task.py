"""Error-prop timing task: identical per-channel counts, and the rate-only baseline at chance."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.error_prop.config import TaskConfig
from snnforge.golden_model.error_prop.rate_baseline import count_features, fit_logistic, \
    readout_accuracy
from snnforge.golden_model.error_prop.task import balanced_labels, make_patterns, make_trials


def _data(task, per_class, seed):
    rng = np.random.default_rng(seed)
    y = balanced_labels(task, per_class, rng)
    return make_trials(task, y, rng), y


def test_patterns_forward_reverse_and_distinct_permutations():
    orders = make_patterns(TaskConfig(channels=6, patterns=5))
    assert orders[0].tolist() == [0, 1, 2, 3, 4, 5]
    assert orders[1].tolist() == [5, 4, 3, 2, 1, 0]
    assert len({tuple(o) for o in orders}) == 5
    assert all(sorted(o) == list(range(6)) for o in orders)


def test_every_channel_fires_once_whatever_the_class_and_jitter():
    task = TaskConfig(channels=8, patterns=4, jitter_ms=3.0)
    x, y = _data(task, 30, 1)
    assert x.shape == (120, task.steps, 8)
    assert (x.sum(axis=1) == 1).all()
    # the sweep without jitter puts channel c at c * interval for the forward pattern
    clean = make_trials(TaskConfig(channels=8, jitter_ms=0.0), np.array([0, 1]), np.random.default_rng(0))
    assert np.argmax(clean[0], axis=0).tolist() == [2 * c for c in range(8)]
    assert np.argmax(clean[1], axis=0).tolist() == [2 * (7 - c) for c in range(8)]


@pytest.mark.parametrize("patterns", [2, 4])
def test_rate_baseline_is_at_chance(patterns):
    # noise makes the counts vary per trial, but never by class: a count readout must be at
    # chance; a 4-sigma band around chance for the test-set size
    task = TaskConfig(channels=8, patterns=patterns, jitter_ms=2.0, noise_hz=40.0)
    xtr, ytr = _data(task, 200, 10)
    xte, yte = _data(task, 200, 11)
    assert count_features(xtr).std() > 0
    acc = readout_accuracy(xtr, ytr, xte, yte, classes=patterns, features="counts")
    chance = 1 / patterns
    sigma = np.sqrt(chance * (1 - chance) / len(yte))
    assert abs(acc - chance) < 4 * sigma, acc
    # the same trials are separable from their timing
    assert readout_accuracy(xtr, ytr, xte, yte, classes=patterns, features="raster") > 0.9


def test_count_readout_detects_a_rate_difference():
    # control: the baseline is able to fail the chance test when counts carry the class
    task = TaskConfig(channels=8, patterns=2, noise_hz=40.0)
    xtr, ytr = _data(task, 200, 10)
    xte, yte = _data(task, 200, 11)
    for x, y in ((xtr, ytr), (xte, yte)):
        x[y == 1, -5:, 0] = True  # class 1 gets extra spikes on channel 0
    assert readout_accuracy(xtr, ytr, xte, yte, classes=2, features="counts") > 0.9


def test_logistic_is_deterministic_and_validates():
    x = np.random.default_rng(0).normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(int)
    a, b = fit_logistic(x, y, classes=2), fit_logistic(x, y, classes=2)
    assert np.array_equal(a.W, b.W)
    assert (a.predict(x) == y).mean() > 0.9
    with pytest.raises(ConfigError, match="labels"):
        fit_logistic(x, y + 5, classes=2)
    with pytest.raises(ConfigError, match="features"):
        readout_accuracy(x[:, None], y, x[:, None], y, classes=2, features="isi")


@pytest.mark.parametrize("kwargs, match", [
    ({"channels": 1}, "channels"),
    ({"channels": 3, "patterns": 7}, "patterns"),
    ({"patterns": 1}, "patterns"),
    ({"jitter_ms": -1.0}, "jitter"),
    ({"noise_hz": 500.0}, "noise"),
    ({"interval_ms": 0}, "interval"),
    ({"channels": 8.0}, "channels"),
])
def test_bad_task_configs_raise(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        TaskConfig(**kwargs).validate()


def test_bad_labels_raise():
    with pytest.raises(ConfigError, match="labels"):
        make_trials(TaskConfig(), np.array([0, 2]), np.random.default_rng(0))
