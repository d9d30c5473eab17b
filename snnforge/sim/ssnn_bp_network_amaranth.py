"""Amaranth-simulator driver of :class:`SSNNNetwork`: feeds samples, collects every step's
trace, reads all weights back, within cycle bounds (a stalled top raises
:class:`NetworkStall` naming the step or read it waited for, it never hangs the caller).

The host is always ready (no backpressure), so ``sample_cycles`` is the design's own figure:
clock cycles from a sample's first pixel beat to its last trace (latency), or with
``stream=True`` (the host offers the next sample's beats while the current one runs) the
cycles between consecutive samples' last traces (throughput).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from amaranth.hdl import Value
from amaranth.sim import Simulator

from snnforge.errors import SnnforgeError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.stream.codec import unpack

from snnforge.hdl.ssnn_bp.network import (DEFAULT_RNG_ARCHITECTURE, DEFAULT_ROUNDS_PER_STAGE, SSNNNetwork,
                      trace_layout)
from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes
from snnforge.hdl.ssnn_bp.network_config import beat_lanes, row_beats, row_from_beats, row_words
from snnforge.hdl.ssnn_bp.weight_update import unpack_row

__all__ = ["NetworkStall", "NetworkRun", "step_cycle_bound", "simulate_network", "trace_mismatch"]


class NetworkStall(SnnforgeError):
    """The network top produced no trace (or read-back row) within the cycle bound."""


@dataclass(frozen=True)
class NetworkRun:
    """What one simulation returned: per-step traces (dicts of :func:`trace_layout` fields,
    sample-major), the weights read back (W1 (n_in + 1, n_hidden), W2 (n_hidden + 1, n_out),
    LSBs), the cycles each sample took (see the module docstring), and the cycle each
    sample's last pixel beat and its last trace were taken (``load_ends``, ``sample_ends``)."""

    traces: list
    w1: np.ndarray
    w2: np.ndarray
    sample_cycles: list
    load_ends: list
    sample_ends: list


def step_cycle_bound(config: SSNNConfig, *, w1_lanes: int | None = None,
                     w1_spram: bool = False, w2_words: bool = False) -> int:
    """Generous upper bound (cycles) on one time step of a working top: every random block
    at the slowest core (14 cycles), every pre row of both update passes at its most blocks,
    plus the layer scans; with ``w1_lanes`` = P, every W1 row's words (FWD1 and UPD) too;
    with ``w1_spram``, a write cycle per W1 word update; with ``w2_words``, a second cycle
    per W2 row in HID, BWD and UPD."""
    s = NetworkSizes(config)
    c = config
    blocks = (s.train_blocks + (c.n_hidden + 1) * 2
              + (c.n_in + 1) * s.lr_blocks_per_row)
    words = 1 if w1_lanes is None else -(-c.n_hidden // w1_lanes)
    return (16 * blocks + 4 * (c.n_in + c.n_hidden + c.n_out) + 200
            + 2 * (words - 1) * (c.n_in + 1) + (words * (c.n_in + 1) if w1_spram else 0)
            + (3 * (c.n_hidden + 1) if w2_words else 0))


def simulate_network(config: SSNNConfig, images, labels, *, learn: bool,
                     rounds_per_stage: int = DEFAULT_ROUNDS_PER_STAGE,
                     rng_architecture: str = DEFAULT_RNG_ARCHITECTURE, rng_cores: int = 1,
                     hid_lanes: int = 1, w1_lanes: int | None = None, w1_spram: bool = False,
                     u_ram: bool = False, w2_words: bool = False, dsp_adders: int = 0,
                     w1=None, w2=None, first_key: int = 0,
                     step_bound: int | None = None, writes=(), stream: bool = False) -> NetworkRun:
    """Run samples (uint8 pixels (N, n_in), labels (N,); sample keys first_key + position)
    through a fresh top, then read back every weight row.

    ``writes``: ``(layer, row, weights)`` rows sent on ``i_write`` before the first sample
    (``weights``: at least the layer's width in LSBs, lane = post index), each as its beats
    (:func:`row_beats`: one W1 word or one W2 word per beat).

    ``stream``: offer sample n + 1's beats as soon as sample n's are taken (a second
    testbench process), not after sample n's last trace.

    ``w1_lanes``: W1 posts per memory word (default n_hidden), ``w1_spram``: W1 in the SPRAM
    shape, ``u_ram``: u in block RAM, ``w2_words``: W2 in words of ceil(n_out / 2),
    ``dsp_adders``: u's and z's adders as DSP units (the plain logic in this simulator; see
    :class:`SSNNNetwork`).

    ``step_bound``: cycles allowed per trace (default :func:`step_cycle_bound`); a stall
    raises :class:`NetworkStall` with the sample and step it waited for.
    """
    images = np.asarray(images, dtype=np.uint8).reshape(len(labels), config.n_in)
    dut = SSNNNetwork(config=config, rounds_per_stage=rounds_per_stage,
                      rng_architecture=rng_architecture, rng_cores=rng_cores, hid_lanes=hid_lanes,
                      w1_lanes=w1_lanes, w1_spram=w1_spram, u_ram=u_ram, w2_words=w2_words,
                      dsp_adders=dsp_adders, w1=w1, w2=w2)
    bound = (step_cycle_bound(config, w1_lanes=w1_lanes, w1_spram=w1_spram, w2_words=w2_words)
             if step_bound is None else step_bound)
    layout = trace_layout(config)
    w2_lanes = dut.w2_lanes
    lanes = beat_lanes(config, w1_lanes, w2_lanes)
    traces, rows, sample_cycles, load_ends, sample_ends = [], [], [], [], []

    now = [0]   # cycles since the start

    async def tick(ctx):
        await ctx.tick()
        now[0] += 1

    async def wait_for(ctx, signal, what):
        for _ in range(bound):
            if ctx.get(signal):
                return
            await tick(ctx)
        raise NetworkStall(f"the network top stalled: no {what} within {bound} cycles")

    async def feed(ctx, s, step):
        """Offer sample s's beats until all are taken (``step``: this process's tick)."""
        p = dut.i_sample.payload
        for i in range(config.n_in):
            ctx.set(p.pixel, int(images[s, i])); ctx.set(p.label, int(labels[s]))
            ctx.set(p.learn, int(learn)); ctx.set(p.key, first_key + s)
            ctx.set(dut.i_sample.valid, 1)
            for _ in range(bound * config.T + 4 * config.n_in):
                if ctx.get(dut.i_sample.ready):
                    break
                await step(ctx)
            else:
                raise NetworkStall(f"the network top stalled: pixel beat {i} of sample {s} "
                                   f"not accepted")
            await step(ctx)
        ctx.set(dut.i_sample.valid, 0)
        load_ends.append(now[0] - 1)

    fed = [False]       # the writes are done: the streaming host may start

    async def streamer(ctx):
        async def step(ctx):
            await ctx.tick()
        while not fed[0]:
            await ctx.tick()
        for s in range(len(labels)):
            await feed(ctx, s, step)

    async def bench(ctx):
        ctx.set(dut.o_trace.ready, 1)
        ctx.set(dut.o_read.ready, 1)
        for n, (layer, row, weights) in enumerate(writes):
            for word, part in row_beats(config, layer, weights, w1_lanes, w2_lanes):
                ctx.set(dut.i_write.payload, {"layer": layer, "row": row, "word": word,
                                              "weights": part})
                ctx.set(dut.i_write.valid, 1)
                await wait_for(ctx, dut.i_write.ready, f"weight write {n} accepted")
                await tick(ctx)
        ctx.set(dut.i_write.valid, 0)
        fed[0] = True
        for s in range(len(labels)):
            start = now[0]
            if not stream:
                await feed(ctx, s, tick)
            for t in range(config.T):
                await wait_for(ctx, dut.o_trace.valid, f"trace of sample {s} step {t}")
                traces.append(unpack(layout, ctx.get(Value.cast(dut.o_trace.payload))))
                await tick(ctx)
            sample_ends.append(now[0] - 1)
            sample_cycles.append(now[0] - (start if not stream or not s else
                                           sample_ends[-2] + 1))
        for layer, n in ((0, config.n_in + 1), (1, config.n_hidden + 1)):
            for row in range(n):
                ctx.set(dut.i_read.payload.layer, layer)
                ctx.set(dut.i_read.payload.row, row)
                ctx.set(dut.i_read.valid, 1)
                await wait_for(ctx, dut.i_read.ready, f"read of layer {layer} row {row} accepted")
                await tick(ctx)
                ctx.set(dut.i_read.valid, 0)
                beats = []
                for word in range(row_words(config, layer, w1_lanes, w2_lanes)):
                    await wait_for(ctx, dut.o_read.valid,
                                   f"read-back of layer {layer} row {row} word {word}")
                    beats.append(unpack_row(ctx.get(Value.cast(dut.o_read.payload)),
                                            lanes=lanes, weight_bits=config.weight_bits))
                    await tick(ctx)
                rows.append(row_from_beats(config, layer, beats, w1_lanes, w2_lanes))

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    if stream:
        sim.add_testbench(streamer, background=True)
    sim.run()
    w1_out = np.array([r[:config.n_hidden] for r in rows[:config.n_in + 1]])
    w2_out = np.array([r[:config.n_out] for r in rows[config.n_in + 1:]])
    return NetworkRun(traces, w1_out, w2_out, sample_cycles, load_ends, sample_ends)


def _bits(value: int, n: int) -> np.ndarray:
    return np.array([(value >> i) & 1 for i in range(n)], dtype=bool)


def trace_mismatch(config: SSNNConfig, traces, want) -> str | None:
    """The first difference between the top's traces and the golden ones
    (:func:`.reference.golden_training_trace`), or None when every step matches."""
    if len(traces) != len(want):
        return f"{len(traces)} traces, the golden model has {len(want)}"
    for i, (got, exp) in enumerate(zip(traces, want)):
        for name, n in (("s0", config.n_in), ("h", config.n_hidden), ("g_pos", config.n_hidden),
                        ("g_neg", config.n_hidden)):
            if not np.array_equal(_bits(got[name], n), getattr(exp, name)):
                return f"step {i}: {name} differs"
        if got["winner"] != exp.winner:
            return f"step {i}: winner {got['winner']}, golden {exp.winner}"
        if got["step"] != i % config.T:
            return f"step {i}: step field {got['step']}"
    return None
