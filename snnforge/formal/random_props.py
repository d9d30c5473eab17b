"""Property harness of the random source: :class:`snnforge.hdl.ssnn_bp.random_source.ThreefryCore`
equals a reference Threefry-2x32-13 for a free key word and counter.

The reference is written here from the specification (:func:`snnforge.golden_model.rng.
threefry_core`: rotations as shift pairs, ``ks2 = k0 ^ k1 ^ KS_PARITY``, injection ``i`` after
round ``4 i - 1``), combinational on the request. With a free ``k`` the k-th block out must be
the reference of the k-th request in (no block lost, duplicated or reordered); the
``lib.stream`` rules hold on ``o_blk``. Key word 0 is the ``seed`` parameter (a constant of
the core); key word 1 (``stream << 16 | step``) and the counter (``block``, ``sample``) are free.
"""
from __future__ import annotations

from amaranth.asserts import AnyConst
from amaranth.hdl import Cat, Const, Signal

from snnforge.golden_model.rng import KS_PARITY, ROTATIONS, ROUNDS
from snnforge.hdl.ssnn_bp.random_source import ThreefryCore

from .common import Harness, Tracker, assert_stream_rules, drive_stream, free, harness_module

__all__ = ["ThreefryHarness", "reference_threefry"]

M32 = 0xFFFFFFFF


def reference_threefry(m, *, x0, x1, k0, k1, rounds: int = ROUNDS):
    """Threefry-2x32 of counter ``(x0, x1)`` under key ``(k0, k1)`` (32-bit values) as
    combinational logic added to ``m``; returns the two 32-bit output words."""
    def word(value, name):
        sig = Signal(32, name=name)
        m.d.comb += sig.eq(value[:32])
        return sig

    ks = (k0, k1, word(k0 ^ k1 ^ Const(KS_PARITY, 32), "ref_ks2"))
    a, b = word(x0 + k0, "ref_a_in"), word(x1 + k1, "ref_b_in")
    for r in range(rounds):
        rot = ROTATIONS[r % 8]
        a = word(a + b, f"ref_a{r}")
        b = word(((b << rot)[:32] | (b >> (32 - rot))) ^ a, f"ref_b{r}")
        if r % 4 == 3:
            i = (r + 1) // 4
            a = word(a + ks[i % 3], f"ref_a_k{i}")
            b = word(b + ks[(i + 1) % 3] + i, f"ref_b_k{i}")
    return a, b


class ThreefryHarness(Harness):
    """``ThreefryCore(seed, rounds_per_stage, architecture)`` (or a variant ``core_cls``)
    under free requests and a free ``o_blk.ready``."""

    def __init__(self, *, seed: int = 0x2545F491, rounds_per_stage: int = 13,
                 architecture: str = "pipelined", count_bits: int = 2, core_cls=ThreefryCore):
        super().__init__()
        self.seed = seed
        self.count_bits = count_bits
        self.dut = core_cls(seed=seed, rounds_per_stage=rounds_per_stage,
                            architecture=architecture)

    def elaborate(self, platform):
        m = harness_module(self)
        m.submodules.dut = dut = self.dut
        drive_stream(m, dut.i_req, "i_req")
        free(m, dut.o_blk.ready)
        assert_stream_rules(m, dut.o_blk, "o_blk")
        req = dut.i_req.payload
        key1 = Signal(32)
        m.d.comb += key1.eq(Cat(req.step, req.stream))
        ref0, ref1 = reference_threefry(m, x0=req.block, x1=req.sample,
                                        k0=Const(self.seed, 32), k1=key1)
        t = Tracker(m, name="blk", k=AnyConst(self.count_bits), count_bits=self.count_bits,
                    width=64 + len(req.tag))
        t.pushed(dut.i_req.valid & dut.i_req.ready, Cat(ref0, ref1, req.tag))
        out = dut.o_blk.payload
        t.popped(dut.o_blk.valid & dut.o_blk.ready, Cat(out.x0, out.x1, out.tag))
        return m
