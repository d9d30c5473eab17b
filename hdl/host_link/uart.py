"""UART 8N1 (LSB first, idle high) with ``lib.stream`` byte ports.

``divisor`` is clock cycles per bit; :func:`uart_divisor` derives it from a clock frequency and a
baud rate and refuses rates the clock cannot reach within 2 %.
"""
from __future__ import annotations

from amaranth.hdl import Module, Signal
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError

__all__ = ["UARTTx", "UARTRx", "uart_divisor", "check_divisor", "rx_layout", "MIN_DIVISOR",
           "MAX_DIVISOR", "BAUD_TOLERANCE"]

#: the RX votes over 3 clock samples at the middle of a bit, so a bit must last >= 4 clocks
MIN_DIVISOR = 4
MAX_DIVISOR = 1 << 20
#: largest relative baud-rate error accepted by :func:`uart_divisor`
BAUD_TOLERANCE = 0.02


def check_divisor(divisor) -> int:
    """``divisor`` (clock cycles per bit) validated: an integer in [4, 2**20]."""
    if (not isinstance(divisor, int) or isinstance(divisor, bool)
            or not MIN_DIVISOR <= divisor <= MAX_DIVISOR):
        raise ConfigError(f"divisor (clock cycles per UART bit) must be an integer from "
                          f"{MIN_DIVISOR} to {MAX_DIVISOR}, got {divisor!r}; derive it with "
                          f"uart_divisor(clk_freq=..., baud=...)")
    return divisor


def uart_divisor(*, clk_freq: float, baud: float) -> int:
    """Clock cycles per bit for ``baud`` at ``clk_freq`` (Hz); :class:`ConfigError` when the
    nearest divisor misses ``baud`` by more than 2 % or is below 4."""
    if not isinstance(clk_freq, (int, float)) or clk_freq <= 0:
        raise ConfigError(f"clk_freq must be a positive frequency in Hz, got {clk_freq!r}")
    if not isinstance(baud, (int, float)) or baud <= 0:
        raise ConfigError(f"baud must be a positive rate in bit/s, got {baud!r}")
    divisor = max(1, round(clk_freq / baud))
    if divisor < MIN_DIVISOR:
        raise ConfigError(f"baud {baud:g} is too fast for a {clk_freq / 1e6:g} MHz clock: the "
                          f"UART needs >= {MIN_DIVISOR} clocks per bit (baud <= "
                          f"{clk_freq / MIN_DIVISOR:g}); lower --baud or raise the clock")
    actual = clk_freq / divisor
    if abs(actual - baud) / baud > BAUD_TOLERANCE:
        raise ConfigError(f"baud {baud:g} is not reachable from a {clk_freq / 1e6:g} MHz clock: "
                          f"divisor {divisor} gives {actual:.0f} baud "
                          f"({100 * abs(actual - baud) / baud:.1f} % off, limit "
                          f"{100 * BAUD_TOLERANCE:g} %); pick a baud near clk_freq / N")
    return check_divisor(divisor)


def rx_layout() -> data.StructLayout:
    """One received byte: data (8 b) and error (1 b: stop bit low, a framing error or break)."""
    return data.StructLayout({"data": 8, "error": 1})



class RxState(enum.Enum, shape=3):
    """States of the uart sequencer."""
    IDLE = 0
    START = 1
    DATA = 2
    STOP = 3
    WAIT_IDLE = 4
    BREAK = 5

class UARTTx(wiring.Component):
    """8N1 transmitter. ``i_data``: stream of bytes (one character each); ``tx``: the pin
    (idle 1). ``busy``: a character is being sent. Throughput: one byte per 10 bit times."""

    def __init__(self, *, divisor: int):
        self.divisor = check_divisor(divisor)
        super().__init__({"i_data": In(stream.Signature(8)), "tx": Out(1, init=1),
                          "busy": Out(1)})

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self.divisor))
        shreg = Signal(10, init=0x3FF)  # stop, data[7:0], start, shifted out LSB first
        bits = Signal(range(11))
        m.d.comb += [self.tx.eq(shreg[0]), self.busy.eq(bits != 0),
                     self.i_data.ready.eq(bits == 0)]
        with m.If(bits == 0):
            with m.If(self.i_data.valid):
                m.d.sync += [shreg.eq((1 << 9) | (self.i_data.payload << 1)), bits.eq(10),
                             timer.eq(self.divisor - 1)]
        with m.Elif(timer == 0):
            m.d.sync += [shreg.eq((1 << 9) | shreg[1:]), bits.eq(bits - 1),
                         timer.eq(self.divisor - 1)]
        with m.Else():
            m.d.sync += timer.eq(timer - 1)
        return m


class UARTRx(wiring.Component):
    """8N1 receiver.

    ``rx`` (pin) passes a 2-FF synchroniser (reset value 1). A falling edge starts a character;
    each bit is the majority of 3 clock samples around its middle; the start bit is re-checked
    there (a glitch shorter than half a bit is ignored). ``o_data`` (stream, :func:`rx_layout`)
    gets every character, ``error`` set when its stop bit is 0 (framing error). A line held low
    through a whole character is a break: one error byte, then ``break_`` is high until the line
    returns to 1. ``overrun`` pulses when a character arrives while ``o_data`` still holds the
    previous one (the new character is dropped).
    """

    def __init__(self, *, divisor: int):
        self.divisor = check_divisor(divisor)
        super().__init__({"rx": In(1, init=1), "o_data": Out(stream.Signature(rx_layout())),
                          "break_": Out(1), "overrun": Out(1)})

    def elaborate(self, platform):
        m = Module()
        d = self.divisor
        # 2-FF synchroniser of the asynchronous pin (reset to the idle level 1)
        meta = Signal(init=1)
        line = Signal(init=1)
        m.d.sync += [meta.eq(self.rx), line.eq(meta)]
        hist = Signal(3, init=0b111)  # last 3 synchronised samples, newest in bit 0
        m.d.sync += hist.eq((hist << 1) | line)
        vote = (hist[0] & hist[1]) | (hist[0] & hist[2]) | (hist[1] & hist[2])
        timer = Signal(range(max(d, 2)))
        bit = Signal(range(10))
        shreg = Signal(8)
        all_zero = Signal()
        with m.If(self.o_data.valid & self.o_data.ready):
            m.d.sync += self.o_data.valid.eq(0)
        m.d.sync += self.overrun.eq(0)
        # the vote covers the samples of clocks mid-1, mid, mid+1 of a bit when timer reaches 0
        mid_delay = d // 2 + 1
        state = Signal(RxState, init=RxState.IDLE)
        with m.If(state == RxState.IDLE):
            with m.If(~line):
                m.d.sync += timer.eq(mid_delay - 1)
                m.d.sync += state.eq(RxState.START)
        with m.Elif(state == RxState.START):
            with m.If(timer == 0):
                with m.If(vote):
                    m.d.sync += state.eq(RxState.IDLE)  # glitch: not a start bit
                with m.Else():
                    m.d.sync += [timer.eq(d - 1), bit.eq(0), all_zero.eq(1)]
                    m.d.sync += state.eq(RxState.DATA)
            with m.Else():
                m.d.sync += timer.eq(timer - 1)
        with m.Elif(state == RxState.DATA):
            with m.If(timer == 0):
                m.d.sync += [timer.eq(d - 1), shreg.eq((vote << 7) | shreg[1:]),
                             bit.eq(bit + 1), all_zero.eq(all_zero & ~vote)]
                with m.If(bit == 7):
                    m.d.sync += state.eq(RxState.STOP)
            with m.Else():
                m.d.sync += timer.eq(timer - 1)
        with m.Elif(state == RxState.STOP):
            with m.If(timer == 0):
                with m.If(self.o_data.valid & ~self.o_data.ready):
                    m.d.sync += self.overrun.eq(1)
                with m.Else():
                    m.d.sync += [self.o_data.valid.eq(1),
                                 self.o_data.payload.data.eq(shreg),
                                 self.o_data.payload.error.eq(~vote)]
                with m.If(~vote & all_zero):
                    m.d.sync += state.eq(RxState.BREAK)
                with m.Elif(~vote):
                    m.d.sync += state.eq(RxState.WAIT_IDLE)
                with m.Else():
                    m.d.sync += state.eq(RxState.IDLE)
            with m.Else():
                m.d.sync += timer.eq(timer - 1)
        with m.Elif(state == RxState.WAIT_IDLE):  # after a framing error: resynchronise on a high line
            with m.If(line):
                m.d.sync += state.eq(RxState.IDLE)
        with m.Elif(state == RxState.BREAK):
            m.d.comb += self.break_.eq(1)
            with m.If(line):
                m.d.sync += state.eq(RxState.IDLE)
        with m.Else():   # an illegal state returns to IDLE
            m.d.sync += state.eq(RxState.IDLE)
        return m
