"""Error-prop depth levers and learned feedback: each default is the plain network bit for bit,
and each lever moves the network in its stated direction on a tiny case."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.error_prop.config import NetworkConfig, TaskConfig
from snnforge.golden_model.error_prop.network import ErrorPropNetwork
from snnforge.golden_model.error_prop.task import make_trials
from snnforge.training import error_prop as ep_cli

TASK = TaskConfig(channels=8, patterns=2)
DEEP = dict(hidden_layers=2, init_scale=0.8, lr=0.05, lr_hidden=0.05, err_threshold=1.0)
SEEDS = (0, 1, 2, 3)


def _trials(replicas, per_replica=1, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, TASK.patterns, size=(replicas, per_replica))
    x = np.stack([make_trials(TASK, y[r], np.random.default_rng([seed, r])) for r in range(replicas)])
    return x, y


def _learn(net, x, y, *, epoch=0, trials=1):
    model = ErrorPropNetwork(task=TASK, net=net, seeds=list(SEEDS))
    before = [w.copy() for w in model.W]
    rec = None
    for i in range(trials):
        _, rec = model.run(x[:, i:i + 1], y[:, i:i + 1], learn=True, record=True, epoch=epoch,
                           sample_ids=np.full(len(SEEDS), i))
    return model, before, rec


def _same(a, b):
    for wa, wb in zip(a.W, b.W):
        np.testing.assert_array_equal(wa, wb)
    for ba, bb in zip(a.B, b.B):
        np.testing.assert_array_equal(ba, bb)


@pytest.mark.parametrize("kwargs, match", [
    ({"lower_hidden": 0}, "lower_hidden"),
    ({"lower_tau_err_ms": 0.0}, "lower_tau_err_ms"),
    ({"init_fan_in": 1}, "init_fan_in"),
    ({"lr_decay": 0.0}, "lr_decay"),
    ({"lr_decay": 1.5}, "lr_decay"),
    ({"lr_lower_decay": -1}, "lr_lower_decay"),
    ({"feedback_decay": 1.0}, "feedback_decay"),
    ({"feedback_init": 5.0}, "feedback_init"),
    ({"feedback": "alignment"}, "feedback"),
])
def test_bad_lever_values_raise(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        NetworkConfig(**kwargs).validate()


def test_cli_names_the_option_of_a_bad_lever():
    import argparse
    p = argparse.ArgumentParser()
    ep_cli.add_arguments(p)
    for argv, opt in ((["--lower-tau-err", "0"], "--lower-tau-err"), (["--lr-decay", "2"], "--lr-decay"),
                      (["--feedback-decay", "1"], "--feedback-decay")):
        with pytest.raises(ConfigError, match=opt):
            ep_cli.configs_from_args(p.parse_args(argv))
    _, net, _ = ep_cli.configs_from_args(p.parse_args(["--init-fan-in", "--feedback", "kp"]))
    assert net.init_fan_in and net.feedback == "kp"


def test_explicit_default_levers_are_the_plain_network():
    # each lever set to the value its default stands for gives the same weights and spikes
    x, y = _trials(4, per_replica=2)
    ref, _, rec_ref = _learn(NetworkConfig(**DEEP), x, y, trials=2)
    explicit = NetworkConfig(**DEEP, lower_hidden=16, lower_tau_err_ms=20.0, lr_decay=1.0,
                             lr_lower_decay=1.0, feedback_decay=0.0, feedback_init=0.8)
    same, _, rec = _learn(explicit, x, y, epoch=7, trials=2)
    _same(ref, same)
    for k in rec_ref:
        np.testing.assert_array_equal(rec_ref[k], rec[k])


def test_lr_decay_equals_the_decayed_rate():
    x, y = _trials(4)
    decayed, before, _ = _learn(NetworkConfig(**DEEP, lr_decay=0.5), x, y, epoch=1)
    halved, _, _ = _learn(NetworkConfig(**{**DEEP, "lr": 0.025, "lr_hidden": 0.025}), x, y)
    _same(decayed, halved)
    full, _, _ = _learn(NetworkConfig(**DEEP), x, y)
    moved = lambda m: sum(np.abs(w - w0).sum() for w, w0 in zip(m.W, before))  # noqa: E731
    assert 0 < moved(decayed) < moved(full)


def test_lr_lower_decay_acts_on_the_lower_layer_only():
    x, y = _trials(4)
    decayed, before, _ = _learn(NetworkConfig(**DEEP, lr_lower_decay=0.5), x, y, epoch=1)
    lower, _, _ = _learn(NetworkConfig(**DEEP, lr_lower=0.025), x, y)
    _same(decayed, lower)
    frozen, _, _ = _learn(NetworkConfig(**DEEP, lr_lower_decay=1e-12), x, y, epoch=10)
    np.testing.assert_array_equal(frozen.W[0], before[0])
    assert np.abs(frozen.W[2] - before[2]).max() > 0


def test_shorter_lower_error_leak_gives_fewer_lower_error_spikes():
    x, y = _trials(4, per_replica=6, seed=2)
    counts = {}
    for tau in (None, 2.0):
        net = NetworkConfig(**DEEP, lower_tau_err_ms=tau)
        _, rec = ErrorPropNetwork(task=TASK, net=net, seeds=list(SEEDS)).run(x, y, learn=False,
                                                                            record=True)
        counts[tau] = int(rec["hid_err_pos"].sum() + rec["hid_err_neg"].sum())
        top = int(rec["hid2_err_pos"].sum() + rec["hid2_err_neg"].sum())
        counts[(tau, "top")] = top
    assert 0 <= counts[2.0] < counts[None]
    assert counts[(2.0, "top")] == counts[(None, "top")] > 0


def test_lower_hidden_sets_the_width_of_the_lower_layer():
    x, y = _trials(4)
    model, before, rec = _learn(NetworkConfig(**DEEP, lower_hidden=32), x, y)
    assert model.sizes == (8, 32, 16, 2)
    assert [w.shape[1:] for w in model.W] == [(32, 8), (16, 32), (2, 16)]
    assert rec["hidden"].shape[-1] == 32 and rec["hid_err_pos"].shape[-1] == 32
    assert np.abs(model.W[0] - before[0]).max() > 0


def test_init_fan_in_scales_the_wider_layers_only():
    plain = ErrorPropNetwork(task=TASK, net=NetworkConfig(**DEEP), seeds=list(SEEDS))
    fan = ErrorPropNetwork(task=TASK, net=NetworkConfig(**DEEP, init_fan_in=True), seeds=list(SEEDS))
    np.testing.assert_array_equal(plain.W[0], fan.W[0])            # 8 inputs: factor 1
    bound = 0.8 * np.sqrt(8 / 16)
    for w, w0 in zip(fan.W[1:], plain.W[1:]):
        assert np.abs(w).max() <= bound + 1 / 32 < np.abs(w0).max()


def test_kp_feedback_takes_the_forward_updates_and_decay_aligns_it():
    x, y = _trials(4, per_replica=6, seed=4)
    slow = {**DEEP, "init_scale": 0.4, "lr": 0.005, "lr_hidden": 0.005}
    kp, _, _ = _learn(NetworkConfig(**slow, feedback="kp"), x, y, trials=6)
    fresh = ErrorPropNetwork(task=TASK, net=NetworkConfig(**slow, feedback="kp"), seeds=list(SEEDS))
    gap0 = [b - np.swapaxes(w, 1, 2) for b, w in zip(fresh.B, fresh.W[1:])]
    gap = [b - np.swapaxes(w, 1, 2) for b, w in zip(kp.B, kp.W[1:])]
    assert any(np.abs(w - w0).max() > 0 for w, w0 in zip(kp.W[1:], fresh.W[1:]))
    for g, g0 in zip(gap, gap0):  # (no synapse of this case is pushed past a rail)
        np.testing.assert_allclose(g, g0, atol=1e-12)                   # B - W^T unchanged
    random, _, _ = _learn(NetworkConfig(**slow, feedback="random"), x, y, trials=6)
    assert any(not np.array_equal(a, b) for a, b in zip(random.B, kp.B))
    decay, _, _ = _learn(NetworkConfig(**slow, feedback="kp", feedback_decay=0.2), x, y, trials=6)
    gap_d = [b - np.swapaxes(w, 1, 2) for b, w in zip(decay.B, decay.W[1:])]
    assert sum(np.abs(g).sum() for g in gap_d) < 0.6 * sum(np.abs(g).sum() for g in gap0)


def test_feedback_init_sets_the_feedback_range():
    net = NetworkConfig(**DEEP, feedback="random", feedback_init=0.1)
    model = ErrorPropNetwork(task=TASK, net=net, seeds=list(SEEDS))
    assert all(np.abs(b).max() <= 0.1 + 1 / 32 for b in model.B)
    plain = ErrorPropNetwork(task=TASK, net=NetworkConfig(**DEEP), seeds=list(SEEDS))
    _same_w = [np.array_equal(a, b) for a, b in zip(model.W, plain.W)]
    assert all(_same_w)


def test_hidden_rate_limit_lowers_the_inputs_of_busy_neurons_only():
    x, y = _trials(4, per_replica=3, seed=6)
    off, before, _ = _learn(NetworkConfig(**DEEP, hidden_max_spikes=0), x, y, trials=3)
    huge, _, _ = _learn(NetworkConfig(**DEEP, hidden_max_spikes=10_000), x, y, trials=3)
    _same(off, huge)                                   # a limit never reached changes nothing
    net = NetworkConfig(**{**DEEP, "err_threshold": 1e6},
                        hidden_max_spikes=1)           # no error spikes: only the limit acts
    model = ErrorPropNetwork(task=TASK, net=net, seeds=list(SEEDS))
    w0 = [w.copy() for w in model.W]
    _, rec = model.run(x[:, :1], y[:, :1], learn=True, record=True, sample_ids=np.zeros(4, int))
    busy = rec["hidden"][:, 0].sum(axis=1) > 1         # (R, H): fired more than once
    assert busy.any() and (~busy).any()
    np.testing.assert_array_equal(model.W[0][~busy], w0[0][~busy])   # quiet neurons untouched
    assert (model.W[0][busy] <= w0[0][busy]).all() and (model.W[0][busy] < w0[0][busy]).any()
    np.testing.assert_array_equal(model.W[2], w0[2])   # the output synapses are no hidden layer


def test_teacher_lead_margin_quiets_the_label_error_only_while_it_leads():
    # no learning: outputs are the same with and without; the label's "too quiet" error neuron
    # fires less, the rivals' error neurons are unchanged
    net = NetworkConfig(init_scale=1.5, err_threshold=1.0)
    x, y = _trials(8, per_replica=6, seed=5)
    seeds = list(range(8))
    _, plain = ErrorPropNetwork(task=TASK, net=net, seeds=seeds).run(x, y, learn=False, record=True)
    lead = NetworkConfig(init_scale=1.5, err_threshold=1.0, teacher_lead_margin=1)
    _, rec = ErrorPropNetwork(task=TASK, net=lead, seeds=seeds).run(x, y, learn=False, record=True)
    np.testing.assert_array_equal(plain["output"], rec["output"])
    hot = (y[..., None] == np.arange(TASK.patterns))[:, :, None, :]     # (R, B, 1, P)
    for k in ("out_err_pos", "out_err_neg"):
        np.testing.assert_array_equal(np.where(hot, False, rec[k]), np.where(hot, False, plain[k]))
    label_neg = lambda r: np.where(hot, r["out_err_neg"], False).sum()  # noqa: E731
    assert label_neg(rec) < label_neg(plain)
    huge = NetworkConfig(init_scale=1.5, err_threshold=1.0, teacher_lead_margin=10_000)
    _, same = ErrorPropNetwork(task=TASK, net=huge, seeds=seeds).run(x, y, learn=False, record=True)
    for k in plain:
        np.testing.assert_array_equal(plain[k], same[k])
