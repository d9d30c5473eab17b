"""An in-order event list of one time step (spiking input rows, spiking hidden rows, gradient
columns) in a memory: block RAM on iCE40, LUT RAM on ECP5, instead of a register file."""
from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from .params import check_int

__all__ = ["EventList"]


class EventList(wiring.Component):
    """Up to ``depth`` events of ``width`` bits, appended in order, read back by position.

    Ports: ``append`` + ``value``: store ``value`` at position ``count`` (``count`` and
    ``last`` = ``value`` update next cycle); ``clear``: empty the list (wins over ``append``);
    ``count`` (0..depth); ``last``: the last appended value; ``rd_addr`` -> ``rd_data``:
    synchronous read (data one cycle after the address), addresses beyond ``depth`` - 1 wrap.
    """

    def __init__(self, *, width: int, depth: int):
        self.width = check_int("width", width, 1, 32)
        self.depth = check_int("depth", depth, 1, 1 << 20)
        super().__init__({
            "clear": In(1), "append": In(1), "value": In(width),
            "count": Out(range(depth + 1)), "last": Out(width),
            "rd_addr": In(bits_for(depth - 1)), "rd_data": Out(width),
        })

    def elaborate(self, platform):
        m = Module()
        # at least two entries: a one-entry memory has a 0-bit address, which lints as an
        # ascending [-1:0] range
        m.submodules.mem = mem = memory.Memory(shape=self.width, depth=max(self.depth, 2),
                                               init=[])
        wr, rd = mem.write_port(), mem.read_port()
        m.d.comb += [wr.addr.eq(self.count), wr.data.eq(self.value), wr.en.eq(self.append),
                     rd.addr.eq(self.rd_addr), self.rd_data.eq(rd.data)]
        with m.If(self.append):
            m.d.sync += [self.count.eq(self.count + 1), self.last.eq(self.value)]
        with m.If(self.clear):
            m.d.sync += self.count.eq(0)
        return m
