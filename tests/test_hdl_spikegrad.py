"""Amaranth-simulator tier of hdl/spikegrad: every unit against the golden step functions,
random stimulus, random valid gaps and backpressure, state checked every cycle."""
import gc
import random

import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.hdl.spikegrad import (DerivativeGate, TernaryErrorIntegratorArray,
                                      TernaryIFNeuronArray, GradientWeightUpdate)
from snnforge.hdl.stream import decode_event
from snnforge.sim.budget import CycleBudget, stream_cycle_bound
from snnforge.sim.spikegrad_unit_reference import (ArrayModel, gate_reference,
                                                   random_gate_inputs, random_update_inputs,
                                                   update_reference)

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _make_array(kind, *, n_neurons, threshold, count_bits, potential_bits, input_bits):
    params = dict(n_neurons=n_neurons, potential_bits=potential_bits, input_bits=input_bits)
    if kind == "if":
        dut = TernaryIFNeuronArray(theta=threshold, count_bits=count_bits, **params)
    else:
        dut = TernaryErrorIntegratorArray(theta_bp=threshold, error_bits=count_bits, **params)
    model = ArrayModel(kind=kind, threshold=threshold, count_bits=count_bits, **params)
    return dut, model


def run_array(kind, *, n_neurons, threshold, count_bits, potential_bits, input_bits, cycles,
              valid_p, ready_p, seed, clear_p=0.002, corrupt=False):
    """Drive random steps; check every cycle's probed state and every spike event against
    the golden model. Returns (steps, spikes, clears) for coverage checks."""
    dut, model = _make_array(kind, n_neurons=n_neurons, threshold=threshold,
                             count_bits=count_bits, potential_bits=potential_bits,
                             input_bits=input_bits)
    rng = random.Random(seed)
    stats = {"steps": 0, "plus": 0, "minus": 0, "clears": 0, "saturated": 0}
    expected, received = [], []

    async def tb(ctx):
        offered, bias, hot = None, 0, 0
        for _ in range(cycles):
            if rng.random() < 0.02:
                bias, hot = rng.choice((-1, 0, 1)), rng.randrange(n_neurons)
            clear = rng.random() < clear_p
            if offered is None and rng.random() < valid_p:
                addr = hot if rng.random() < 0.5 else rng.randrange(n_neurons)
                offered = (addr, model.pick_value(rng, addr, bias))
            probe = rng.randrange(n_neurons)
            ctx.set(dut.clear, clear)
            ctx.set(dut.probe_addr, probe)
            ctx.set(dut.i_input.valid, offered is not None)
            if offered is not None:
                ctx.set(dut.i_input.payload.addr, offered[0])
                ctx.set(dut.i_input.payload.value, offered[1])
            ctx.set(dut.o_spikes.ready, rng.random() < ready_p)
            # state after all earlier steps, every cycle
            got_state = (ctx.get(dut.probe_potential), ctx.get(dut.probe_count))
            want_state = (int(model.potential[probe]), int(model.count[probe]))
            assert got_state == want_state, (f"neuron {probe} state {got_state} != golden "
                                             f"{want_state} after {stats['steps']} steps")
            if ctx.get(dut.o_spikes.valid) and ctx.get(dut.o_spikes.ready):
                ev = decode_event(ctx.get(Value.cast(dut.o_spikes.payload)),
                                  addr_width=dut.addr_width)
                received.append(ev)
            if clear:
                assert not ctx.get(dut.i_input.ready), "input accepted during clear"
                model.clear()
                stats["clears"] += 1
            elif offered is not None and ctx.get(dut.i_input.ready):
                spike = model.step(*offered)
                stats["steps"] += 1
                if spike:
                    stats["plus" if spike > 0 else "minus"] += 1
                    expected.append((offered[0], spike < 0))
                stats["saturated"] += int(model.count[offered[0]] in (model.count_max,
                                                                       model.count_min)
                                          and model.count[offered[0]] != 0)
                offered = None
            await ctx.tick()
        # drain
        ctx.set(dut.i_input.valid, 0)
        ctx.set(dut.o_spikes.ready, 1)
        for _ in range(3):
            if ctx.get(dut.o_spikes.valid):
                received.append(decode_event(ctx.get(Value.cast(dut.o_spikes.payload)),
                                             addr_width=dut.addr_width))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    if corrupt and expected:
        expected[0] = (expected[0][0], not expected[0][1])
    first_diff = next((i for i, (a, b) in enumerate(zip(received, expected)) if a != b),
                      min(len(received), len(expected)))
    assert received == expected, (f"{len(received)} spike events vs {len(expected)} expected; "
                                  f"first difference at event {first_diff}")
    return stats


@pytest.mark.parametrize("kind", ["if", "error"])
@pytest.mark.parametrize("n_neurons,threshold,count_bits,potential_bits,input_bits", [
    (4, 7, 3, 10, 6),      # tiny: counts saturate often
    (5, 100, 4, 14, 9),    # non-power-of-two array
    (1, 1, 2, 6, 4),       # threshold 1
])
def test_array_matches_golden(kind, n_neurons, threshold, count_bits, potential_bits,
                              input_bits):
    stats = run_array(kind, n_neurons=n_neurons, threshold=threshold, count_bits=count_bits,
                      potential_bits=potential_bits, input_bits=input_bits, cycles=3000,
                      valid_p=0.8, ready_p=0.6, seed=threshold + n_neurons)
    # the stimulus must reach every rule: +1, -1, saturation, clear
    assert stats["plus"] > 20 and stats["minus"] > 20, stats
    assert stats["saturated"] > 0 and stats["clears"] > 0, stats


def test_array_full_rate_without_backpressure():
    stats = run_array("if", n_neurons=8, threshold=33, count_bits=3, potential_bits=12,
                      input_bits=8, cycles=1500, valid_p=1.0, ready_p=1.0, seed=3, clear_p=0)
    assert stats["steps"] == 1500  # one step per cycle


def test_array_check_can_fail():
    with pytest.raises(AssertionError, match="spike events"):
        run_array("error", n_neurons=4, threshold=9, count_bits=4, potential_bits=10,
                  input_bits=6, cycles=400, valid_p=0.9, ready_p=0.9, seed=1, corrupt=True)


def run_stage(dut, in_name, out_name, items, fields, *, ready_p, valid_p, seed, signed_out):
    """Push ``items`` (tuples for ``fields`` of the input payload) through a one-output
    stream stage with random gaps/backpressure; returns the received payload values."""
    rng = random.Random(seed)
    received = []
    # one-register stages: one transfer per cycle, latency 1
    budget = CycleBudget(stream_cycle_bound(len(items), latency=1, valid_probability=valid_p,
                                            ready_probability=ready_p), name=in_name)

    async def tb(ctx):
        queue, offered = list(items), None
        inp, out = getattr(dut, in_name), getattr(dut, out_name)
        while queue or offered is not None or ctx.get(out.valid):
            budget.spend(f"item {len(items) - len(queue)} of {len(items)} through {out_name}")
            if offered is None and queue and rng.random() < valid_p:
                offered = queue.pop(0)
            ctx.set(inp.valid, offered is not None)
            if offered is not None:
                for name, value in zip(fields, offered):
                    ctx.set(getattr(inp.payload, name), value)
            ctx.set(out.ready, rng.random() < ready_p)
            if ctx.get(out.valid) and ctx.get(out.ready):
                payload = out.payload
                received.append(ctx.get(payload if signed_out else Value.cast(payload)))
            if offered is not None and ctx.get(inp.ready):
                offered = None
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return received


@pytest.mark.parametrize("skip_gated", [False, True])
def test_derivative_gate_matches_golden(skip_gated):
    dut = DerivativeGate(addr_width=3, value_bits=7, count_bits=4, skip_gated=skip_gated)
    items = random_gate_inputs(random.Random(5), 1500, addr_width=3, value_bits=7, count_bits=4)
    got = run_stage(dut, "i_input", "o_output", items, ("addr", "value", "count"),
                    ready_p=0.6, valid_p=0.8, seed=2, signed_out=False)
    want = [(a, gate_reference(v, c)) for a, v, c in items if c or not skip_gated]
    decoded = [(p & 7, ((p >> 3) ^ 64) - 64) for p in got]
    assert decoded == want


@pytest.mark.parametrize("weight_bits,error_bits,count_bits,lr_mult,lr_shift", [
    (8, 6, 4, 1, 0), (8, 6, 4, 3, 4), (16, 10, 8, 1, 8), (4, 3, 2, 5, 1), (12, 10, 4, 1, 12),
])
def test_weight_update_matches_golden(weight_bits, error_bits, count_bits, lr_mult, lr_shift):
    dut = GradientWeightUpdate(weight_bits=weight_bits, error_bits=error_bits,
                           count_bits=count_bits, lr_mult=lr_mult, lr_shift=lr_shift)
    items = random_update_inputs(random.Random(lr_shift), 1200, weight_bits=weight_bits,
                                 error_bits=error_bits, count_bits=count_bits)
    got = run_stage(dut, "i_update", "o_weight", items, ("weight", "post_error", "pre_count"),
                    ready_p=0.7, valid_p=0.8, seed=lr_mult, signed_out=True)
    want = [update_reference(w, n, c, lr_mult=lr_mult, lr_shift=lr_shift,
                             weight_bits=weight_bits) for w, n, c in items]
    assert got == want
    lo, hi = -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1
    assert lo in want and hi in want  # both saturation limits exercised


def test_bad_configurations_raise_config_error():
    with pytest.raises(ConfigError, match="^theta must be an integer >= 1, got 0; "):
        TernaryIFNeuronArray(n_neurons=4, theta=0, count_bits=4, potential_bits=12, input_bits=8)
    with pytest.raises(ConfigError, match="^theta_bp must be an integer >= 1, got 0"):
        TernaryErrorIntegratorArray(n_neurons=4, theta_bp=0, error_bits=4, potential_bits=12,
                                    input_bits=8)
    with pytest.raises(ConfigError, match="cannot hold theta"):
        TernaryIFNeuronArray(n_neurons=4, theta=5000, count_bits=4, potential_bits=12,
                             input_bits=8)
    with pytest.raises(ConfigError, match="wider than potential_bits"):
        TernaryIFNeuronArray(n_neurons=4, theta=5, count_bits=4, potential_bits=8, input_bits=9)
    with pytest.raises(ConfigError, match="^count_bits must be an integer in 2..32, got 1"):
        TernaryErrorIntegratorArray(n_neurons=4, theta_bp=3, error_bits=1, potential_bits=8,
                                    input_bits=4)
    with pytest.raises(ConfigError, match="n_neurons"):
        TernaryIFNeuronArray(n_neurons=0, theta=5, count_bits=4, potential_bits=8, input_bits=4)
    with pytest.raises(ConfigError, match="lr_mult"):
        GradientWeightUpdate(weight_bits=8, error_bits=6, count_bits=4, lr_mult=0, lr_shift=2)
    with pytest.raises(ConfigError, match="integer"):
        DerivativeGate(addr_width=3, value_bits=7.0, count_bits=4)
    with pytest.raises(ConfigError, match="too narrow"):
        TernaryIFNeuronArray.from_config(SpikeGradConfig(sizes=(784, 64, 10),
                                                         potential_bits=20),
                                         n_neurons=64, input_bits=20)
    gc.collect()  # the half-built components warn here, inside this test's warning filter


def test_units_from_config_use_its_widths():
    cfg = SpikeGradConfig(sizes=(16, 8, 4), batch=1).with_required_widths()
    neurons = TernaryIFNeuronArray.from_config(cfg, n_neurons=8, input_bits=cfg.potential_bits)
    assert (neurons.theta, neurons.count_bits) == (cfg.theta, cfg.count_bits)
    errors = TernaryErrorIntegratorArray.from_config(cfg, n_neurons=8,
                                                     input_bits=cfg.error_potential_bits)
    assert errors.error_max == cfg.error_max
    first = GradientWeightUpdate.from_config(cfg, layer=0)
    assert first.count_bits == cfg.input_bits and first.lr_shift == cfg.layer_lr_shift(0)
    with pytest.raises(ConfigError, match="layer"):
        GradientWeightUpdate.from_config(cfg, layer=2)
    del neurons, errors, first
    gc.collect()


def test_registered_defaults_are_the_training_config():
    """Every SpikeGrad unit's registered defaults come from training_config(784-800-800-10)
    (theta = theta_bp = 2**18, 22-bit weights, 10-bit counts, V 42 and U 49 bits), not from
    constants."""
    from snnforge.golden_model.spikegrad.config import training_config
    from snnforge.hdl.registry import load_units
    from snnforge.hdl.spikegrad.registration import TRAINING_SIZES, training_defaults

    cfg = training_config(TRAINING_SIZES)
    units = load_units()
    defaults = training_defaults(cfg)
    for name, params in defaults.items():
        assert units[name].resolve() == params, name
    neurons = defaults["spikegrad_if_neurons"]
    assert (neurons["theta"], neurons["potential_bits"]) == (cfg.theta, cfg.potential_bits)
    assert neurons["input_bits"] == cfg.weight_bits + 1  # one transfer +-W or a bias
    assert defaults["spikegrad_forward_layer"]["bias_count"] == 1
    # a bias input of 64 spikes widens the step: 64 * b needs 28 bits
    wide = training_defaults(training_config(TRAINING_SIZES, bias_count=(255, 64, 64)))
    assert wide["spikegrad_if_neurons"]["input_bits"] == 28
    assert wide["spikegrad_forward_layer"]["bias_count"] == 64
    errors = defaults["spikegrad_error_integrators"]
    assert (errors["error_bits"], errors["potential_bits"]) == (cfg.error_bits,
                                                                cfg.error_potential_bits)
    assert errors["input_bits"] >= cfg.gradient_scale.bit_length() + 1  # output error fits
    update = defaults["spikegrad_weight_update"]
    assert (update["weight_bits"], update["lr_shift"]) == (cfg.weight_bits,
                                                           cfg.layer_lr_shift(1))
    assert update["count_bits"] == cfg.count_bits
    # another configuration gives other defaults (they are derived, not copied)
    other = training_defaults(training_config((784, 300, 10)), layer=0)
    assert other["spikegrad_weight_update"]["count_bits"] == cfg.input_bits
    assert other["spikegrad_if_neurons"]["potential_bits"] != neurons["potential_bits"]
    with pytest.raises(ConfigError, match="layer"):
        training_defaults(cfg, layer=2)  # feeds the output layer, not hidden neurons


@pytest.mark.parametrize("kind,input_bits,peak_bits", [("if", 38, 36), ("error", 30, 40)])
def test_wide_stimulus_reaches_the_ends_and_its_check_can_fail(kind, input_bits, peak_bits):
    """The training runs' stimulus walks |V| to 2**peak_bits and the counts to their limits;
    too few steps are reported by the coverage check (so that check can fail)."""
    t, cb, pb = (65536, 8, 38) if kind == "if" else (65536, 14, 43)
    model = ArrayModel(kind=kind, n_neurons=16, threshold=t, count_bits=cb, potential_bits=pb,
                       input_bits=input_bits)
    rng = random.Random(5)
    model.random_events(rng, 100, bias=1, drive=0.6, hot_probability=0.95)
    assert "not" in model.coverage_shortfall(min_peak_bits=peak_bits, require_saturation=True)
    steps = 5000 if kind == "if" else 9500
    for bias in (1, -1):
        model.clear()
        model.random_events(rng, steps, bias=bias, drive=0.6, hot_probability=0.95)
    assert model.coverage_shortfall(min_peak_bits=peak_bits, require_saturation=True) is None
    assert model.extremes["c_max"] == model.count_max
    with pytest.raises(ConfigError, match="bias"):
        model.random_events(rng, 1, bias=2)
