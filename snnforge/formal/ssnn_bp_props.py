"""Property harnesses of SSNN-BP units: the coincidence weight update and the WTA.

* :class:`CoincidenceUpdateHarness`: :class:`snnforge.hdl.ssnn_bp.weight_update.CoincidenceUpdater`
  with free events; a shadow copy of the weight memory (registers) checks every write: each
  lane moves by ``neg - pos`` LSB when its gate passes, saturating at the signed range (never
  wraps), including back-to-back events to one row (write forwarding).
* :class:`WTAHarness`: :class:`snnforge.hdl.ssnn_bp.wta.WinnerTakeAll` with free candidates;
  the winner of each round of ``n_out`` candidates is the one index whose score
  ``z + table[rand]`` is >= every score and > every score of a lower index (exactly one
  winner, ties to the lowest index); the ``lib.stream`` rules hold on ``o_winner``.
"""
from __future__ import annotations

from amaranth.hdl import Array, Assert, Const, Cover, Mux, Signal, signed

from snnforge.hdl.ssnn_bp.weight_update import CoincidenceUpdater
from snnforge.hdl.ssnn_bp.wta import WinnerTakeAll

from .common import Harness, assert_stream_rules, drive_stream, free, harness_module

__all__ = ["CoincidenceUpdateHarness", "WTAHarness"]


class CoincidenceUpdateHarness(Harness):
    """``CoincidenceUpdater(lanes, depth, weight_bits, gate_bits, gate_threshold)`` (zero initial
    weights; ``unit_cls`` a variant; ``forward_writes`` passed through) under free events."""

    def __init__(self, *, lanes: int = 2, depth: int = 2, weight_bits: int = 3,
                 gate_bits: int = 2, gate_threshold: int = 2, forward_writes: bool = True,
                 unit_cls=CoincidenceUpdater):
        super().__init__()
        self.dut = unit_cls(lanes=lanes, depth=depth, weight_bits=weight_bits,
                            gate_bits=gate_bits, gate_threshold=gate_threshold,
                            forward_writes=forward_writes)

    def elaborate(self, platform):
        m = harness_module(self)
        m.submodules.dut = dut = self.dut
        wb, lanes = dut.weight_bits, dut.lanes
        lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
        free(m, dut.i_event.valid)
        free(m, dut.i_event.payload)
        free(m, dut.rd_addr)
        ev = dut.i_event.payload
        shadow = Array(Array(Signal(signed(wb), name=f"shadow_{row}_{lane}")
                             for lane in range(lanes)) for row in range(dut.depth))
        s_valid = Signal()
        s_addr = Signal(dut.addr_width)
        s_up = Signal(lanes)
        s_down = Signal(lanes)
        for lane in range(lanes):
            gate = ev.rand[lane][:dut.gate_bits] < dut.gate_threshold
            m.d.sync += [s_up[lane].eq(gate & ev.neg[lane] & ~ev.pos[lane]),
                         s_down[lane].eq(gate & ev.pos[lane] & ~ev.neg[lane])]
        m.d.sync += [s_valid.eq(dut.i_event.valid & dut.i_event.ready), s_addr.eq(ev.addr)]
        m.d.comb += Assert(dut.i_event.ready)
        m.d.comb += Assert(dut.o_write.valid == s_valid)
        with m.If(s_valid):
            m.d.comb += Assert(dut.o_write.addr == s_addr)
            for lane in range(lanes):
                old = shadow[s_addr][lane]
                want = Mux(s_up[lane] & (old != hi), old + 1,
                           Mux(s_down[lane] & (old != lo), old - 1, old))
                m.d.comb += [Assert(dut.o_write.data[lane] == want),
                             Cover(s_up[lane] & (old == hi)), Cover(s_down[lane] & (old == lo))]
                m.d.sync += shadow[s_addr][lane].eq(want)
        return m


class WTAHarness(Harness):
    """``WinnerTakeAll(n_out, acc_bits, index_bits, frac_bits, value_bits)`` (or a variant
    ``wta_cls``) under free candidates and a free ``o_winner.ready``."""

    def __init__(self, *, n_out: int = 3, acc_bits: int = 4, index_bits: int = 2,
                 frac_bits: int = 2, value_bits: int = 5, wta_cls=WinnerTakeAll):
        super().__init__()
        self.dut = wta_cls(n_out=n_out, acc_bits=acc_bits, index_bits=index_bits,
                           frac_bits=frac_bits, value_bits=value_bits)

    def elaborate(self, platform):
        m = harness_module(self)
        m.submodules.dut = dut = self.dut
        n, out = dut.n_out, dut.o_winner
        drive_stream(m, dut.i_cand, "i_cand")
        free(m, out.ready)
        assert_stream_rules(m, out, "o_winner")
        table = Array(Const(int(v), signed(dut.value_bits)) for v in dut.table)
        cand = dut.i_cand.payload
        score_now = Signal(signed(max(dut.acc_bits, dut.value_bits) + 1))
        m.d.comb += score_now.eq(cand.z + table[cand.rand[:dut.index_bits]])
        scores = [Signal.like(score_now, name=f"score_{k}") for k in range(n)]   # this round
        done = [Signal.like(score_now, name=f"done_score_{k}") for k in range(n)]  # last round
        k = Signal(range(n))
        rounds = Signal(2)    # rounds complete minus winners taken
        accept = dut.i_cand.valid & dut.i_cand.ready
        with m.If(accept):
            m.d.sync += k.eq(Mux(k == n - 1, 0, k + 1))
            for j in range(n):
                with m.If(k == j):
                    m.d.sync += scores[j].eq(score_now)
            with m.If(k == n - 1):
                m.d.sync += [d.eq(s) for d, s in zip(done[:-1], scores[:-1])]
                m.d.sync += done[-1].eq(score_now)
        taken = out.valid & out.ready
        finished = accept & (k == n - 1)
        m.d.sync += rounds.eq(rounds + finished - taken)
        m.d.comb += Assert(rounds <= 1)
        with m.If(out.valid):
            m.d.comb += [Assert(rounds == 1), Assert(out.payload < n)]
            for w in range(n):
                with m.If(out.payload == w):
                    for j in range(n):
                        if j < w:
                            m.d.comb += Assert(done[w] > done[j])
                        elif j > w and w == 0:     # a tie settled to the lower index
                            m.d.comb += Cover(done[w] == done[j])
                        elif j > w:
                            m.d.comb += Assert(done[w] >= done[j])
        return m
