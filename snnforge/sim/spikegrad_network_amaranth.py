"""Amaranth-simulator driver of :class:`SpikeGradNetwork`: feeds samples (with the float loss
the host answers the output totals with the golden ``output_error``; with the fixed loss the
label rides on the input events and the chip computes the errors), collects the totals and trace records, reads
every weight and bias back, within cycle bounds (a stalled top raises an ``AssertionError``
naming what it waited for; it never hangs).

``ready_probability`` < 1 puts random backpressure on ``o_totals``/``o_trace``/``o_read``.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Value
from amaranth.sim import Simulator

from snnforge.hdl.spikegrad.network import SpikeGradNetwork
from snnforge.hdl.spikegrad.network_layouts import (input_layout, read_layout, total_layout,
                                                    trace_layout)
from snnforge.sim.budget import CycleBudget

from .spikegrad_network_reference import SampleRecord, chip_error, sample_events

__all__ = ["NetworkRun", "sample_cycle_bound", "sample_cycles", "simulate_network",
           "unpack_fields"]


def unpack_fields(layout, raw: int) -> dict:
    """A ``data.StructLayout`` payload integer -> {field: int} (signed fields sign-extended)."""
    out = {}
    for name, member in layout:
        width = member.shape.width
        value = (int(raw) >> member.offset) & ((1 << width) - 1)
        if member.shape.signed and value >> (width - 1):
            value -= 1 << width
        out[name] = value
    return out


def sample_cycle_bound(shape, *, ready_probability: float = 1.0) -> int:
    """Upper bound (cycles) on one sample of a working top of ``shape`` (a
    :class:`NetworkShape`), every neuron active and every error non-zero: each synapse once
    forward and once backward plus the per-event and per-neuron overheads, stretched by
    host gaps and backpressure (``ready_probability``)."""
    cfg = shape.config
    q = cfg.count_bits + cfg.error_bits + 8
    cycles = 2 * shape.sizes[0] + 4 * shape.classes + 64
    if shape.fixed_loss:  # the loss unit: EXP, then one restoring division per class
        cycles += shape.classes * (int(cfg.gradient_scale).bit_length() + 12)
    for layer in range(shape.n_layers):
        n_in, n_out = shape.layer_dims(layer)
        cycles += n_in * (n_out + 3) + n_out * (n_in + 8) + (n_in + n_out) * q
    return int(cycles / ready_probability) + 100


def sample_cycles(config, record, input_count_nonzero: int, *, learn: bool = True) -> int:
    """Clock cycles of one sample with the host always ready and no gaps (its first event
    offered to its END record taken), from the sample's activity: ``record`` (a
    :class:`SampleRecord`: the trace gives the active hidden neurons and the non-zero error
    counts) and the number of non-zero input counts. Phase by phase (see :mod:`.network`):
    1 + events (LOAD); per weight layer ``|EV| (n_out + 2) + 1`` (FWD) and, for hidden layers,
    ``n_out (count_bits + 5)`` (QNT); ``C (error_bits + 5)`` (OUT, ERR); per weight layer top
    down ``|ERR| (|EV| + 7) + 1`` (``|ERR| * 5`` with no active pre neuron) (BWD) and, for
    ``l > 0``, ``|EV| (error_bits + 5)`` (BQN); 1 (DONE).

    With the fixed loss (``config.loss == "fixed"``) the ERR phase waits for the loss unit:
    ``W + (C - 1) P + error_bits + 1`` instead of ``C (error_bits + 2)``, with ``W = 4 C +
    bits(G) + 4`` (EXP and the first division) and ``P = max(bits(G) + 4, error_bits + 2)`` (one
    division or one error quantization, the slower); an evaluation sample (``learn`` false)
    ends after OUT."""
    sizes, L = config.sizes, config.n_layers
    active = [int(input_count_nonzero)] + [
        sum(1 for k, l, _, _ in record.trace if k == 0 and l == h) for h in range(L - 1)]
    errors = [sum(1 for k, l, _, _ in record.trace if k == 1 and l == h) for h in range(L)]
    cycles = 1 + max(active[0], 1) + 1
    for layer in range(L):
        cycles += active[layer] * (sizes[layer + 1] + 2) + 1
        if layer < L - 1:
            cycles += sizes[layer + 1] * (config.count_bits + 5)
    C, eb = sizes[-1], config.error_bits
    cycles += 3 * C  # OUT
    if config.loss == "fixed":
        if not learn:
            return cycles
        qb = int(config.gradient_scale).bit_length()
        cycles += (4 * C + qb + 4) + (C - 1) * max(qb + 4, eb + 2) + eb + 1
    else:
        cycles += C * (eb + 2)
    for layer in range(L - 1, -1, -1):
        cycles += errors[layer] * (active[layer] + 7 if active[layer] else 5) + 1
        if layer > 0:
            cycles += active[layer] * (config.error_bits + 5)
    return cycles


@dataclass
class NetworkRun:
    """Per sample: a :class:`SampleRecord` (totals and trace) and its cycles (first event to
    the END record); ``weights``/``biases``: read back after the last sample."""

    records: list
    sample_cycles: list
    weights: list
    biases: list


def simulate_network(net: SpikeGradNetwork, pixels, labels, *, learn=True,
                     ready_probability: float = 1.0, seed: int = 0,
                     read_back: bool = True) -> NetworkRun:
    """Run ``pixels`` ``(N, n0)`` uint8 with ``labels`` through ``net`` in the Amaranth
    simulator. ``learn``: one bool for all samples or one per sample."""
    cfg, shape = net.config, net.shape
    pixels = np.asarray(pixels).reshape(len(pixels), -1)
    learn_flags = [bool(learn)] * len(pixels) if np.isscalar(learn) else [bool(x) for x in learn]
    rng = random.Random(seed)
    bound = sample_cycle_bound(net.shape, ready_probability=ready_probability)
    result = NetworkRun([], [], [], [])
    in_layout, tot_layout = input_layout(cfg), total_layout(cfg)
    tr_layout = trace_layout(cfg)

    def encode_event(*values):
        f = dict(in_layout)
        return sum(int(v) << f[name].offset
                   for name, v in zip(("addr", "count", "last", "label", "learn"), values))

    fixed = shape.fixed_loss

    async def bench(ctx):
        ctx.set(net.i_events.valid, 0)
        if not fixed:
            ctx.set(net.i_error.valid, 0)
        ctx.set(net.i_read.valid, 0)
        for index, row in enumerate(pixels):
            counts = np.asarray(row, dtype=np.int64) >> (8 - cfg.input_bits)
            events = sample_events(counts, label=int(labels[index]) if fixed else None,
                                   learn=learn_flags[index])
            record = SampleRecord(totals=[])
            errors: list[int] = []
            budget = CycleBudget(bound, name=f"spikegrad network sample {index}")
            cycles, done = 0, False
            while not done:
                budget.spend(f"sample {index}: {len(events)} events to send, "
                             f"{len(record.totals)} totals, {len(record.trace)} trace records")
                ctx.set(net.i_events.valid, bool(events))
                if events:
                    ctx.set(Value.cast(net.i_events.payload), encode_event(*events[0]))
                if not fixed:
                    ctx.set(net.i_error.valid, bool(errors))
                if errors:
                    ctx.set(net.i_error.payload, errors[0])
                take_tot = rng.random() < ready_probability
                take_tr = rng.random() < ready_probability
                ctx.set(net.o_totals.ready, take_tot)
                ctx.set(net.o_trace.ready, take_tr)
                if events and ctx.get(net.i_events.ready):
                    events.pop(0)
                if errors and ctx.get(net.i_error.ready):
                    errors.pop(0)
                if take_tot and ctx.get(net.o_totals.valid):
                    f = unpack_fields(tot_layout, ctx.get(Value.cast(net.o_totals.payload)))
                    assert f["addr"] == len(record.totals), f"total of class {f['addr']} out of order"
                    record.totals.append(f["total"])
                    if f["last"] and not fixed:
                        errors = chip_error(record.totals, int(labels[index]), cfg,
                                            learn=learn_flags[index])
                if take_tr and ctx.get(net.o_trace.valid):
                    f = unpack_fields(tr_layout, ctx.get(Value.cast(net.o_trace.payload)))
                    record.trace.append((f["kind"], f["layer"], f["addr"], f["value"]))
                    done = f["kind"] == 2
                await ctx.tick()
                cycles += 1
            result.records.append(record)
            result.sample_cycles.append(cycles)
        ctx.set(net.i_events.valid, 0)
        if not fixed:
            ctx.set(net.i_error.valid, 0)
        if read_back:
            result.weights, result.biases = await _read_back(ctx, net, rng, ready_probability)

    sim = Simulator(net)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return result


async def _read_back(ctx, net, rng, ready_probability):
    shape = net.shape
    rl = dict(read_layout(net.config))
    weights, biases = [], []
    for layer in range(shape.n_layers):
        n_in, n_out = shape.layer_dims(layer)
        for bias, count in ((0, n_in * n_out), (1, n_out)):
            words = []
            for index in range(count):
                budget = CycleBudget(int(8 / ready_probability) + 20,
                                     name=f"read-back layer {layer} word {index}")
                ctx.set(net.i_read.valid, 1)
                ctx.set(Value.cast(net.i_read.payload),
                        (layer << rl["layer"].offset) | (bias << rl["bias"].offset)
                        | (index << rl["index"].offset))
                while not ctx.get(net.i_read.ready):
                    budget.spend("i_read ready")
                    await ctx.tick()
                await ctx.tick()
                ctx.set(net.i_read.valid, 0)
                while True:
                    take = rng.random() < ready_probability
                    ctx.set(net.o_read.ready, take)
                    if take and ctx.get(net.o_read.valid):
                        raw = ctx.get(net.o_read.payload)
                        words.append(int(raw))
                        await ctx.tick()
                        break
                    budget.spend("o_read")
                    await ctx.tick()
                ctx.set(net.o_read.ready, 0)
            arr = np.array(words, dtype=np.int64)
            if bias:
                biases.append(arr)
            else:
                weights.append(arr.reshape(n_out, n_in))
    return weights, biases
