"""Input encoder: one Bernoulli(pixel / 256) spike per pixel per step (golden
:func:`~snnforge.golden_model.ssnn_bp.units.encode_input`)."""
from __future__ import annotations

from amaranth.hdl import Module, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from snnforge.hdl.checks import check_int

__all__ = ["InputEncoder"]


class InputEncoder(wiring.Component):
    """``lanes`` pixels per cycle, combinational: ``spikes[l] = rand8[l] < pixels[l]``.

    Ports: ``pixels``, ``rand8``: ``lanes`` x 8-bit unsigned; ``spikes``: ``lanes`` bits.
    One 64-bit random block holds 8 draws, so ``lanes = 8`` encodes one block per cycle.
    """

    def __init__(self, *, lanes: int = 1):
        self.lanes = check_int("lanes", lanes, 1, 1024)
        super().__init__({
            "pixels": In(data.ArrayLayout(unsigned(8), lanes)),
            "rand8": In(data.ArrayLayout(unsigned(8), lanes)),
            "spikes": Out(lanes),
        })

    def elaborate(self, platform):
        m = Module()
        for lane in range(self.lanes):
            m.d.comb += self.spikes[lane].eq(self.rand8[lane] < self.pixels[lane])
        return m
