"""The per-step spike record of the SSNN-BP network top: input spikes s0, hidden spikes h,
surrogate gates d and gradient spikes g+/g- as bit masks (the ``o_trace`` record; d gates
the backward pass)."""
from __future__ import annotations

from amaranth.hdl import Const, Module
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from snnforge.hdl.checks import check_int

__all__ = ["StepRecord"]


class StepRecord(wiring.Component):
    """Bit masks of one time step: ``s0`` (``n_in`` b), ``h``, ``d``, ``g_pos``, ``g_neg``
    (``n_hidden`` b each, bias excluded). Set bits take effect next cycle.

    Ports: ``clear``: all masks to 0 (wins over a set in the same cycle); ``s0_set`` +
    ``s0_index``: set input bit s0_index (indices >= n_in, the bias row, set nothing);
    ``h_index`` with ``h_spike`` / ``h_gate``: set bit h_index of h / d; ``h_group_set`` +
    ``h_group`` with ``h_group_spikes`` / ``h_group_gates`` (``group`` b): set bits
    group * g + l of h / d (bits past n_hidden ignored); ``g_index`` with ``g_pos_set`` /
    ``g_neg_set``: set bit g_index of g_pos / g_neg; ``g_group_set`` + ``g_group`` with
    ``g_group_pos`` / ``g_group_neg``: set bits group * g + l of g_pos / g_neg. A group set
    wins over a single set of the same mask in the same cycle.
    """

    def __init__(self, *, n_in: int, n_hidden: int, group: int = 4):
        self.n_in = check_int("n_in", n_in, 1, 1 << 16)
        self.n_hidden = check_int("n_hidden", n_hidden, 1, 1 << 16)
        self.group = check_int("group", group, 1, 64)
        self.groups = groups = -(-n_hidden // group)
        super().__init__({
            "clear": In(1),
            "s0_set": In(1), "s0_index": In(range(n_in + 1)),
            "h_spike": In(1), "h_gate": In(1), "h_index": In(range(n_hidden + 1)),
            "h_group_set": In(1), "h_group": In(range(max(groups, 2))),
            "h_group_spikes": In(group), "h_group_gates": In(group),
            "g_group_set": In(1), "g_group": In(range(max(groups, 2))),
            "g_group_pos": In(group), "g_group_neg": In(group),
            "g_pos_set": In(1), "g_neg_set": In(1), "g_index": In(range(n_hidden + 1)),
            "s0": Out(n_in), "h": Out(n_hidden), "d": Out(n_hidden),
            "g_pos": Out(n_hidden), "g_neg": Out(n_hidden),
        })

    def elaborate(self, platform):
        m = Module()
        n_in, n_h = self.n_in, self.n_hidden
        for set_, mask, index, width in (
                (self.s0_set, self.s0, self.s0_index, n_in),
                (self.h_spike, self.h, self.h_index, n_h),
                (self.h_gate, self.d, self.h_index, n_h),
                (self.g_pos_set, self.g_pos, self.g_index, n_h),
                (self.g_neg_set, self.g_neg, self.g_index, n_h)):
            with m.If(self.clear):
                m.d.sync += mask.eq(0)
            with m.Elif(set_):
                m.d.sync += mask.eq(mask | (Const(1, width) << index))
        g = self.group
        for set_, index, mask, bits in (
                (self.h_group_set, self.h_group, self.h, self.h_group_spikes),
                (self.h_group_set, self.h_group, self.d, self.h_group_gates),
                (self.g_group_set, self.g_group, self.g_pos, self.g_group_pos),
                (self.g_group_set, self.g_group, self.g_neg, self.g_group_neg)):
            with m.If(~self.clear & set_):
                m.d.sync += mask.eq(mask | (bits << (index * g))[:n_h])
        return m
