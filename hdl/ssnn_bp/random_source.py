"""Keyed random bits in hardware: Threefry-2x32-13, bit-identical to
:func:`spikeforge.golden_model.rng.random_block`.

:class:`ThreefryCore` is a stall pipeline (``rounds_per_stage`` ARX rounds per register stage,
latency ceil(13 / rounds_per_stage) cycles, one block per cycle) with a pass-through tag, so a
user can route each block to where it belongs. :class:`RandomDrawSource` turns it into
``lanes`` draws (8 or 16 bits) for draw indices ``base .. base + lanes - 1`` of one stream:
the bits of draw ``d`` never depend on ``lanes`` (one core per lane, each computing the block
that holds its draw).
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Mux, Signal, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from spikeforge.golden_model.rng import KS_PARITY, ROTATIONS, ROUNDS

from .params import check_int

__all__ = ["ThreefryCore", "RandomDrawSource", "request_layout"]


def request_layout(tag_width: int) -> data.StructLayout:
    """Core request: ``stream`` (16 b), ``sample`` (32 b), ``step`` (16 b), ``block`` (32 b),
    ``tag`` (``tag_width`` b, returned with the block)."""
    return data.StructLayout({"stream": 16, "sample": 32, "step": 16, "block": 32,
                              "tag": max(tag_width, 1)})


def response_layout(tag_width: int) -> data.StructLayout:
    """Core response: ``x0``, ``x1`` (32 b each; block bit 0 = x0 bit 0) and the ``tag``."""
    return data.StructLayout({"x0": 32, "x1": 32, "tag": max(tag_width, 1)})


class ThreefryCore(wiring.Component):
    """Threefry-2x32-13 keyed by ``seed`` (a 32-bit constant: the config seed).

    Block = threefry(ctr = (block, sample), key = (seed, stream << 16 | step)). Ports:
    ``i_req`` (stream of :func:`request_layout`), ``o_blk`` (stream of :func:`response_layout`).
    All stages advance together when the output is empty or taken (ready = advance).
    """

    def __init__(self, *, seed: int, tag_width: int = 1, rounds_per_stage: int = 1):
        self.seed = check_int("seed", seed, 0, 0xFFFFFFFF)
        self.tag_width = check_int("tag_width", tag_width, 1, 256)
        self.rounds_per_stage = check_int("rounds_per_stage", rounds_per_stage, 1, ROUNDS)
        self.latency = -(-ROUNDS // rounds_per_stage)
        super().__init__({
            "i_req": In(stream.Signature(request_layout(tag_width))),
            "o_blk": Out(stream.Signature(response_layout(tag_width))),
        })

    def elaborate(self, platform):
        m = Module()
        req = self.i_req.payload
        advance = Signal()
        m.d.comb += [advance.eq(~self.o_blk.valid | self.o_blk.ready),
                     self.i_req.ready.eq(advance)]
        valid, x0, x1, tag = threefry_pipeline(
            m, seed=self.seed, rounds_per_stage=self.rounds_per_stage, advance=advance,
            valid=self.i_req.valid, block=req.block, sample=req.sample,
            key1=Cat(req.step, req.stream), tag=req.tag, prefix="")
        m.d.comb += [self.o_blk.valid.eq(valid), self.o_blk.payload.x0.eq(x0),
                     self.o_blk.payload.x1.eq(x1), self.o_blk.payload.tag.eq(tag)]
        return m


def threefry_pipeline(m: Module, *, seed: int, rounds_per_stage: int, advance, valid, block,
                      sample, key1, tag, prefix: str):
    """Add a Threefry-2x32-13 stall pipeline to ``m``; returns the last stage's
    ``(valid, x0, x1, tag)`` registers. All stages load when ``advance`` is high."""
    ks0 = Const(seed, 32)
    k1_in = Signal(32, name=f"{prefix}key1")
    x0 = Signal(32, name=f"{prefix}x0_in")
    x1 = Signal(32, name=f"{prefix}x1_in")
    m.d.comb += [k1_in.eq(key1), x0.eq(block + ks0), x1.eq(sample + k1_in)]
    cur = (valid, x0, x1, k1_in, tag)
    r = 0
    for stage in range(-(-ROUNDS // rounds_per_stage)):
        _, a, b, k1, t = cur
        for _ in range(rounds_per_stage):
            if r == ROUNDS:
                break
            a_new = Signal(32, name=f"{prefix}x0_r{r}")
            b_new = Signal(32, name=f"{prefix}x1_r{r}")
            m.d.comb += [a_new.eq(a + b), b_new.eq(b.rotate_left(ROTATIONS[r % 8]) ^ a_new)]
            a, b = a_new, b_new
            if r % 4 == 3:
                i = (r + 1) // 4
                ks = (ks0, k1, Const(KS_PARITY ^ seed, 32) ^ k1)
                a_inj = Signal(32, name=f"{prefix}x0_k{i}")
                b_inj = Signal(32, name=f"{prefix}x1_k{i}")
                m.d.comb += [a_inj.eq(a + ks[i % 3]), b_inj.eq(b + ks[(i + 1) % 3] + i)]
                a, b = a_inj, b_inj
            r += 1
        regs = (Signal(name=f"{prefix}v_s{stage}"), Signal(32, name=f"{prefix}x0_s{stage}"),
                Signal(32, name=f"{prefix}x1_s{stage}"), Signal(32, name=f"{prefix}k1_s{stage}"),
                Signal(len(tag), name=f"{prefix}tag_s{stage}"))
        with m.If(advance):
            m.d.sync += [reg.eq(val) for reg, val in zip(regs, (cur[0], a, b, k1, t))]
        cur = regs
    valid_out, a, b, _, t = cur
    return valid_out, a, b, t


class RandomDrawSource(wiring.Component):
    """``lanes`` draws of ``width`` bits (8 or 16) for draws ``base .. base + lanes - 1``.

    ``i_req``: stream of {stream 16 b, sample 32 b, step 16 b, base 32 b};
    ``o_draws``: stream of ``lanes`` x ``width``-bit draws (lane 0 = draw ``base``), equal to
    ``rng.random_draws(seed, stream, sample, step, base + arange(lanes), width)``.
    Latency = the core's; one request per cycle.
    """

    def __init__(self, *, seed: int, width: int, lanes: int, rounds_per_stage: int = 1):
        if width not in (8, 16):
            from spikeforge.errors import ConfigError
            raise ConfigError(f"width must be 8 or 16 bits (the golden draw widths), got {width!r}")
        self.seed = check_int("seed", seed, 0, 0xFFFFFFFF)
        self.width = width
        self.lanes = check_int("lanes", lanes, 1, 64)
        self.rounds_per_stage = check_int("rounds_per_stage", rounds_per_stage, 1, ROUNDS)
        self.per_block = 64 // width
        self.offset_bits = (self.per_block - 1).bit_length()
        super().__init__({
            "i_req": In(stream.Signature(data.StructLayout(
                {"stream": 16, "sample": 32, "step": 16, "base": 32}))),
            "o_draws": Out(stream.Signature(data.ArrayLayout(unsigned(width), lanes))),
        })

    def elaborate(self, platform):
        m = Module()
        req = self.i_req.payload
        advance = Signal()
        m.d.comb += [advance.eq(~self.o_draws.valid | self.o_draws.ready),
                     self.i_req.ready.eq(advance)]
        valid = None
        for lane in range(self.lanes):
            draw = Signal(33, name=f"draw{lane}")
            m.d.comb += draw.eq(req.base + lane)
            valid_l, x0, x1, sel = threefry_pipeline(
                m, seed=self.seed, rounds_per_stage=self.rounds_per_stage, advance=advance,
                valid=self.i_req.valid, block=draw[self.offset_bits:], sample=req.sample,
                key1=Cat(req.step, req.stream), tag=draw[:max(self.offset_bits, 1)],
                prefix=f"l{lane}_")
            valid = valid_l if valid is None else valid   # lanes advance in lockstep
            blk = Cat(x0, x1)
            value = blk[:self.width]
            for i in range(1, self.per_block):
                value = Mux(sel[:self.offset_bits] == i, blk[i * self.width:(i + 1) * self.width],
                            value)
            m.d.comb += self.o_draws.payload[lane].eq(value)
        m.d.comb += self.o_draws.valid.eq(valid)
        return m
