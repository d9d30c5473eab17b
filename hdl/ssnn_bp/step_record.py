"""The per-step spike record of the SSNN-BP network top: input spikes s0, hidden spikes h and
gradient spikes g+/g- as bit masks (the ``o_trace`` record; g+/g- also select the W1 pass's
columns). h and g+/g- are set a group of neurons per cycle in group order (HID and BWD walk
the groups 0, 1, ..), so each is a shift register: a group's bits enter at the top and move
down one group per shift, with no index decode."""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snnforge.hdl.checks import check_int

__all__ = ["StepRecord"]


class StepRecord(wiring.Component):
    """Bit masks of one time step: ``s0`` (``n_in`` b), ``h``, ``g_pos``, ``g_neg``
    (``n_hidden`` b each, bias excluded). Changes take effect next cycle.

    Ports: ``clear``: all masks to 0 (wins over a set or shift in the same cycle);
    ``s0_set`` + ``s0_index``: set input bit s0_index (indices >= n_in, the bias row, set
    nothing); ``h_shift`` + ``h_spikes`` (``group`` b): the masks of h move down by ``group``
    bits and ``h_spikes`` enter at group ``groups - 1``; ``g_shift`` + ``g_pos_in`` /
    ``g_neg_in`` (``group`` b): the same for g_pos / g_neg. After ``groups`` shifts (the
    groups in order 0, 1, ..) since a clear, bit ``group * g + l`` of a mask is lane l of the
    g-th shift (lanes past n_hidden dropped); with fewer, the masks hold the shifted bits
    ``groups - shifts`` groups up.
    """

    def __init__(self, *, n_in: int, n_hidden: int, group: int = 4):
        self.n_in = check_int("n_in", n_in, 1, 1 << 16)
        self.n_hidden = check_int("n_hidden", n_hidden, 1, 1 << 16)
        self.group = check_int("group", group, 1, 64)
        self.groups = -(-n_hidden // group)
        super().__init__({
            "clear": In(1),
            "s0_set": In(1), "s0_index": In(range(n_in + 1)),
            "h_shift": In(1), "h_spikes": In(group),
            "g_shift": In(1), "g_pos_in": In(group), "g_neg_in": In(group),
            "s0": Out(n_in), "h": Out(n_hidden), "g_pos": Out(n_hidden), "g_neg": Out(n_hidden),
        })

    def elaborate(self, platform):
        m = Module()
        n_in, n_h, g = self.n_in, self.n_hidden, self.group
        with m.If(self.clear):
            m.d.sync += self.s0.eq(0)
        with m.Elif(self.s0_set):
            m.d.sync += self.s0.eq(self.s0 | (Const(1, n_in) << self.s0_index))
        for shift, bits, out in ((self.h_shift, self.h_spikes, self.h),
                                 (self.g_shift, self.g_pos_in, self.g_pos),
                                 (self.g_shift, self.g_neg_in, self.g_neg)):
            reg = Signal(self.groups * g, name=f"{out.name}_shift")
            with m.If(self.clear):
                m.d.sync += reg.eq(0)
            with m.Elif(shift):
                m.d.sync += reg.eq(Cat(reg[g:], bits))
            m.d.comb += out.eq(reg[:n_h])
        return m
