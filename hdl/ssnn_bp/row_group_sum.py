"""The output-layer synaptic adder of the SSNN-BP network top's HID phase: the W2 rows of a
group of hidden neurons (one row per W2 bank, read in one cycle) summed under the group's
spike mask, so a whole group's spikes reach z in one cycle instead of one row per cycle."""
from __future__ import annotations

from amaranth.hdl import Module, Mux, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from snnforge.hdl.checks import check_int

__all__ = ["RowGroupSum"]


class RowGroupSum(wiring.Component):
    """Registered masked sum of ``rows`` weight rows of ``lanes`` signed(``weight_bits``)
    weights (weight LSBs).

    ``valid`` + ``mask`` (``rows`` b) + ``rows_in`` (``rows`` x ``lanes`` weights): one
    cycle later ``sum_valid`` = ``valid`` and ``sum[l]`` = the sum over the rows r with mask
    bit r set of ``rows_in[r][l]`` (0 for an empty mask), signed(``sum_bits`` =
    ``weight_bits`` + ceil(log2(``rows``))): exact for every input. One adder tree per lane
    (``rows`` - 1 adders, depth ceil(log2(``rows``))).
    """

    def __init__(self, *, rows: int, lanes: int, weight_bits: int):
        self.rows = check_int("rows", rows, 1, 64)
        self.lanes = check_int("lanes", lanes, 1, 4096)
        self.weight_bits = check_int("weight_bits", weight_bits, 2, 32)
        self.sum_bits = weight_bits + ceil_log2(rows)
        row = data.ArrayLayout(signed(weight_bits), lanes)
        super().__init__({
            "valid": In(1), "mask": In(rows), "rows_in": In(data.ArrayLayout(row, rows)),
            "sum_valid": Out(1),
            "sum": Out(data.ArrayLayout(signed(self.sum_bits), lanes)),
        })

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.sum_valid.eq(self.valid)
        for lane in range(self.lanes):
            terms = [Mux(self.mask[r], self.rows_in[r][lane], 0) for r in range(self.rows)]
            while len(terms) > 1:          # balanced tree
                terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                         for i in range(0, len(terms), 2)]
            m.d.sync += self.sum[lane].eq(terms[0])
        return m
