"""Comparisons with a constant as plain logic: ``x < c`` for a constant ``c`` is an OR over
the 1 bits of ``c`` (x has a 0 there and equals ``c`` above it), which the LUT mapper packs
into about width / 3 LUT4s; Yosys maps ``<`` itself to a carry chain (one logic cell per bit
on the iCE40 even when one side is constant). Used by the SSNN-BP units (LR gates, the neuron's
gate window) and the host link's range checks."""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Value

__all__ = ["less_than", "signed_less_than"]


def less_than(x, c: int) -> Value:
    """``x < c`` for ``x`` read as unsigned and an integer constant ``c``."""
    x = Value.cast(x)
    w = len(x)
    if c <= 0:
        return Const(0, 1)
    if c >= 1 << w:
        return Const(1, 1)
    terms, equal_above = [], Const(1, 1)
    for i in reversed(range(w)):
        if (c >> i) & 1:
            terms.append(equal_above & ~x[i])
            equal_above = equal_above & x[i]
        else:
            equal_above = equal_above & ~x[i]
    return Cat(*terms).any()


def signed_less_than(x, c: int) -> Value:
    """``x < c`` for ``x`` read as two's complement and an integer constant ``c``: the same
    order as the unsigned one with the sign bit inverted on both sides."""
    x = Value.cast(x)
    w = len(x)
    if c <= -(1 << (w - 1)):
        return Const(0, 1)
    if c > (1 << (w - 1)) - 1:
        return Const(1, 1)
    return less_than(Cat(x[:w - 1], ~x[w - 1]), c + (1 << (w - 1)))
