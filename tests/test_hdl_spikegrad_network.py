"""Amaranth-simulator tier of the SpikeGrad network top and its sub-components: the
quiescent-count unit against the golden closed forms, the weight-update unit at a learning-rate
shift wider than its product, and whole tiny networks (random configurations) bit-identical to
the golden model's per-sample training: output totals, every hidden count and error count (the
trace), every weight and bias read back."""
import dataclasses
import random

import numpy as np
import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import training_config
from snnforge.golden_model.spikegrad.units import (quiescent_count, quiescent_error_count,
                                                     weight_update)
from snnforge.hdl.spikegrad import GradientWeightUpdate
from snnforge.hdl.spikegrad.network import SpikeGradNetwork
from snnforge.hdl.spikegrad.quantizer import CountQuantizer
from snnforge.sim.budget import CycleBudget
from snnforge.sim.spikegrad_network_amaranth import sample_cycles, simulate_network
from snnforge.sim.spikegrad_network_reference import GoldenNetwork

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def run_stage(dut, in_port, out_port, items, *, ready_p=0.6, seed=0, signed_out=True):
    """Drive ``items`` through a stream stage with random valid gaps and backpressure; return
    the outputs in order."""
    got, rng = [], random.Random(seed)

    async def bench(ctx):
        queue = list(items)
        budget = CycleBudget(40 * (len(items) + 4), name="stage")
        while len(got) < len(items):
            budget.spend(f"output {len(got)} of {len(items)}")
            offer = bool(queue) and rng.random() < 0.7
            ctx.set(in_port.valid, offer)
            if offer:
                ctx.set(Value.cast(in_port.payload), queue[0])
            take = rng.random() < ready_p
            ctx.set(out_port.ready, take)
            if offer and ctx.get(in_port.ready):
                queue.pop(0)
            if take and ctx.get(out_port.valid):
                got.append(int(ctx.get(out_port.payload)))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return got


@pytest.mark.parametrize("kind,threshold,count_bits,input_bits", [
    ("if", 9, 3, 10), ("if", 64, 4, 14), ("error", 7, 5, 12), ("error", 262144, 18, 40)])
def test_quantizer_matches_the_golden_closed_form(kind, threshold, count_bits, input_bits):
    rng = np.random.default_rng(threshold)
    lim = 1 << (input_bits - 1)
    values = [int(v) for v in rng.integers(-lim, lim, size=150)]
    # exact multiples of the threshold, one either side, the saturation points, the limits
    cmax = (1 << count_bits) - 1 if kind == "if" else (1 << (count_bits - 1)) - 1
    for k in (0, 1, 2, cmax, cmax + 1):
        for d in (-1, 0, 1):
            for sign in (1, -1):
                v = sign * k * threshold + d
                if -lim <= v < lim:
                    values.append(v)
    values += [-lim, lim - 1]
    dut = CountQuantizer(kind=kind, threshold=threshold, count_bits=count_bits,
                         input_bits=input_bits)
    got = run_stage(dut, dut.i_total, dut.o_count, values, seed=count_bits)
    if kind == "if":
        want = quiescent_count(values, theta=threshold, count_max=cmax)
    else:
        want = quiescent_error_count(values, theta_bp=threshold, error_max=cmax)
    assert got == want.tolist()
    assert set(want.tolist()) >= ({0, cmax} if kind == "if" else {-cmax, 0, cmax})


def test_quantizer_rejects_bad_parameters():
    with pytest.raises(ConfigError, match="kind"):
        CountQuantizer(kind="lif", threshold=3, count_bits=4, input_bits=8)
    with pytest.raises(ConfigError, match="threshold"):
        CountQuantizer(kind="if", threshold=0, count_bits=4, input_bits=8)


def test_weight_update_with_a_shift_wider_than_the_product():
    """lr_shift 13 against a 12-bit product (8-bit errors x 4-bit counts): the rounding bias
    2**12 must not wrap (it did: every zero product became -1, a +1 LSB update)."""
    dut = GradientWeightUpdate(weight_bits=10, error_bits=8, count_bits=4, lr_mult=1, lr_shift=13)
    rng = np.random.default_rng(5)
    items = [(int(w), int(n), int(c)) for w, n, c in zip(rng.integers(-512, 512, 200),
                                                          rng.integers(-127, 128, 200),
                                                          rng.integers(0, 16, 200))]
    items += [(5, 0, 0), (5, 127, 15), (5, -127, 15)]
    layout = dut.input_layout
    raw = [(w & 0x3FF) | ((n & 0xFF) << 10) | (c << 18) for w, n, c in items]
    assert layout.size == 22
    got = run_stage(dut, dut.i_update, dut.o_weight, raw, seed=1)
    want = [int(weight_update(w, n, c, lr_mult=1, lr_shift=13, weight_bits=10))
            for w, n, c in items]
    assert got == want


def tiny_config(rng, *, sizes):
    theta = int(rng.choice([17, 64, 100]))
    return training_config(sizes, batch=1, theta=theta, theta_bp=int(rng.choice([theta, 23])),
                           weight_bits=int(rng.integers(8, 12)),
                           count_bits=int(rng.integers(3, 6)),
                           error_bits=int(rng.integers(6, 10)),
                           input_bits=int(rng.integers(2, 9)),
                           gradient_scale=theta * int(rng.integers(50, 400)),
                           bias_count=int(rng.choice([1, 3])),
                           lr_shift=tuple(int(x) for x in rng.integers(0, 8, len(sizes) - 1)))


def check_network(cfg, *, seed, samples, ready_p=1.0, learn=True, input_gain=2.0):
    rng = np.random.default_rng(seed)
    net = SpikeGradNetwork(cfg, seed=seed, input_gain=input_gain)
    gold = GoldenNetwork(cfg, net.init_weights, net.init_biases)
    pixels = rng.integers(0, 256, size=(samples, cfg.sizes[0]))
    pixels[rng.random(pixels.shape) < 0.4] = 0
    labels = rng.integers(0, cfg.sizes[-1], size=samples)
    run = simulate_network(net, pixels, labels, learn=learn, ready_probability=ready_p,
                           seed=seed)
    learn_flags = [learn] * samples if np.isscalar(learn) else list(learn)
    for i in range(samples):
        want = gold.sample(pixels[i], labels[i], learn=learn_flags[i])
        assert run.records[i].totals == want.totals, f"sample {i}: output totals"
        assert run.records[i].trace == want.trace, f"sample {i}: counts / error counts"
        if ready_p == 1.0:  # the documented cycle count of an unstalled sample, exactly
            active = int(np.count_nonzero(gold.counts(pixels[i])))
            assert run.sample_cycles[i] == sample_cycles(cfg, want, active,
                                                         learn=learn_flags[i]), f"sample {i}"
    for layer in range(cfg.n_layers):
        assert np.array_equal(run.weights[layer], gold.W[layer]), f"weights of layer {layer}"
        assert np.array_equal(run.biases[layer], gold.b[layer]), f"biases of layer {layer}"
    return net, gold, run


@pytest.mark.parametrize("seed,sizes", [(0, (12, 6, 5, 3)), (1, (9, 7, 4)), (2, (6, 2)),
                                        (3, (10, 1, 3))])
def test_network_is_bit_identical_to_the_golden_model(seed, sizes):
    cfg = tiny_config(np.random.default_rng(100 + seed), sizes=sizes)
    net, gold, run = check_network(cfg, seed=seed, samples=5, ready_p=0.6 if seed % 2 else 1.0)
    changed = sum(int((g != w).sum()) for g, w in zip(gold.W, net.init_weights))
    assert changed > 0, "no weight changed: the comparison proves nothing"
    kinds = {rec[0] for r in run.records for rec in r.trace}
    assert kinds >= {1, 2}, "no error count was traced"


def test_evaluation_samples_leave_the_weights_alone():
    cfg = tiny_config(np.random.default_rng(7), sizes=(8, 5, 3))
    net, gold, _ = check_network(cfg, seed=7, samples=4, learn=[False, True, False, True])
    assert any((g != w).any() for g, w in zip(gold.W, net.init_weights))


def test_network_rejects_a_mini_batch_config_and_wrong_weights():
    with pytest.raises(ConfigError, match="batch=1"):
        SpikeGradNetwork(training_config((8, 4, 3), batch=32))
    cfg = training_config((8, 4, 3), batch=1)
    with pytest.raises(ConfigError, match="do not match"):
        SpikeGradNetwork(cfg, weights=[np.zeros((4, 8), int)], biases=[np.zeros(4, int)])


def test_registered_network_defaults_and_parameters():
    from snnforge.hdl.registry import load_units

    from snnforge.golden_model.spikegrad.config import SpikeGradConfig

    unit = load_units()["spikegrad_network"]
    params = unit.resolve()
    assert params["hidden"] == "256" and params["inputs"] == 784
    cfg = unit.golden_configuration(params)
    # the format study's ECP5-85F preset, one definition for golden training and the chip
    assert cfg == SpikeGradConfig.hardware_default("ecp5-85f").to_dict()
    assert cfg["sizes"] == (784, 256, 10) and cfg["batch"] == 1
    small = unit.build({"hidden": "4,3", "inputs": 9, "classes": 3})
    assert small.config.sizes == (9, 4, 3, 3)
    with pytest.raises(ConfigError, match="hidden"):
        unit.build({"hidden": "4,", "inputs": 9})


@pytest.mark.parametrize("seed,sizes", [(10, (9, 6, 4)), (11, (7, 3)), (12, (8, 5, 4, 3))])
def test_fixed_loss_network_is_bit_identical_to_the_golden_model(seed, sizes):
    """The top computes the output errors itself (units.output_error_fixed): the label rides on
    the last input event; evaluation samples (learn = 0) end after the totals."""
    rng = np.random.default_rng(200 + seed)
    cfg = dataclasses.replace(tiny_config(rng, sizes=sizes), loss="fixed",
                              loss_frac_bits=int(rng.integers(3, 9)),
                              loss_exp_bits=int(rng.integers(6, 14))).validate()
    learn = [True, True, False, True, False, True]
    net, gold, run = check_network(cfg, seed=seed, samples=len(learn), learn=learn,
                                   ready_p=0.6 if seed % 2 else 1.0)
    assert "i_error" not in net.signature.members
    changed = sum(int((g != w).sum()) for g, w in zip(gold.W, net.init_weights))
    assert changed > 0, "no weight changed: the comparison proves nothing"
