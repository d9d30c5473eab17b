"""cocotb testbenches of the SpikeGrad RTL units (hdl/spikegrad) on Verilator.

Every unit is scored against the golden step functions of
``snnforge.golden_model.spikegrad.units`` (through ``snnforge.sim.spikegrad_unit_reference``):

* ``array_matches_golden``: IF-neuron or error-integrator array. Random steps in samples
  separated by ``clear``; a FallingEdge monitor steps a golden model on every input transfer
  and compares one probed neuron's (potential, count) every cycle; every spike event on the
  signed spike channel is scoreboarded in order; random valid gaps and backpressure.
* ``gate_matches_golden`` / ``update_matches_golden`` / ``fanout_matches_golden``: the
  derivative gate, the weight-update unit and the synaptic fan-out (random weights from
  ``seed``, the same as the launcher's), every output transfer scoreboarded.
* ``loss_matches_golden``: the on-chip loss unit (``OutputErrorUnit``) against
  ``units.output_error_fixed``: ``count`` samples of ``classes`` random totals (logit spreads
  from a fraction of a threshold to the whole ``total_bits`` range) and labels, every error
  and its ``last`` flag scoreboarded.

Parameters (``SNNFORGE_TB_PARAMS``, must match the Verilog): see ``DEFAULTS``; ``corrupt``
flips one expectation (proves the scoreboard can fail); ``drive`` / ``min_peak_bits`` /
``require_saturation`` make the array stimulus walk to the ends of the potential and count
ranges and assert that it got there (the training-configuration runs). The speed (simulated
cycles per second) is logged and written to ``stats_path`` when given.
"""
import json
import random

import cocotb
from cocotb.triggers import FallingEdge, RisingEdge

from snnforge.hdl.stream import decode_event
from snnforge.sim import Scoreboard, StreamSink, StreamSource, TB, tb_params
from snnforge.sim.budget import stream_cycle_bound
from snnforge.sim.spikegrad_unit_reference import (ArrayModel, fanout_reference, gate_reference,
                                                   random_gate_inputs, random_update_inputs,
                                                   random_weights, update_reference)

DEFAULTS = {
    "kind": "if", "n_neurons": 8, "threshold": 100, "count_bits": 4, "potential_bits": 14,
    "input_bits": 9, "steps": 10000, "samples": 8,
    "addr_width": 3, "value_bits": 8, "skip_gated": False,
    "weight_bits": 8, "error_bits": 6, "lr_mult": 1, "lr_shift": 4, "count": 10000,
    "n_pre": 5, "n_post": 3, "transposed": False,
    "classes": 10, "total_bits": 30, "theta": 1 << 14, "gradient_scale": 1 << 30,
    "frac_bits": 10, "exp_bits": 17,
    "valid_probability": 0.8, "ready_probability": 0.6, "seed": 1, "corrupt": False,
    "stats_path": "",
    # wide-datapath stimulus of the arrays (ArrayModel.random_events): samples alternate a
    # fixed +/- drive towards the ends of the ranges; coverage the stimulus must reach
    "drive": 0.0, "hot_probability": 0.5, "min_peak_bits": 0, "require_saturation": False,
}


def _mask(value: int, bits: int) -> int:
    return int(value) & ((1 << bits) - 1)


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _write_stats(p, tb, **extra) -> None:
    tb.log.info("%d cycles, %.0f cycles/s", tb.cycles, tb.speed())
    if p["stats_path"]:
        with open(p["stats_path"], "w") as handle:
            json.dump({"cycles": tb.cycles, "cycles_per_s": tb.speed(), **extra}, handle)


@cocotb.test()
async def array_matches_golden(dut):
    p = tb_params(DEFAULTS)
    tb = TB(dut, seed=p["seed"])
    shape = dict(kind=p["kind"], n_neurons=p["n_neurons"], threshold=p["threshold"],
                 count_bits=p["count_bits"], potential_bits=p["potential_bits"],
                 input_bits=p["input_bits"])
    aw = max(1, (p["n_neurons"] - 1).bit_length())
    planner, live = ArrayModel(**shape), ArrayModel(**shape)
    rng = tb.child_rng("stimulus")
    per_sample = max(1, p["steps"] // p["samples"])
    samples = []
    for index in range(p["samples"]):
        planner.clear()
        if p["drive"]:  # alternate +/- full-scale walks (potential and count to both ends)
            samples.append(planner.random_events(
                rng, per_sample, bias=1 if index % 2 == 0 else -1, drive=p["drive"],
                hot_probability=p["hot_probability"]))
        else:
            samples.append(planner.random_events(rng, per_sample))
    _check_array_coverage(p, planner)
    expected = [(a, s < 0) for sample in samples for a, _, s in sample if s]
    if p["corrupt"]:
        expected[0] = (expected[0][0], not expected[0][1])
    board = Scoreboard("o_spikes")
    board.expect_all(expected)

    dut.clear.value = 0
    dut.probe_addr.value = 0
    source = StreamSource(dut, "i_input", tb.clk, rng=tb.child_rng("source"),
                          valid_probability=p["valid_probability"], reset=tb.rst,
                          encode=lambda item: item[0] | (_mask(item[1], p["input_bits"]) << aw))
    StreamSink(dut, "o_spikes", tb.clk, rng=tb.child_rng("sink"),
               ready_probability=p["ready_probability"], reset=tb.rst,
               decode=lambda v: decode_event(v, addr_width=aw), callback=board.observe)
    checked = {"states": 0, "steps": 0}
    probe_rng = tb.child_rng("probe")

    async def monitor():
        """At each falling edge: the probed state must equal the golden state after every
        transfer so far; then account for the transfer / clear the next rising edge makes."""
        probe = 0
        while True:
            await FallingEdge(tb.clk)
            if int(tb.rst.value):
                continue
            got = (dut.probe_potential.value.to_signed(),
                   dut.probe_count.value.to_signed() if p["kind"] == "error"
                   else dut.probe_count.value.to_unsigned())
            want = (int(live.potential[probe]), int(live.count[probe]))
            assert got == want, (f"neuron {probe}: RTL (V, count) {got} != golden {want} after "
                                 f"{checked['steps']} steps")
            checked["states"] += 1
            if int(dut.clear.value):
                assert not int(dut.i_input__ready.value), "input ready during clear"
                live.clear()
            elif int(dut.i_input__valid.value) and int(dut.i_input__ready.value):
                payload = dut.i_input__payload.value.to_unsigned()
                live.step(payload & ((1 << aw) - 1), _signed(payload >> aw, p["input_bits"]))
                checked["steps"] += 1
            probe = probe_rng.randrange(p["n_neurons"])
            dut.probe_addr.value = probe

    await tb.reset()
    cocotb.start_soon(monitor())
    for sample in samples:
        source.extend((a, v) for a, v, _ in sample)
        # one neuron step per cycle (latency 1), stretched by valid gaps and backpressure
        await source.wait_idle(timeout_cycles=stream_cycle_bound(
            len(sample), latency=1, valid_probability=p["valid_probability"],
            ready_probability=p["ready_probability"]))
        await RisingEdge(tb.clk)
        dut.clear.value = 1
        await RisingEdge(tb.clk)
        dut.clear.value = 0
    await tb.wait(20)
    board.check()
    total = sum(len(s) for s in samples)
    assert checked["steps"] == total, f"{checked['steps']} steps of {total} reached the DUT"
    assert tb.cycles >= 10000 or p["steps"] < 10000, f"only {tb.cycles} cycles"
    _write_stats(p, tb, steps=total, spikes=len(expected), state_checks=checked["states"],
                 reached=dict(planner.extremes))


def _check_array_coverage(p, model) -> None:
    """The stimulus must reach what the run claims (``ArrayModel.coverage_shortfall``)."""
    shortfall = model.coverage_shortfall(min_peak_bits=p["min_peak_bits"],
                                         require_saturation=p["require_saturation"])
    assert shortfall is None, shortfall


async def _run_stage(dut, p, *, in_name, out_name, items, encode, expected, signed_out,
                     decode, cycles_per_item: int = 50):
    tb = TB(dut, seed=p["seed"])
    if p["corrupt"]:
        expected[0] = expected[0] + 1
    board = Scoreboard(out_name)
    board.expect_all(expected)
    source = StreamSource(dut, in_name, tb.clk, rng=tb.child_rng("source"),
                          valid_probability=p["valid_probability"], reset=tb.rst, encode=encode)
    sink = StreamSink(dut, out_name, tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"], signed=signed_out,
                      decode=decode, callback=board.observe, reset=tb.rst)
    await tb.reset()
    source.extend(items)
    await sink.wait_count(len(expected),
                          timeout_cycles=cycles_per_item * (len(items) + len(expected)) + 100)
    await tb.wait(20)
    board.check()
    assert source.sent == len(items)
    _write_stats(p, tb, transfers=len(items))


@cocotb.test()
async def gate_matches_golden(dut):
    p = tb_params(DEFAULTS)
    aw, vb, cb = p["addr_width"], p["value_bits"], p["count_bits"]
    items = random_gate_inputs(random.Random(p["seed"]), p["count"], addr_width=aw,
                               value_bits=vb, count_bits=cb)
    expected = [(a, gate_reference(v, c)) for a, v, c in items if c or not p["skip_gated"]]
    expected = [a | (_mask(v, vb) << aw) for a, v in expected]
    await _run_stage(dut, p, in_name="i_input", out_name="o_output", items=items,
                     encode=lambda it: it[0] | (_mask(it[1], vb) << aw)
                     | (it[2] << (aw + vb)),
                     expected=expected, signed_out=False, decode=None)


@cocotb.test()
async def update_matches_golden(dut):
    p = tb_params(DEFAULTS)
    wb, eb, cb = p["weight_bits"], p["error_bits"], p["count_bits"]
    items = random_update_inputs(random.Random(p["seed"]), p["count"], weight_bits=wb,
                                 error_bits=eb, count_bits=cb)
    expected = [update_reference(w, n, c, lr_mult=p["lr_mult"], lr_shift=p["lr_shift"],
                                 weight_bits=wb) for w, n, c in items]
    if p["require_saturation"]:
        limits = {-(1 << (wb - 1)), (1 << (wb - 1)) - 1}
        assert limits <= set(expected), f"the stimulus never saturated at {sorted(limits)}"
    await _run_stage(dut, p, in_name="i_update", out_name="o_weight", items=items,
                     encode=lambda it: _mask(it[0], wb) | (_mask(it[1], eb) << wb)
                     | (it[2] << (wb + eb)),
                     expected=expected, signed_out=True, decode=None)


@cocotb.test()
async def fanout_matches_golden(dut):
    p = tb_params(DEFAULTS)
    n_pre, n_post, wb = p["n_pre"], p["n_post"], p["weight_bits"]
    weights = random_weights(p["seed"], n_pre=n_pre, n_post=n_post, weight_bits=wb)
    n_src, n_dst = (n_post, n_pre) if p["transposed"] else (n_pre, n_post)
    src_aw = max(1, (n_src - 1).bit_length())
    dst_aw = max(1, (n_dst - 1).bit_length())
    rng = random.Random(p["seed"])
    spikes = [(rng.randrange(n_src), rng.random() < 0.5)
              for _ in range(-(-p["count"] // n_dst))]
    expected = [d | (_mask(v, wb + 1) << dst_aw)
                for d, v in fanout_reference(weights, spikes, transposed=p["transposed"])]
    dut.i_write__valid.value = 0
    await _run_stage(dut, p, in_name="i_spikes", out_name="o_inputs", items=spikes,
                     encode=lambda s: s[0] | (int(s[1]) << src_aw), expected=expected,
                     signed_out=False, decode=None)


@cocotb.test()
async def loss_matches_golden(dut):
    import numpy as np

    from snnforge.golden_model.spikegrad.units import output_error_fixed

    p = tb_params(DEFAULTS)
    c, tb_bits, g = p["classes"], p["total_bits"], p["gradient_scale"]
    rng = np.random.default_rng(p["seed"])
    lim = 1 << (tb_bits - 1)
    spreads = [max(1, p["theta"] // 4), 4 * p["theta"], 40 * p["theta"], lim]
    totals = np.array([rng.integers(-min(s, lim), min(s, lim), size=c)
                       for s in rng.choice(spreads, size=p["count"])], dtype=np.int64)
    labels = rng.integers(0, c, size=p["count"])
    errors = output_error_fixed(totals, labels, theta=p["theta"], gradient_scale=g,
                                frac_bits=p["frac_bits"], exp_bits=p["exp_bits"])
    eb = g.bit_length() + 1
    expected = [_mask(int(e), eb) | (int(i == c - 1) << eb) for row in errors
                for i, e in enumerate(row)]
    items = [(int(t), int(labels[n])) for n, row in enumerate(totals) for t in row]
    await _run_stage(dut, p, in_name="i_totals", out_name="o_errors", items=items,
                     encode=lambda it: _mask(it[0], tb_bits) | (it[1] << tb_bits),
                     expected=expected, signed_out=False, decode=None,
                     cycles_per_item=2 * g.bit_length() + 20)
