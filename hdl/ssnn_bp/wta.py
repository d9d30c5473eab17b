"""Winner-take-all with Gumbel noise from a lookup table (golden :func:`units.wta`)."""
from __future__ import annotations

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data, memory, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.units import gumbel_table
from snnforge.hdl.checks import check_int

__all__ = ["WinnerTakeAll"]


class WinnerTakeAll(wiring.Component):
    """k* = argmax_k (z_k + table[rand_k mod 2**index_bits]), ties to the lowest k.

    Candidates arrive on ``i_cand`` (stream of {z: signed(acc_bits), rand: 16 b}), k = 0 ..
    n_out-1 in order; ``o_winner`` (stream, ceil(log2 n_out) b) gives k* once per n_out
    candidates. Lateral inhibition as a running race: each candidate's score is compared
    with the best so far and wins only when strictly higher, so the first maximum wins.
    The table (2**index_bits x signed(value_bits), LSBs) is a ROM built from the golden
    :func:`gumbel_table`. Three stages: the table read, the score ``z + G`` (registered, so
    the block RAM's slow clock-to-output and the adder are not in series with the race), the
    race. One candidate per cycle; the winner appears 3 cycles after the last candidate. A
    decision takes n_out + 1 cycles (n_out >= 3; 4 for n_out = 2: a last candidate waits
    while the previous decision's winner is still in the pipeline or offered). Needs
    ``acc_bits`` wide enough for z + G (``SSNNConfig.validate``).
    """

    #: cycles from the clock edge that takes the last candidate to the one that can take the
    #: winner (checked cycle-exactly by the cocotb testbench)
    latency = 3

    def __init__(self, *, n_out: int, acc_bits: int, index_bits: int, frac_bits: int,
                 value_bits: int):
        self.n_out = check_int("n_out", n_out, 2, 1 << 12)
        self.acc_bits = check_int("acc_bits", acc_bits, 2, 48)
        self.index_bits = check_int("index_bits", index_bits, 1, 16)
        self.frac_bits = check_int("frac_bits", frac_bits, 1, 16)
        self.value_bits = check_int("value_bits", value_bits, 2, 32)
        self.table = gumbel_table(index_bits=index_bits, frac_bits=frac_bits)
        limit = 1 << (value_bits - 1)
        if self.table.max() >= limit or self.table.min() < -limit:
            raise ConfigError(f"value_bits={value_bits} cannot hold the Gumbel table (largest "
                              f"|entry| {int(abs(self.table).max())}); increase value_bits")
        self.addr_width = max((n_out - 1).bit_length(), 1)
        super().__init__({
            "i_cand": In(stream.Signature(data.StructLayout(
                {"z": signed(acc_bits), "rand": 16}))),
            "o_winner": Out(stream.Signature(self.addr_width)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.gumbel = rom = memory.Memory(
            shape=signed(self.value_bits), depth=len(self.table),
            init=[int(v) for v in self.table])
        rd = rom.read_port()
        out = self.o_winner
        k = Signal(self.addr_width)             # index of the next candidate
        s1_valid = Signal()
        s1_k = Signal(self.addr_width)
        s1_z = Signal(signed(self.acc_bits))
        best = Signal(signed(self.acc_bits + 1))
        best_k = Signal(self.addr_width)
        s2_valid = Signal()
        s2_k = Signal(self.addr_width)
        score = Signal(signed(self.acc_bits + 1))   # stage 2: z + G of candidate s2_k
        wins = Signal()
        accept = Signal()
        # a last candidate must not reach stage 2 while an earlier winner is still pending
        hold_last = Signal()
        m.d.comb += hold_last.eq((k == self.n_out - 1) &
                                 ((s1_valid & (s1_k == self.n_out - 1)) |
                                  (s2_valid & (s2_k == self.n_out - 1))))
        m.d.comb += [
            self.i_cand.ready.eq(~out.valid & ~hold_last),
            accept.eq(self.i_cand.valid & self.i_cand.ready),
            rd.addr.eq(self.i_cand.payload.rand[:self.index_bits]),
            wins.eq((s2_k == 0) | (score > best)),
        ]
        m.d.sync += [s1_valid.eq(accept), s2_valid.eq(s1_valid)]
        with m.If(accept):
            m.d.sync += [s1_k.eq(k), s1_z.eq(self.i_cand.payload.z),
                         k.eq(k + 1)]
            with m.If(k == self.n_out - 1):
                m.d.sync += k.eq(0)
        with m.If(s1_valid):
            m.d.sync += [s2_k.eq(s1_k), score.eq(s1_z + rd.data)]
        with m.If(out.valid & out.ready):
            m.d.sync += out.valid.eq(0)
        with m.If(s2_valid):
            with m.If(wins):
                m.d.sync += [best.eq(score), best_k.eq(s2_k)]
            with m.If(s2_k == self.n_out - 1):
                m.d.sync += out.valid.eq(1)
                with m.If(wins):
                    m.d.sync += out.payload.eq(s2_k)
                with m.Else():
                    m.d.sync += out.payload.eq(best_k)
        return m
