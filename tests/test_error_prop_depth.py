"""Error-prop depth controls: lower-layer error threshold, lower-layer rate, teacher stop."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.error_prop.config import NetworkConfig, TaskConfig
from snnforge.golden_model.error_prop.network import ErrorPropNetwork, teacher_raster
from snnforge.golden_model.error_prop.task import make_trials

TASK = TaskConfig(channels=8, patterns=2)
DEEP = dict(hidden_layers=2, init_scale=0.8, lr=0.05, lr_hidden=0.05, err_threshold=1.0)


def _trials(task, replicas, per_replica=1, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, task.patterns, size=(replicas, per_replica))
    x = np.stack([make_trials(task, y[r], np.random.default_rng([seed, r])) for r in range(replicas)])
    return x, y


def _learn(net, x, y, seeds=(0, 1, 2, 3)):
    model = ErrorPropNetwork(task=TASK, net=net, seeds=list(seeds))
    before = [w.copy() for w in model.W]
    _, rec = model.run(x, y, learn=True, sample_ids=np.zeros(len(seeds), dtype=np.int64), record=True)
    return model, before, rec


@pytest.mark.parametrize("kwargs, match", [
    ({"lower_err_threshold": 0.0}, "lower_err_threshold"),
    ({"lower_err_threshold": float("inf")}, "lower_err_threshold"),
    ({"lr_lower": -0.1}, "lr_lower"),
    ({"teacher_stop_margin": -1}, "teacher_stop_margin"),
    ({"teacher_stop_margin": 1.5}, "teacher_stop_margin"),
])
def test_bad_depth_options_raise(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        NetworkConfig(**kwargs).validate()


def test_defaults_are_the_plain_network():
    net = NetworkConfig()
    assert net.lower_err_threshold is None and net.lr_lower is None and net.teacher_stop_margin == 0
    x, y = _trials(TASK, 4)
    ref, _, rec_ref = _learn(NetworkConfig(**DEEP), x, y)
    same, _, rec = _learn(NetworkConfig(**DEEP, lower_err_threshold=0.5, lr_lower=0.05), x, y)
    for a, b in zip(ref.W, same.W):
        np.testing.assert_array_equal(a, b)
    for k in rec_ref:
        np.testing.assert_array_equal(rec_ref[k], rec[k])


def test_lr_lower_sets_only_the_synapses_below_the_top_hidden_layer():
    x, y = _trials(TASK, 4)
    model, before, rec = _learn(NetworkConfig(**DEEP, lr_lower=0.0), x, y)
    assert rec["hid_err_pos"].sum() + rec["hid_err_neg"].sum() > 0, "lower layer had no error"
    np.testing.assert_array_equal(model.W[0], before[0])        # input -> hidden 1 frozen
    assert np.abs(model.W[1] - before[1]).max() > 0              # hidden 1 -> hidden 2 learns
    assert np.abs(model.W[2] - before[2]).max() > 0              # hidden 2 -> output learns
    # with one hidden layer there is no lower layer: lr_lower changes nothing
    shallow = dict(DEEP, hidden_layers=1)
    a, _, _ = _learn(NetworkConfig(**shallow), x, y)
    b, _, _ = _learn(NetworkConfig(**shallow, lr_lower=0.0), x, y)
    for wa, wb in zip(a.W, b.W):
        np.testing.assert_array_equal(wa, wb)


def test_lower_err_threshold_acts_on_the_lower_error_neurons_only():
    x, y = _trials(TASK, 4)
    # lower layer frozen either way, so the two runs differ only in the lower error spikes
    ref, _, rec_ref = _learn(NetworkConfig(**DEEP, lr_lower=0.0), x, y)
    high, _, rec = _learn(NetworkConfig(**DEEP, lr_lower=0.0, lower_err_threshold=1e6), x, y)
    low, _, rec_low = _learn(NetworkConfig(**DEEP, lr_lower=0.0, lower_err_threshold=0.1), x, y)
    assert rec["hid_err_pos"].sum() + rec["hid_err_neg"].sum() == 0
    n_ref = rec_ref["hid_err_pos"].sum() + rec_ref["hid_err_neg"].sum()
    assert rec_low["hid_err_pos"].sum() + rec_low["hid_err_neg"].sum() > n_ref > 0
    for k in rec_ref:
        if not k.startswith("hid_err"):
            np.testing.assert_array_equal(rec_ref[k], rec[k])
            np.testing.assert_array_equal(rec_ref[k], rec_low[k])
    for a, b in zip(ref.W, high.W):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("margin", [1, 2])
def test_teacher_stops_once_the_label_output_leads_by_the_margin(margin):
    # no learning: outputs are the same with and without the stop; the output error neurons
    # must match the plain run until the step at which the label output first leads every other
    # output by `margin` spikes, and be silent from then on
    task = TASK
    net = NetworkConfig(init_scale=1.5, err_threshold=1.0)
    x, y = _trials(task, 8, per_replica=6, seed=5)
    seeds = list(range(8))
    _, plain = ErrorPropNetwork(task=task, net=net, seeds=seeds).run(x, y, learn=False, record=True)
    stop_net = NetworkConfig(init_scale=1.5, err_threshold=1.0, teacher_stop_margin=margin)
    _, stop = ErrorPropNetwork(task=task, net=stop_net, seeds=seeds).run(x, y, learn=False,
                                                                         record=True)
    np.testing.assert_array_equal(plain["output"], stop["output"])
    counts = np.cumsum(plain["output"], axis=2)                       # (R, B, T, P)
    hot = y[..., None, None] == np.arange(task.patterns)
    own = np.where(hot, counts, 0).sum(-1)
    rival = np.where(hot, -1, counts).max(-1)
    leads = own >= rival + margin                                     # (R, B, T)
    n_stopped = 0
    for r in range(len(seeds)):
        for b in range(y.shape[1]):
            t_stop = int(np.argmax(leads[r, b])) if leads[r, b].any() else task.steps
            n_stopped += t_stop < task.steps
            for k in ("out_err_pos", "out_err_neg"):
                np.testing.assert_array_equal(stop[k][r, b, :t_stop], plain[k][r, b, :t_stop])
                assert not stop[k][r, b, t_stop:].any()
    total = len(seeds) * y.shape[1]
    assert 0 < n_stopped < total, "every trial or none stopped: the check would be vacuous"
    assert stop["out_err_neg"].sum() < plain["out_err_neg"].sum()
    assert teacher_raster(task, stop_net, y).shape == (8, 6, task.steps, task.patterns)


def test_teacher_stop_leaves_learning_local_and_reduces_updates():
    x, y = _trials(TASK, 4, seed=3)
    base, before, _ = _learn(NetworkConfig(**DEEP), x, y)
    stop, _, rec = _learn(NetworkConfig(**DEEP, teacher_stop_margin=1), x, y)
    moved = lambda m: sum(np.abs(w - w0).sum() for w, w0 in zip(m.W, before))  # noqa: E731
    assert 0 <= moved(stop) <= moved(base)
