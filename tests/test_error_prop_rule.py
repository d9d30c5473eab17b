"""Error-prop local rule: locality, the weight grid, rounding, counter-based random bits."""
import numpy as np
import pytest

from snnforge.golden_model.error_prop.config import NetworkConfig, TaskConfig
from snnforge.golden_model.error_prop.network import ErrorPropNetwork
from snnforge.golden_model.error_prop.rule import eligibility_step, local_update, weight_limits
from snnforge.golden_model.error_prop.task import make_trials
from snnforge.golden_model.rng import Stream, random_draws, random_uniforms

NET = NetworkConfig()  # 6-bit weights, stochastic rounding


def _signals(rng, post=5, pre=7):
    return dict(w=rng.integers(-32, 32, size=(post, pre)) * NET.lsb,
                pre_trace=rng.random(pre) * 2,
                err_pos=(rng.random(post) < 0.5).astype(float),
                err_neg=(rng.random(post) < 0.5).astype(float),
                uniforms=rng.random((post, pre)))


def test_update_of_a_synapse_depends_only_on_its_local_signals():
    rng = np.random.default_rng(0)
    j, i = 2, 4
    a = _signals(rng)
    a["err_pos"][j], a["err_neg"][j] = 0.0, 1.0
    ref = local_update(net=NET, lr=0.3, **a)[j, i]
    assert ref != a["w"][j, i]
    for _ in range(20):
        b = _signals(rng)  # every other weight, trace, error spike and random bit differs
        b["w"][j, i], b["uniforms"][j, i] = a["w"][j, i], a["uniforms"][j, i]
        b["pre_trace"][i] = a["pre_trace"][i]
        b["err_pos"][j], b["err_neg"][j] = a["err_pos"][j], a["err_neg"][j]
        assert local_update(net=NET, lr=0.3, **b)[j, i] == ref
    # its own signals do move it
    for key, idx, val in (("pre_trace", i, a["pre_trace"][i] + 1.0), ("err_neg", j, 0.0)):
        c = {k: v.copy() for k, v in a.items()}
        c[key][idx] = val
        assert local_update(net=NET, lr=0.3, **c)[j, i] != ref


@pytest.mark.parametrize("hidden_rule, layers", [("eligibility", 1), ("trace", 1),
                                                 ("eligibility", 2)])
def test_network_weight_changes_are_sums_of_local_products(hidden_rule, layers):
    # float weights, no saturation: each synapse's change over a learning trial must be rebuilt
    # exactly from its own recorded signals: pre spikes (-> trace), the post neuron's gate and the
    # post neuron's error spikes. Output synapses: sum_t lr * trace_pre(t) * (e-(t) - e+(t));
    # hidden ones likewise with the eligibility E(t) = a_el E(t-1) + gate_post(t) trace_pre(t)
    # (or the plain trace_pre for "trace")
    task = TaskConfig(channels=6, patterns=2)
    net = NetworkConfig(hidden=8, hidden_layers=layers, weight_bits=None, weight_max=100.0,
                        lr=0.05, lr_hidden=0.02, err_threshold=1.0, hidden_rule=hidden_rule)
    model = ErrorPropNetwork(task=task, net=net, seeds=[3, 4])
    y = np.array([[0], [1]])
    x = np.stack([make_trials(task, y[r], np.random.default_rng(r)) for r in range(2)])
    before = [w.copy() for w in model.W]
    _, rec = model.run(x, y, learn=True, sample_ids=np.array([0, 0]), record=True)

    def trace(spikes):  # the PSP-shaped trace, from the spikes alone
        out, r, acc = np.zeros(spikes.shape), np.zeros(spikes.shape[1:]), np.zeros(spikes.shape[1:])
        for t in range(spikes.shape[0]):
            r = model.a_syn * r + spikes[t]
            acc = model.a_tr * acc + r / model.trace_peak
            out[t] = acc
        return out

    hid = ["hidden"] + [f"hidden{k}" for k in range(2, layers + 1)]
    err = ["hid"] + [f"hid{k}" for k in range(2, layers + 1)]
    for r in range(2):
        g = {k: v[r, 0].astype(float) for k, v in rec.items()}
        pre_names = ["input"] + hid
        post_err = [(f"{e}_err_pos", f"{e}_err_neg") for e in err] + [("out_err_pos", "out_err_neg")]
        for l in range(layers + 1):
            pos, neg = g[post_err[l][0]], g[post_err[l][1]]
            assert pos.sum() + neg.sum() > 0, "no error spikes: the check would be vacuous"
            tr = trace(g[pre_names[l]])
            if l == layers or hidden_rule == "trace":
                signal = np.broadcast_to(tr[:, None, :], (task.steps, pos.shape[1], tr.shape[1]))
            else:
                gate = g["hidden_gate" if l == 0 else f"hidden{l + 1}_gate"]
                signal, e = np.zeros((task.steps, pos.shape[1], tr.shape[1])), 0.0
                for t in range(task.steps):
                    e = model.a_el * e + gate[t][:, None] * tr[t][None, :]
                    signal[t] = e
            lr = net.lr if l == layers else net.lr_hidden
            d = lr * np.einsum("tj,tji->ji", neg - pos, signal)
            np.testing.assert_allclose(model.W[l][r] - before[l][r], d, atol=1e-12)
            assert np.abs(d).max() > 0


def test_eligibility_of_a_synapse_depends_only_on_its_pre_and_post():
    rng = np.random.default_rng(1)
    e = rng.random((5, 7))
    pre, post = rng.random(7), (rng.random(5) < 0.5).astype(float)
    post[2] = 1.0
    ref = eligibility_step(e, pre_trace=pre, post_gate=post, decay=0.9)
    assert ref[2, 4] == pytest.approx(0.9 * e[2, 4] + pre[4])
    other = rng.random((5, 7))
    other[2, 4] = e[2, 4]
    pre2, post2 = rng.random(7), rng.random(5)
    pre2[4], post2[2] = pre[4], post[2]
    assert eligibility_step(other, pre_trace=pre2, post_gate=post2, decay=0.9)[2, 4] == ref[2, 4]


@pytest.mark.parametrize("bits", [3, 6, 8])
def test_weights_stay_on_grid_and_saturate(bits):
    net = NetworkConfig(weight_bits=bits, weight_max=1.0)
    lo, hi = weight_limits(net)
    assert hi == 1.0 - 2.0 / 2 ** bits and lo == -1.0
    rng = np.random.default_rng(bits)
    w = np.zeros((4, 6))
    for step in range(200):  # large steps of both signs drive weights into both rails
        sign = 1.0 if step < 100 else -1.0
        w = local_update(w, pre_trace=rng.random(6) * 3, err_pos=(sign < 0) * np.ones(4),
                         err_neg=(sign > 0) * np.ones(4), net=net, lr=0.2,
                         uniforms=rng.random((4, 6)))
        codes = w / net.lsb
        assert np.array_equal(codes, np.round(codes)) and w.min() >= lo and w.max() <= hi
        if step == 99:
            assert (w == hi).all()
    assert (w == lo).all()


def test_training_keeps_network_weights_on_grid():
    task = TaskConfig()
    net = NetworkConfig(weight_bits=4, lr=0.2, lr_hidden=0.2, err_threshold=1.0)
    model = ErrorPropNetwork(task=task, net=net, seeds=[0, 1, 2])
    lo, hi = weight_limits(net)
    rng = np.random.default_rng(0)
    for k in range(10):
        y = rng.integers(0, 2, size=(3, 1))
        x = np.stack([make_trials(task, y[r], rng) for r in range(3)])
        model.run(x, y, learn=True, sample_ids=np.full(3, k))
    for w in (model.W1, model.W2):
        assert np.array_equal(w / net.lsb, np.round(w / net.lsb))
        assert w.min() >= lo and w.max() <= hi
    assert len(np.unique(model.W1)) > 3


def test_stochastic_rounding_is_unbiased_and_nearest_drops_small_steps():
    net = NetworkConfig(weight_bits=6)
    u = random_uniforms(seed=0, stream=99, sample=0, step=0, draw_index=np.arange(20000)[:, None])
    delta = 0.3 * net.lsb  # well below one LSB
    kw = dict(pre_trace=np.array([1.0]), err_pos=np.zeros(20000), err_neg=np.ones(20000), net=net,
              lr=delta)
    w = local_update(np.zeros((20000, 1)), uniforms=u, **kw)
    assert set(np.unique(w / net.lsb)) == {0.0, 1.0}
    assert abs(w.mean() - delta) < 4 * net.lsb * np.sqrt(0.3 * 0.7 / 20000)
    nearest = NetworkConfig(weight_bits=6, rounding="nearest")
    assert (local_update(np.zeros((20000, 1)), **dict(kw, net=nearest)) == 0).all()
    with pytest.raises(ValueError, match="exactly one"):
        local_update(np.zeros((2, 1)), err_pos=np.zeros(2), err_neg=np.ones(2), net=net, lr=0.1)
    with pytest.raises(ValueError, match="uniform"):
        local_update(np.zeros((2, 1)), pre_trace=np.ones(1), err_pos=np.zeros(2),
                     err_neg=np.ones(2), net=net, lr=0.1)


def test_rounding_uniforms_come_from_the_project_rng_and_depend_only_on_their_key():
    kw = dict(stream=Stream.ERROR_PROP_ROUND + 1, sample=3, step=5)
    idx = np.arange(128).reshape(16, 8)
    full = random_uniforms(seed=7, draw_index=idx, **kw)
    part = random_uniforms(seed=7, draw_index=idx[4:6, 2:3], **kw)
    assert np.array_equal(full[4:6, 2:3], part)
    # the 16-bit draws of golden_model.rng, scaled: one source of random bits in the project
    draws = random_draws(seed=7, width=16, draw_index=idx, **kw)
    assert np.array_equal(full, draws / 65536.0)
    assert 0.0 <= full.min() and full.max() < 1.0
    assert not np.array_equal(full, random_uniforms(seed=8, draw_index=idx, **kw))
    seeds = np.array([7, 8])[:, None, None]  # per-replica seeds broadcast like the network's
    both = random_uniforms(seed=seeds, draw_index=idx[None], **kw)
    assert np.array_equal(both[0], full)
    big = random_uniforms(seed=1, stream=2, sample=0, step=0, draw_index=np.arange(50000))
    assert abs(big.mean() - 0.5) < 0.01 and abs(np.corrcoef(big[:-1], big[1:])[0, 1]) < 0.02
