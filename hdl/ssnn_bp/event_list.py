"""An in-order event list of one time step (spiking input rows, spiking hidden rows, gradient
columns) in a memory: block RAM on iCE40, LUT RAM on ECP5, instead of a register file."""
from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal
from amaranth.lib import data, memory, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int

from .mux import select
from .sync_read import NO_RW_CHECK, sync_read

__all__ = ["EventList", "GroupEventList"]


class EventList(wiring.Component):
    """Up to ``depth`` events of ``width`` bits, appended in order, read back by position.

    Ports: ``append`` + ``value``: store ``value`` at position ``count`` (``count`` and
    ``last`` = ``value`` update next cycle); ``clear``: empty the list (wins over ``append``);
    ``count`` (0..depth); ``last``: the last appended value; ``rd_addr`` -> ``rd_data``:
    synchronous read (data one cycle after the address), addresses beyond ``depth`` - 1 wrap;
    a read of the position appended in the same cycle is undefined in synthesis
    (:mod:`.sync_read`: no read-during-write logic).
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
                                               init=[], attrs=NO_RW_CHECK)
        wr = mem.write_port()
        m.d.comb += [wr.addr.eq(self.count), wr.data.eq(self.value), wr.en.eq(self.append),
                     self.rd_data.eq(sync_read(m, mem, self.rd_addr))]
        with m.If(self.append):
            m.d.sync += [self.count.eq(self.count + 1), self.last.eq(self.value)]
        with m.If(self.clear):
            m.d.sync += self.count.eq(0)
        return m


class GroupEventList(wiring.Component):
    """An :class:`EventList` that appends up to ``lanes`` events per cycle (``lanes`` a power
    of two): the values of the set bits of ``append`` (``lanes`` b), in lane order, from
    ``values`` (``lanes`` x ``width`` b). Position p lives in bank p mod ``lanes`` at address
    p // ``lanes`` (one memory per bank), so consecutive positions fall in different banks and
    a group of events is listed in one cycle.

    Ports: ``append`` + ``values``: store the selected values at positions ``count`` ..
    (``count`` and ``last`` update next cycle; at most ``depth`` events in all); ``clear``:
    empty the list (wins over ``append``); ``count`` (0..depth); ``last``: the last appended
    value; ``rd_addr`` -> ``rd_data``: synchronous read of position ``rd_addr`` (data one cycle
    after the address; positions >= ``count`` read an unspecified value, and so does a read of
    a position appended in the same cycle).
    """

    def __init__(self, *, width: int, depth: int, lanes: int):
        self.width = check_int("width", width, 1, 32)
        self.depth = check_int("depth", depth, 1, 1 << 20)
        self.lanes = check_int("lanes", lanes, 1, 8)
        if lanes & (lanes - 1):
            raise ConfigError(f"lanes must be a power of two, got {lanes}")
        self.bank_depth = -(-depth // lanes)
        super().__init__({
            "clear": In(1), "append": In(lanes),
            "values": In(data.ArrayLayout(width, lanes)),
            "count": Out(range(depth + 1)), "last": Out(width),
            "rd_addr": In(bits_for(depth - 1)), "rd_data": Out(width),
        })

    def elaborate(self, platform):
        m = Module()
        n, k = self.lanes, (self.lanes - 1).bit_length()
        # the rank of each lane's value among the selected ones, and how many are selected
        rank = [Const(0, k + 1)]
        for lane in range(n):
            rank.append(rank[-1] + self.append[lane])
        total = Signal(k + 1)
        m.d.comb += total.eq(rank[n])
        base = Signal(max(k, 1))                   # count mod lanes: the bank of rank 0
        rd_sel = Signal(max(k, 1))
        if k:
            m.d.comb += base.eq(self.count[:k])
            m.d.sync += rd_sel.eq(self.rd_addr[:k])
        datas = []
        for b in range(n):
            mem = memory.Memory(shape=self.width, depth=max(self.bank_depth, 2), init=[],
                                attrs=NO_RW_CHECK)
            m.submodules[f"bank{b}"] = mem
            wr = mem.write_port()
            # bank b takes the value of rank j = (b - base) mod lanes, if one is selected
            j = Signal(k + 1, name=f"rank{b}")
            m.d.comb += j.eq(((b + n) - base)[:k] if k else 0)
            value = Const(0, self.width)
            for lane in range(n):
                value = Mux(self.append[lane] & (rank[lane] == j), self.values[lane], value)
            m.d.comb += [wr.en.eq(j < total), wr.data.eq(value),
                         wr.addr.eq((self.count + j) >> k)]
            datas.append(sync_read(m, mem, self.rd_addr >> k, name=f"rd_data{b}"))
        m.d.comb += self.rd_data.eq(select(datas, rd_sel) if k else datas[0])
        last = Const(0, self.width)
        for lane in range(n):
            last = Mux(self.append[lane], self.values[lane], last)
        with m.If(total != 0):
            m.d.sync += [self.count.eq(self.count + total), self.last.eq(last)]
        with m.If(self.clear):
            m.d.sync += self.count.eq(0)
        return m
