"""A lint-clean indexed select for the SSNN-BP units (parameter validation lives in
:mod:`snnforge.hdl.checks`)."""
from __future__ import annotations

from amaranth.hdl import Mux, Value
from amaranth.utils import ceil_log2

__all__ = ["select"]


def select(values, index):
    """``values[index]`` (0 out of range) as a balanced mux tree on the bits of ``index``
    (depth ceil(log2(len(values)))): Array proxies and Switches become Verilog ``case``
    statements that Verilator -Wall reports as incomplete, and a mux chain as deep as a wide
    layer exceeds the Amaranth simulator's recursion limit."""
    index = Value.cast(index)
    k = max(ceil_log2(len(values)), 1)
    level = list(values) + [0] * ((1 << k) - len(values))
    for b in range(k):
        pairs = zip(level[0::2], level[1::2])
        level = [Mux(index[b], hi, lo) if b < len(index) else lo for lo, hi in pairs]
    if len(index) > k:
        return Mux(index[k:] == 0, level[0], 0)
    return level[0]
