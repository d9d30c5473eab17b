"""cocotb testbenches of the SpikeGrad layer engines (``ForwardLayer``, ``BackwardLayer``) on
Verilator.

Each sample: random weights (the launcher's, from ``seed``), random pre-synaptic counts (forward)
or error counts of the neurons above (backward), sent as shuffled unit spikes with cancelling
+1/-1 pairs through a source with random valid gaps; the bias inputs (forward) go through the
direct port at the same time; then zero-input sweeps over every neuron until a sweep emits
no spike (quiescence). The output spike channel sees random backpressure. Scored against the
golden closed forms of ``snnforge.golden_model.spikegrad.units``: every neuron's probed count
equals ``quiescent_count(bias_count * b + W @ c)`` (forward) or
``quiescent_error_count(gate * (W.T @ n))`` (backward), its potential equals
``total - threshold * count``, and the spikes on the output channel net out to the counts.

Parameters (``SNNFORGE_TB_PARAMS``, must match the Verilog): see ``DEFAULTS``; ``corrupt``
flips one expectation (proves the check can fail).
"""
import random

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge

from snnforge.golden_model.spikegrad.units import quiescent_count, quiescent_error_count
from snnforge.hdl.stream import decode_event, encode_event
from snnforge.sim import StreamSink, StreamSource, TB, tb_params
from snnforge.sim.budget import CycleBudget, stream_cycle_bound
from snnforge.sim.spikegrad_unit_reference import random_weights

DEFAULTS = {
    "n_pre": 7, "n_post": 5, "weight_bits": 6, "threshold": 9, "count_bits": 3,
    "potential_bits": 16, "pre_count_max": 3, "bias_count": 1, "direct_bits": 7,
    "samples": 6, "pairs": 3, "valid_probability": 0.7, "ready_probability": 0.5,
    "seed": 1, "corrupt": False,
}


def _addr_width(n: int) -> int:
    return max(1, (int(n) - 1).bit_length())


def _mask(value: int, bits: int) -> int:
    return int(value) & ((1 << bits) - 1)


def sample_stimulus(rng: np.random.Generator, p: dict, kind: str):
    """(input counts per source neuron, bias or gate vector) of one sample."""
    n_src = p["n_pre"] if kind == "forward" else p["n_post"]
    if kind == "forward":
        counts = rng.integers(0, p["pre_count_max"] + 1, size=n_src)
        wmax = 1 << (p["weight_bits"] - 1)
        side = rng.integers(-wmax, wmax, size=p["n_post"])
        return counts, side
    counts = rng.integers(-p["pre_count_max"], p["pre_count_max"] + 1, size=n_src)
    gate = rng.integers(0, 2, size=p["n_pre"])
    return counts, gate


def spike_train(rng: random.Random, counts, pairs: int):
    """Shuffled unit spikes ``(addr, negative)`` netting out to ``counts``, plus ``pairs``
    cancelling +1/-1 pairs on random sources."""
    spikes = [(a, c < 0) for a, c in enumerate(counts) for _ in range(abs(int(c)))]
    for _ in range(pairs):
        a = rng.randrange(len(counts))
        spikes += [(a, False), (a, True)]
    rng.shuffle(spikes)
    return spikes


async def _run_layer(dut, kind: str):
    p = tb_params(DEFAULTS)
    tb = TB(dut, seed=p["seed"])
    forward = kind == "forward"
    n_src, n_dst = (p["n_pre"], p["n_post"]) if forward else (p["n_post"], p["n_pre"])
    src_aw, dst_aw = _addr_width(n_src), _addr_width(n_dst)
    step_bits = p["direct_bits"] if forward else p["weight_bits"] + 1
    weights = random_weights(p["seed"], n_pre=p["n_pre"], n_post=p["n_post"],
                             weight_bits=p["weight_bits"])
    rng, srng = np.random.default_rng(p["seed"]), tb.child_rng("spikes")
    in_port, out_port = ("i_spikes", "o_spikes") if forward else ("i_errors", "o_errors")
    net = np.zeros(n_dst, dtype=np.int64)
    seen = {"spikes": 0}

    def on_spike(item):
        addr, negative = item
        net[addr] += -1 if negative else 1
        seen["spikes"] += 1

    dut.clear.value = 0
    dut.probe_addr.value = 0
    dut.i_write__valid.value = 0
    dut.i_write__payload.value = 0
    if not forward:
        dut.gate_mask.value = 0
    spikes_in = StreamSource(dut, in_port, tb.clk, rng=tb.child_rng("source"),
                             valid_probability=p["valid_probability"], reset=tb.rst,
                             encode=lambda s: encode_event(s[0], s[1], addr_width=src_aw))
    direct = StreamSource(dut, "i_direct", tb.clk, rng=tb.child_rng("direct"),
                          valid_probability=p["valid_probability"], reset=tb.rst,
                          encode=lambda d: d[0] | (_mask(d[1], step_bits) << dst_aw))
    StreamSink(dut, out_port, tb.clk, rng=tb.child_rng("sink"),
               ready_probability=p["ready_probability"], reset=tb.rst,
               decode=lambda v: decode_event(v, addr_width=dst_aw), callback=on_spike)
    await tb.reset()
    covered = set()
    for sample in range(p["samples"]):
        counts, side = sample_stimulus(rng, p, kind)
        if forward:
            totals = weights @ counts + p["bias_count"] * side
            expected = quiescent_count(totals, theta=p["threshold"],
                                       count_max=(1 << p["count_bits"]) - 1)
            bias_steps = [(i, p["bias_count"] * int(b)) for i, b in enumerate(side)]
        else:
            bias_steps = []
            totals = (weights.T @ counts) * side
            expected = quiescent_error_count(totals, theta_bp=p["threshold"],
                                             error_max=(1 << (p["count_bits"] - 1)) - 1)
            dut.gate_mask.value = sum(int(g) << j for j, g in enumerate(side))
        covered.update(np.sign(expected).tolist())
        train = spike_train(srng, counts, p["pairs"])
        net[:] = 0
        await RisingEdge(tb.clk)
        dut.clear.value = 1
        await RisingEdge(tb.clk)
        dut.clear.value = 0
        direct.extend(bias_steps)  # after clear: the bias inputs start the sample
        spikes_in.extend(train)
        steps = (len(train) + 1) * n_dst
        await spikes_in.wait_idle(timeout_cycles=stream_cycle_bound(
            steps, latency=8, valid_probability=p["valid_probability"],
            ready_probability=p["ready_probability"]))
        # zero-input sweeps until one emits nothing; each step moves a count by at most one,
        # so a working layer is quiet after len(train) + max|count| + 2 sweeps
        sweeps_left = len(train) + int(np.abs(expected).max(initial=0)) + 2
        while True:
            assert sweeps_left > 0, f"sample {sample}: the {kind} layer never became quiet"
            sweeps_left -= 1
            await direct.wait_idle(timeout_cycles=stream_cycle_bound(
                steps + n_dst, latency=8, valid_probability=p["valid_probability"],
                ready_probability=p["ready_probability"]))
            budget = CycleBudget(stream_cycle_bound(8, latency=8,
                                                    ready_probability=p["ready_probability"]),
                                 name=f"{kind} layer drain")
            for _ in range(8):  # the pipeline drains: fan-out, gate, output register
                await RisingEdge(tb.clk)
            while int(getattr(dut, f"{out_port}__valid").value):
                budget.spend("output register to empty")
                await RisingEdge(tb.clk)
            before = seen["spikes"]
            direct.extend((i, 0) for i in range(n_dst))
            await direct.wait_idle(timeout_cycles=stream_cycle_bound(
                n_dst, latency=8, valid_probability=p["valid_probability"],
                ready_probability=p["ready_probability"]))
            for _ in range(8):
                await RisingEdge(tb.clk)
            while int(getattr(dut, f"{out_port}__valid").value):
                budget.spend("output register to empty after a sweep")
                await RisingEdge(tb.clk)
            if seen["spikes"] == before:
                break
        await FallingEdge(tb.clk)
        got_counts, got_pots = [], []
        for i in range(n_dst):
            dut.probe_addr.value = i
            await FallingEdge(tb.clk)
            got_counts.append(dut.probe_count.value.to_signed() if not forward
                              else dut.probe_count.value.to_unsigned())
            got_pots.append(dut.probe_potential.value.to_signed())
        want = expected.tolist()
        if p["corrupt"] and sample == 0:
            want[0] += 1
        assert got_counts == want, (f"{kind}_layer_matches_golden: sample {sample} counts "
                                    f"{got_counts} != golden {want}")
        assert got_pots == (totals - p["threshold"] * expected).tolist(), \
            f"sample {sample}: potentials {got_pots} != total - threshold * count"
        assert net.tolist() == expected.tolist(), \
            f"sample {sample}: output spikes net {net.tolist()} != counts {want}"
    assert {-1, 0, 1} & covered >= ({0, 1} if forward else {-1, 0, 1}), \
        f"the stimulus reached count signs {sorted(covered)} only"
    tb.log.info("%d samples, %d output spikes, %d cycles", p["samples"], seen["spikes"],
                tb.cycles)


@cocotb.test()
async def forward_layer_matches_golden(dut):
    await _run_layer(dut, "forward")


@cocotb.test()
async def backward_layer_matches_golden(dut):
    await _run_layer(dut, "backward")
