"""The training board top: :class:`~snnforge.boards.network_core.NetworkBoardCore` on an
amaranth-boards platform (clock, reset button, FTDI UART pins, status LEDs).

| board | clock | UART pins (FTDI) | reset | LEDs idle / training / link error |
| --- | --- | --- | --- | --- |
| iCEBreaker | 12 MHz oscillator | ``uart`` 0: rx 6, tx 9 (FT2232H channel B) | user button | green (``led`` 1) / ``led`` 2 (snap-off PMOD) / red (``led`` 0) |
| ULX3S-85F | 25 MHz oscillator, or an ``EHXPLLL`` clock | ``uart`` 0: rx M1, tx L4 (FT231X) | ``button`` 0 | ``led`` 0 / 1 / 2 |

The clock (``clk_freq``) and the baud rate are validated against each other
(:func:`snnforge.hdl.host_link.uart.uart_divisor`: the divisor must be >= 4 and within 2 %).
"""
from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import ClockDomain, Elaboratable, Module, ResetInserter, Signal
from amaranth.lib import io
from amaranth.lib.cdc import FFSynchronizer, ResetSynchronizer

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.host_link.uart import uart_divisor

from .clocking import ecp5_pll, ecp5_pll_params
from .network_core import NetworkBoardCore

__all__ = ["BoardClocking", "BOARD_CLOCKING", "NetworkBoardTop"]


@dataclass(frozen=True)
class BoardClocking:
    oscillator_hz: float
    clock_resource: str
    pll: str | None            # "ecp5" or None (the oscillator only)
    leds: tuple[int, int, int]  # led indices: idle, training, link error


BOARD_CLOCKING = {
    "icebreaker": BoardClocking(12e6, "clk12", None, (1, 2, 0)),
    "ulx3s-85f": BoardClocking(25e6, "clk25", "ecp5", (0, 1, 2)),
}


class NetworkBoardTop(Elaboratable):
    """Board top for ``board`` (``icebreaker`` / ``ulx3s-85f``) running ``config`` with its
    logic clocked at ``clk_freq`` Hz (default the board oscillator; another frequency needs a
    board with a PLL) and the UART at ``baud``. ``network_options``: keyword arguments of the
    network top."""

    def __init__(self, *, board: str, config: SSNNConfig, baud: int,
                 clk_freq: float | None = None, network_options: dict | None = None):
        if board not in BOARD_CLOCKING:
            raise ConfigError(f"unknown board {board!r}; choose one of "
                              f"{', '.join(BOARD_CLOCKING)}")
        self.board, self.clocking = board, BOARD_CLOCKING[board]
        osc = self.clocking.oscillator_hz
        self.clk_freq = float(osc if clk_freq is None else clk_freq)
        self.pll = None
        if self.clk_freq != osc:
            if self.clocking.pll is None:
                raise ConfigError(f"{board} runs at its {osc / 1e6:g} MHz oscillator (the "
                                  f"iCE40 PLL starts at 16 MHz, above the network's Fmax); "
                                  f"leave out the clock option")
            self.pll = ecp5_pll_params(f_in=osc, f_out=self.clk_freq)
        self.baud = baud
        self.divisor = uart_divisor(clk_freq=self.clk_freq, baud=baud)
        self.core = NetworkBoardCore(config=config, divisor=self.divisor,
                                     led_hold_cycles=max(1, int(self.clk_freq * 0.2)),
                                     network_options=network_options)

    def elaborate(self, platform):
        m = Module()
        if self.board == "icebreaker" and not any(
                r.name == "led" and r.number == 2 for r in platform.resources.values()):
            platform.add_resources(platform.break_off_pmod)   # the training LED
        def buffer(name, direction, resource, number=0):
            m.submodules[name] = buf = io.Buffer(direction,
                                                 platform.request(resource, number, dir="-"))
            return buf

        button = Signal()
        m.submodules.button_sync = FFSynchronizer(buffer("button", "i", "button").i, button)
        if self.pll is not None:
            m.domains.sync = cd = ClockDomain("sync")
            lock = Signal()
            clk_in = buffer("clk_in", "i", self.clocking.clock_resource).i
            # no constraint of our own on the PLL output: nextpnr derives it from the
            # EHXPLLL's parameters and the oscillator's constraint (a net named here does not
            # survive synthesis)
            m.submodules.pll = ecp5_pll(self.pll, clk_in=clk_in, clk_out=cd.clk, lock=lock)
            m.submodules.reset_sync = ResetSynchronizer(~lock, domain="sync")
        # the platform's default domain (oscillator, power-on reset) otherwise; the button
        # resets the core in both cases
        m.submodules.core = ResetInserter(button)(self.core)
        uart = platform.request("uart", 0, dir={"rx": "-", "tx": "-"})
        m.submodules.uart_rx = rx = io.Buffer("i", uart.rx)
        m.submodules.uart_tx = tx = io.Buffer("o", uart.tx)
        m.d.comb += [self.core.rx.eq(rx.i), tx.o.eq(self.core.tx)]
        idle, training, error = (buffer(f"led_{role}", "o", "led", i) for role, i in
                                 zip(("idle", "training", "error"), self.clocking.leds))
        m.d.comb += [idle.o.eq(self.core.leds.idle), training.o.eq(self.core.leds.training),
                     error.o.eq(self.core.leds.link_error)]
        return m
