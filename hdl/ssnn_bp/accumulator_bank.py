"""The pre-activation registers of one layer of the SSNN-BP network top (u of the hidden
layer, z of the output layer): a weight row adds to all of them in one cycle (event-driven
synaptic accumulation), and one of them is read at a time by index."""
from __future__ import annotations

from amaranth.hdl import Module, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from snnforge.hdl.checks import check_int
from snnforge.hdl.ice40_dsp_adder import DSPAccumulator, check_dsp_lanes

from .mux import select

__all__ = ["AccumulatorBank"]


class AccumulatorBank(wiring.Component):
    """``count`` signed(``acc_bits``) accumulators (weight LSBs).

    ``clear``: zero all (wins over ``add``); ``add``: accumulator j += ``row[j]`` for every j
    (``row``: ``lanes`` >= count weights of signed(``weight_bits``), lanes beyond ``count``
    ignored). With ``words`` > 1 a row is ``words`` words of ``lanes`` weights (``lanes *
    words`` >= count) and ``add`` adds word ``word`` (an input port then):
    accumulator ``word * lanes + l`` += ``row[l]``; ``index`` -> ``value``: accumulator ``index`` (0 beyond ``count``), combinational;
    ``group_index`` -> ``group_value``: accumulators ``group * g .. group * g + group - 1``
    (``group`` of them, 0 beyond ``count``), combinational.
    The config's overflow proof (:meth:`SSNNConfig.accumulator_bits_needed`) makes the sums
    exact. ``dsp_lanes`` (default 0; ``acc_bits`` <= 32 then): accumulators 0 .. dsp_lanes - 1
    are :class:`~snnforge.hdl.ice40_dsp_adder.DSPAccumulator` units (register and adder in an
    SB_MAC16 each on an iCE40 UltraPlus, the same register elsewhere; cleared by ``clear``
    and the domain's reset, not by a ResetInserter around the bank).
    """

    def __init__(self, *, count: int, acc_bits: int, weight_bits: int, lanes: int,
                 group: int = 1, words: int = 1, dsp_lanes: int = 0):
        self.count = check_int("count", count, 1, 1 << 12)
        self.acc_bits = check_int("acc_bits", acc_bits, 2, 48)
        self.weight_bits = check_int("weight_bits", weight_bits, 2, 32)
        self.words = check_int("words", words, 1, count)
        self.lanes = check_int("lanes", lanes, -(-count // words), 1 << 12,
                               hint="lanes * words must cover count")
        self.group = check_int("group", group, 1, 64)
        self.dsp_lanes = check_dsp_lanes(dsp_lanes, lanes=count, acc_bits=acc_bits)
        self.groups = -(-count // group)
        word_port = {"word": In(range(words))} if words > 1 else {}
        super().__init__({**word_port,
            "clear": In(1), "add": In(1),
            "row": In(data.ArrayLayout(signed(weight_bits), lanes)),
            "index": In(range(count + 1)), "value": Out(signed(acc_bits)),
            "group_index": In(range(max(self.groups, 2))),
            "group_value": Out(data.ArrayLayout(signed(acc_bits), group)),
        })

    def elaborate(self, platform):
        m = Module()
        acc = []
        for j in range(self.count):
            if j < self.dsp_lanes:     # register and adder in an SB_MAC16 on an iCE40 UP
                m.submodules[f"acc{j}"] = unit = DSPAccumulator(acc_bits=self.acc_bits,
                                                                b_bits=self.weight_bits)
                add = self.add if self.words == 1 else self.add & (self.word == j // self.lanes)
                m.d.comb += [unit.add.eq(add), unit.clear.eq(self.clear),
                             unit.addend.eq(self.row[j % self.lanes])]
                acc.append(unit.value)
            else:
                acc.append(Signal(signed(self.acc_bits), name=f"acc{j}"))
        regs = range(self.dsp_lanes, self.count)
        if self.words == 1:
            with m.If(self.add):
                m.d.sync += [acc[j].eq(acc[j] + self.row[j]) for j in regs]
        else:
            for q in range(self.words):
                with m.If(self.add & (self.word == q)):
                    m.d.sync += [acc[j].eq(acc[j] + self.row[j - q * self.lanes])
                                 for j in range(max(q * self.lanes, self.dsp_lanes),
                                                min((q + 1) * self.lanes, self.count))]
        with m.If(self.clear):
            m.d.sync += [acc[j].eq(0) for j in regs]
        m.d.comb += self.value.eq(select(acc, self.index))
        for lane in range(self.group):
            column = [acc[g * self.group + lane] if g * self.group + lane < self.count else 0
                      for g in range(self.groups)]
            m.d.comb += self.group_value[lane].eq(select(column, self.group_index))
        return m
