"""Amaranth-simulator tier of the SpikeGrad synaptic fan-out and the forward/backward layer
engines: the fan-out against ``sign * W[:, j]`` / ``sign * W[k, :]``, and whole layers'
quiescent (error) counts against the ANN-equivalent closed forms, for random spike orders and
backpressure."""
import gc
import random

import numpy as np
import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.units import quiescent_count, quiescent_error_count
from snnforge.hdl.registry import load_units
from snnforge.hdl.spikegrad import BackwardLayer, ForwardLayer, SynapticFanout
from snnforge.hdl.checks import signed_bits
from snnforge.hdl.stream import decode_event, encode_event
from snnforge.sim.budget import CycleBudget, stream_cycle_bound

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def settle_bounds(*, inputs, n_post, expected, ready_p):
    """(zero-input sweeps, clock cycles) a working layer needs at most to become quiet.

    Every neuron step (one input event or one sweep's zero input) moves a count by at most
    one, and after the last input every sweep but the final quiet one moves each unsettled
    count one step towards its quiescent value: at most ``inputs`` steps away from 0 and
    ``max|expected|`` from 0, so ``inputs + max|expected| + 1`` sweeps. Each step is one
    fan-out item per destination neuron (one per cycle), each emits at most one output spike."""
    sweeps = inputs + int(np.abs(expected).max(initial=0)) + 1
    steps = (inputs + sweeps) * n_post
    return sweeps, stream_cycle_bound(steps, latency=16, ready_probability=ready_p)


def _signed(value, bits):
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("n_pre,n_post", [(5, 3), (1, 4), (7, 1)])
def test_fanout_emits_signed_weight_rows_and_columns(transposed, n_pre, n_post):
    wb = 5
    rng = np.random.default_rng(n_pre * 10 + n_post + transposed)
    weights = rng.integers(-16, 16, size=(n_post, n_pre))
    weights[0, 0] = -16  # the most negative weight must negate without overflow
    dut = SynapticFanout(n_pre=n_pre, n_post=n_post, weight_bits=wb, transposed=transposed,
                         init=weights)
    n_src = n_post if transposed else n_pre
    spikes = [(int(rng.integers(n_src)), bool(rng.integers(2))) for _ in range(60)]
    # a weight write in the middle: later spikes must read the new value
    write_at, new_weight = 30, (0, 0, 9)
    expected = []
    for index, (src, neg) in enumerate(spikes):
        w = weights.copy()
        if index >= write_at:
            w[new_weight[0], new_weight[1]] = new_weight[2]
        row = w[src, :] if transposed else w[:, src]
        expected += [(dst, int(-v if neg else v)) for dst, v in enumerate(row)]
    got = []
    prng = random.Random(1)

    async def tb(ctx):
        queue, sent, written = list(spikes), 0, False
        ow, aw = dut.output_layout.size, dut.dst_addr_width
        for _ in range(len(expected) * 6 + 50):
            write = sent == write_at and not written
            offered = queue[0] if queue and not write else None
            ctx.set(dut.i_spikes.valid, offered is not None and prng.random() < 0.7)
            if offered is not None:
                ctx.set(Value.cast(dut.i_spikes.payload),
                        encode_event(offered[0], offered[1], addr_width=dut.src_addr_width))
            ctx.set(dut.o_inputs.ready, prng.random() < 0.6)
            # the write waits until every earlier spike's fan-out has been read
            ctx.set(dut.i_write.valid, write and ctx.get(dut.i_spikes.ready))
            ctx.set(dut.i_write.payload.index, new_weight[0] * n_pre + new_weight[1])
            ctx.set(dut.i_write.payload.weight, new_weight[2])
            if ctx.get(dut.o_inputs.valid) and ctx.get(dut.o_inputs.ready):
                raw = ctx.get(Value.cast(dut.o_inputs.payload))
                got.append((raw & ((1 << aw) - 1), _signed(raw >> aw, ow - aw)))
            if ctx.get(dut.i_write.valid):
                written = True
            if ctx.get(dut.i_spikes.valid) and ctx.get(dut.i_spikes.ready):
                queue.pop(0)
                sent += 1
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    assert got == expected


def run_layer(*, n_pre, n_post, weight_bits, theta, count_bits, seed, ready_p=0.5,
              potential_bits=None, pre_count_bits=2, extremes=False, bias_count=1):
    """Run one sample through a ForwardLayer until quiet; returns (rtl counts, net output
    spikes per neuron, expected counts, zero-step sweeps). ``potential_bits=None``: the
    worst case of 2-bit pre counts exactly. ``bias_count``: the host sends bias inputs
    ``bias_count * b`` (the last neuron's bias the most negative). ``extremes``: neuron 0's weights near the most
    positive value, neuron 1's near the most negative, one pre neuron sends the largest
    count ``2**pre_count_bits - 1`` through small weights elsewhere (saturated and
    far-negative potentials next to intermediate counts)."""
    rng = np.random.default_rng(seed)
    wmax = (1 << (weight_bits - 1))
    weights = rng.integers(-wmax, wmax, size=(n_post, n_pre))
    bias = rng.integers(-wmax, wmax, size=n_post)
    bias[-1] = -wmax  # the widest bias input, -bias_count * 2**(weight_bits - 1)
    counts_in = rng.integers(0, 4, size=n_pre)
    if extremes:
        weights[0] = wmax - 1 - rng.integers(0, 16, size=n_pre)
        weights[1] = -wmax + rng.integers(0, 16, size=n_pre)
        busy = int(rng.integers(n_pre))
        counts_in[busy] = (1 << pre_count_bits) - 1
        # its other synapses small, so the other neurons keep intermediate counts
        weights[2:, busy] = rng.integers(-theta // 16, theta // 16, size=n_post - 2)
    cmax = (1 << count_bits) - 1
    pb = potential_bits or (n_pre * wmax * 3 + wmax * bias_count
                            + theta * cmax).bit_length() + 1
    dut = ForwardLayer(n_pre=n_pre, n_post=n_post, weight_bits=weight_bits, theta=theta,
                       count_bits=count_bits, potential_bits=pb, pre_count_bits=pre_count_bits,
                       bias_count=bias_count, init=weights)
    spikes = [j for j in range(n_pre) for _ in range(int(counts_in[j]))]
    random.Random(seed).shuffle(spikes)
    expected = quiescent_count(bias_count * bias + weights @ counts_in, theta=theta,
                               count_max=cmax)
    net = np.zeros(n_post, dtype=np.int64)
    prng = random.Random(seed)
    result = {}
    aw_in, aw_out = dut.fanout.src_addr_width, dut.neurons.addr_width
    vb = dut.direct_bits

    async def tb(ctx):
        ctx.set(dut.clear, 1)
        await ctx.tick()
        ctx.set(dut.clear, 0)
        direct = [(i, bias_count * int(b)) for i, b in enumerate(bias)]
        queue = list(spikes)
        sweeps, spikes_seen = 0, 0
        sweep_start_spikes = None
        max_sweeps, max_cycles = settle_bounds(inputs=len(spikes) + 1, n_post=n_post,
                                               expected=expected, ready_p=ready_p)
        budget = CycleBudget(max_cycles, name="forward layer")
        while True:
            budget.spend(f"quiescence (sweep {sweeps}, {len(queue)} input spikes queued, "
                         f"{spikes_seen} output spikes)")
            ctx.set(dut.i_spikes.valid, bool(queue))
            if queue:
                ctx.set(Value.cast(dut.i_spikes.payload),
                        encode_event(queue[0], False, addr_width=aw_in))
            ctx.set(dut.i_direct.valid, bool(direct))
            if direct:
                ctx.set(Value.cast(dut.i_direct.payload),
                        direct[0][0] | ((direct[0][1] & ((1 << vb) - 1)) << aw_out))
            ctx.set(dut.o_spikes.ready, prng.random() < ready_p)
            if ctx.get(dut.o_spikes.valid) and ctx.get(dut.o_spikes.ready):
                addr, neg = decode_event(ctx.get(Value.cast(dut.o_spikes.payload)),
                                         addr_width=aw_out)
                net[addr] += -1 if neg else 1
                spikes_seen += 1
            if queue and ctx.get(dut.i_spikes.ready):
                queue.pop(0)
            if direct and ctx.get(dut.i_direct.ready):
                direct.pop(0)
            await ctx.tick()
            idle = (not queue and not direct and not ctx.get(dut.fanout.o_inputs.valid)
                    and ctx.get(dut.i_spikes.ready) and not ctx.get(dut.o_spikes.valid))
            if idle:
                if sweep_start_spikes is not None and spikes_seen == sweep_start_spikes:
                    break  # a whole zero-input sweep emitted nothing: quiescent
                direct = [(i, 0) for i in range(n_post)]
                sweep_start_spikes = spikes_seen
                sweeps += 1
                assert sweeps <= max_sweeps, f"the layer never became quiet ({sweeps} sweeps)"
        rtl, pots = [], []
        for i in range(n_post):
            ctx.set(dut.probe_addr, i)
            rtl.append(ctx.get(dut.probe_count))
            pots.append(ctx.get(dut.probe_potential))
        result["rtl"] = np.array(rtl)
        result["sweeps"] = sweeps
        result["potentials"] = pots

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    # V = a - theta * c at quiescence (a = bias + W @ c_pre): the final potentials too
    totals = bias_count * bias + weights @ counts_in
    assert result["potentials"] == (totals - theta * expected).tolist()
    return result["rtl"], net, expected, result["sweeps"]


@pytest.mark.parametrize("seed", range(6))
def test_forward_layer_reaches_the_ann_equivalent_counts(seed):
    rtl, net, expected, sweeps = run_layer(n_pre=7, n_post=5, weight_bits=5, theta=9,
                                           count_bits=3, seed=seed)
    assert rtl.tolist() == expected.tolist()
    assert net.tolist() == expected.tolist()  # the spikes on the channel net out to the counts
    assert sweeps >= 1


@pytest.mark.parametrize("bias_count", [3, 64])
def test_forward_layer_bias_input_of_several_spikes(bias_count):
    """The direct port carries bias_count * b (wider than one transfer +-W) and the
    counts are quiescent_count(bias_count * b + W @ c_pre); with 64 the bias input alone
    drives neurons to saturation or far below zero."""
    for seed in range(3):
        rtl, net, expected, _ = run_layer(n_pre=7, n_post=5, weight_bits=5, theta=9,
                                          count_bits=3, seed=seed, bias_count=bias_count)
        assert rtl.tolist() == expected.tolist() and net.tolist() == expected.tolist()
    layer = ForwardLayer(n_pre=7, n_post=5, weight_bits=5, theta=9, count_bits=3,
                         potential_bits=16, pre_count_bits=2, bias_count=64)
    assert layer.direct_bits == 11  # -64 * 16 = -1024
    with pytest.raises(ConfigError, match="bias_count=64.*potential_bits >= 12"):
        ForwardLayer(n_pre=7, n_post=5, weight_bits=5, theta=9, count_bits=3,
                     potential_bits=11, pre_count_bits=2, bias_count=64)
    gc.collect()


def test_forward_layer_cases_cover_zero_active_and_saturated_neurons():
    seen = np.concatenate([run_layer(n_pre=7, n_post=5, weight_bits=5, theta=9, count_bits=3,
                                     seed=seed)[2] for seed in range(6)])
    assert (seen == 0).any() and ((seen > 0) & (seen < 7)).any() and (seen == 7).any()


def test_forward_layer_at_training_config_reaches_the_ann_equivalent_counts():
    """The registered defaults (the trained formats of 784-800-800-10's hidden layer:
    theta 2**16, 20-bit weights, 8-bit counts and pre counts, V 38 bits; 64 -> 16 synapses):
    saturated (255), zero and intermediate counts, a pre neuron sending 255 spikes."""
    params = load_units()["spikegrad_forward_layer"].resolve()
    cmax = (1 << params["count_bits"]) - 1
    rtl, net, expected, _ = run_layer(**params, seed=40, ready_p=0.8, extremes=True)
    assert rtl.tolist() == expected.tolist()
    assert net.tolist() == expected.tolist()
    assert (expected == cmax).any() and (expected == 0).any()
    assert ((expected > 1) & (expected < cmax)).any()


def test_forward_layer_rejects_too_narrow_potential():
    with pytest.raises(ConfigError, match="potential_bits"):
        ForwardLayer(n_pre=4, n_post=4, weight_bits=8, theta=3, count_bits=2,
                     potential_bits=11, pre_count_bits=2)
    with pytest.raises(ConfigError, match="init weights must fit"):
        SynapticFanout(n_pre=2, n_post=2, weight_bits=3, init=np.full((2, 2), 4))
    with pytest.raises(ConfigError, match="shape"):
        SynapticFanout(n_pre=2, n_post=3, weight_bits=3, init=np.zeros((2, 3), int))
    gc.collect()  # the half-built components warn here, inside this test's warning filter


def run_backward_layer(*, n_pre, n_post, weight_bits, theta_bp, error_bits, seed, ready_p=0.5,
                       potential_bits=None, error_count_max_above=3):
    """Error spikes of the layer above (with cancelling +1/-1 pairs, random order) through a
    BackwardLayer until quiet; returns (rtl error counts, net error spikes out, expected).
    ``potential_bits=None``: the worst case of |n_above| <= 3 exactly."""
    rng = np.random.default_rng(seed)
    wmax = 1 << (weight_bits - 1)
    weights = rng.integers(-wmax, wmax, size=(n_post, n_pre))
    n_above = rng.integers(-3, 4, size=n_post)
    gate_mask = rng.integers(0, 2, size=n_pre)
    emax = (1 << (error_bits - 1)) - 1
    pb = potential_bits or signed_bits(n_post * wmax * 3 + theta_bp * emax)
    dut = BackwardLayer(n_pre=n_pre, n_post=n_post, weight_bits=weight_bits, theta_bp=theta_bp,
                        error_bits=error_bits, potential_bits=pb,
                        error_count_max_above=error_count_max_above, init=weights)
    spikes = [(k, n < 0) for k, n in enumerate(n_above) for _ in range(abs(int(n)))]
    for _ in range(3):  # a +1 and a -1 of the same neuron cancel
        k = int(rng.integers(n_post))
        spikes += [(k, False), (k, True)]
    random.Random(seed).shuffle(spikes)
    expected = quiescent_error_count(gate_mask * (weights.T @ n_above), theta_bp=theta_bp,
                                     error_max=emax)
    net = np.zeros(n_pre, dtype=np.int64)
    prng = random.Random(seed)
    result = {}
    aw_in, aw_out = dut.fanout.src_addr_width, dut.integrators.addr_width

    async def tb(ctx):
        ctx.set(dut.gate_mask, int(sum(int(g) << j for j, g in enumerate(gate_mask))))
        ctx.set(dut.clear, 1)
        await ctx.tick()
        ctx.set(dut.clear, 0)
        queue, direct = list(spikes), []
        sweeps, seen, sweep_start = 0, 0, None
        max_sweeps, max_cycles = settle_bounds(inputs=len(spikes), n_post=n_pre,
                                               expected=expected, ready_p=ready_p)
        budget = CycleBudget(max_cycles, name="backward layer")
        while True:
            budget.spend(f"quiescence (sweep {sweeps}, {len(queue)} error spikes queued, "
                         f"{seen} output spikes)")
            ctx.set(dut.i_errors.valid, bool(queue))
            if queue:
                ctx.set(Value.cast(dut.i_errors.payload),
                        encode_event(queue[0][0], queue[0][1], addr_width=aw_in))
            ctx.set(dut.i_direct.valid, bool(direct))
            if direct:
                ctx.set(dut.i_direct.payload.addr, direct[0])
                ctx.set(dut.i_direct.payload.value, 0)
            ctx.set(dut.o_errors.ready, prng.random() < ready_p)
            if ctx.get(dut.o_errors.valid) and ctx.get(dut.o_errors.ready):
                addr, neg = decode_event(ctx.get(Value.cast(dut.o_errors.payload)),
                                         addr_width=aw_out)
                net[addr] += -1 if neg else 1
                seen += 1
            if queue and ctx.get(dut.i_errors.ready):
                queue.pop(0)
            if direct and ctx.get(dut.i_direct.ready):
                direct.pop(0)
            await ctx.tick()
            idle = (not queue and not direct and ctx.get(dut.i_errors.ready)
                    and not ctx.get(dut.fanout.o_inputs.valid)
                    and not ctx.get(dut.gate.o_output.valid) and not ctx.get(dut.o_errors.valid))
            if idle:
                if sweep_start is not None and seen == sweep_start:
                    break
                direct, sweep_start = list(range(n_pre)), seen
                sweeps += 1
                assert sweeps <= max_sweeps, f"the layer never became quiet ({sweeps} sweeps)"
        counts = []
        for j in range(n_pre):
            ctx.set(dut.probe_addr, j)
            counts.append(ctx.get(dut.probe_count))
        result["rtl"] = np.array(counts)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return result["rtl"], net, expected


def test_backward_layer_reaches_the_ann_equivalent_error_counts():
    seen = []
    for seed in range(5):
        rtl, net, expected = run_backward_layer(n_pre=6, n_post=4, weight_bits=5, theta_bp=7,
                                                error_bits=4, seed=seed)
        assert rtl.tolist() == expected.tolist(), f"seed {seed}"
        assert net.tolist() == expected.tolist(), f"seed {seed}"
        seen.append(expected)
    seen = np.concatenate(seen)
    # zero (gated or small), both signs and both saturation limits occur
    assert (seen == 0).any() and (seen == 7).any() and (seen == -7).any()
    assert ((seen > 0) & (seen < 7)).any() and ((seen < 0) & (seen > -7)).any()


def test_backward_layer_at_training_config_reaches_the_ann_equivalent_error_counts():
    """The registered defaults (trained formats, the first hidden layer's integrators:
    theta_bp 2**16, 20-bit weights, 14-bit error counts, U 43 bits; error spikes of 64
    neurons above into 16 error integrators)."""
    params = load_units()["spikegrad_backward_layer"].resolve()
    rtl, net, expected = run_backward_layer(**params, seed=41, ready_p=0.8)
    assert rtl.tolist() == expected.tolist()
    assert net.tolist() == expected.tolist()
    assert (expected == 0).any() and (expected > 1).any() and (expected < -1).any()


def test_backward_layer_rejects_too_narrow_potential():
    with pytest.raises(ConfigError, match="error potential can reach"):
        BackwardLayer(n_pre=4, n_post=4, weight_bits=8, theta_bp=3, error_bits=4,
                      potential_bits=10, error_count_max_above=3)
    gc.collect()
