"""The host link's counters (samples, errors, cycles) in a memory, updated byte-serially, and
read-only reply bytes (the IDENTIFY constant) in the same memory.

A register per counter bit plus a byte multiplexer for READ_COUNTERS cost about 240 iCE40 logic
cells at the protocol's widths (4 + 4 + 6 bytes); in a memory the counters cost one block RAM
and a byte adder; a constant reply read by index costs a byte multiplexer of about 2 cells
per byte unless it sits in that block RAM too. Golden: the counters of :class:`snnforge.host.engine.ProtocolEngineModel`.
"""
from __future__ import annotations

from amaranth.hdl import Const, Module, Mux, Signal
from amaranth.lib import memory, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.host.protocol import COUNTER_BYTES

__all__ = ["CounterBank", "ROM_BASE"]

#: the address of the first ``rom`` byte
ROM_BASE = 16

#: the memory's bytes: samples, errors, cycles, little-endian, as READ_COUNTERS sends them
_FIRST = (0, COUNTER_BYTES[0], COUNTER_BYTES[0] + COUNTER_BYTES[1])
_BYTES = sum(COUNTER_BYTES)

#: bits of the per-sample cycle register: it spills 2**LOW_BITS into the memory at each wrap,
#: which leaves the bank idle for most of the 2**LOW_BITS clocks between two spills
LOW_BITS = 6


class CounterBank(wiring.Component):
    """Samples, errors and cycles in a memory of :data:`~snnforge.host.protocol.COUNTER_BYTES`
    bytes (samples at 0, errors at 4, cycles at 8, little-endian) and ``rom`` (constant bytes
    at :data:`ROM_BASE` onwards, at most 16).

    A sample's cycles are counted in a :data:`LOW_BITS`-bit register (``start`` clears it,
    ``count`` adds one) that spills into the memory: each time it wraps, the bank adds
    ``2**LOW_BITS`` to the cycles counter. ``done`` (with ``error``: the winner was not the
    label) adds the sample to the counters: one sample, ``error`` errors and the register's
    cycles (counted up to and including the clock of ``done``). ``clear`` zeroes them. An update, a spill or a clear
    runs for ``_BYTES + 1`` clocks (``busy``; read-modify-write of one byte per clock); a
    ``done`` or a wrap that arrives while one runs waits for it (``busy`` stays high), a
    ``clear`` is taken only when the bank is idle; after a reset the bank clears itself.
    ``rd_addr`` -> ``rd_data`` one clock later (when not busy).
    """

    def __init__(self, *, rom: bytes = b""):
        if not isinstance(rom, (bytes, bytearray)) or len(rom) > ROM_BASE:
            raise ConfigError(f"rom must be at most {ROM_BASE} bytes, got {rom!r}")
        self.rom = bytes(rom)
        super().__init__({"start": In(1), "count": In(1), "done": In(1), "error": In(1),
                          "clear": In(1), "rd_addr": In(5), "rd_data": Out(8),
                          "busy": Out(1, init=1)})

    def elaborate(self, platform):
        m = Module()
        m.submodules.memory = mem = memory.Memory(shape=8, depth=2 * ROM_BASE,
                                                  init=[0] * ROM_BASE + list(self.rom))
        rd = mem.read_port(transparent_for=())
        wr = mem.write_port()
        low = Signal(LOW_BITS)        # the sample's cycles modulo 2**LOW_BITS
        want_done = Signal()          # a done waits for the run in progress
        want_spill = Signal()         # a wrap of ``low`` waits
        with m.If(self.start):
            m.d.sync += low.eq(0)
        with m.Elif(self.count):
            m.d.sync += low.eq(low + 1)
            with m.If(low == (1 << LOW_BITS) - 1):
                m.d.sync += want_spill.eq(1)
        active = Signal(init=1)       # an update or a clear runs (after reset: a clear)
        clearing = Signal(init=1)
        spill = Signal()              # the run adds 2**LOW_BITS to the cycles
        error = Signal()
        with m.If(self.done):
            m.d.sync += error.eq(self.error)
        step = Signal(range(_BYTES + 1))   # step s reads byte s and writes byte s - 1
        carry = Signal()
        index = Signal(range(_BYTES))
        m.d.comb += [self.busy.eq(active | want_done | want_spill), index.eq(step - 1),
                     rd.en.eq(1), rd.addr.eq(Mux(active, step, self.rd_addr)),
                     self.rd_data.eq(rd.data)]
        operand = Signal(8)
        with m.Switch(index):
            with m.Case(_FIRST[0]):
                m.d.comb += operand.eq(~spill)
            with m.Case(_FIRST[1]):
                m.d.comb += operand.eq(error & ~spill)
            with m.Case(_FIRST[2]):
                m.d.comb += operand.eq(Mux(spill, 1 << LOW_BITS, low))
            with m.Default():
                m.d.comb += operand.eq(0)
        first = (index == _FIRST[0]) | (index == _FIRST[1]) | (index == _FIRST[2])
        total = Signal(9)
        m.d.comb += total.eq(rd.data + operand + Mux(first, 0, carry))
        with m.If(active):
            m.d.sync += step.eq(step + 1)
            with m.If(step != 0):
                m.d.comb += [wr.en.eq(1), wr.addr.eq(index),
                             wr.data.eq(Mux(clearing, Const(0, 8), total[:8]))]
                m.d.sync += carry.eq(total[8])
            with m.If(step == _BYTES):
                m.d.sync += [active.eq(0), clearing.eq(0), step.eq(0)]
            with m.If(self.done):
                m.d.sync += want_done.eq(1)
        with m.Elif(self.clear):
            m.d.sync += [active.eq(1), clearing.eq(1), step.eq(0), want_done.eq(0),
                         want_spill.eq(0)]
        with m.Elif(self.done | want_done):
            m.d.sync += [active.eq(1), clearing.eq(0), spill.eq(0), step.eq(0),
                         want_done.eq(0)]
        with m.Elif(want_spill):
            m.d.sync += [active.eq(1), clearing.eq(0), spill.eq(1), step.eq(0),
                         want_spill.eq(0)]
        return m
