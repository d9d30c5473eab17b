"""Board clocks for the network tops: the ECP5 PLL (``EHXPLLL``) and its divider search.

The iCEBreaker top runs on the 12 MHz oscillator itself: the iCE40 PLL's output starts at
16 MHz, above what the UP5K network top closes timing at, and 12 MHz already gives the UART
3 Mbaud (divisor 4). The ULX3S's 25 MHz oscillator reaches no FT231X rate above 1 Mbaud
(25 MHz / 3 Mbaud is not an integer), so its top can run from an ``EHXPLLL`` clock.
"""
from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Instance, Signal

from snnforge.errors import ConfigError

__all__ = ["EcpPllParams", "ecp5_pll_params", "ecp5_pll"]

# ECP5 EHXPLLL limits (Lattice TN1263 / ecppll): PFD 3.125..400 MHz, VCO 400..800 MHz
_PFD_MIN, _PFD_MAX = 3.125e6, 400e6
_VCO_MIN, _VCO_MAX = 400e6, 800e6


@dataclass(frozen=True)
class EcpPllParams:
    clki_div: int
    clkfb_div: int
    clkop_div: int
    f_in: float
    f_out: float

    @property
    def f_vco(self) -> float:
        return self.f_out * self.clkop_div


def ecp5_pll_params(*, f_in: float, f_out: float, tolerance: float = 0.0) -> EcpPllParams:
    """EHXPLLL dividers (feedback from CLKOP) for ``f_out`` from ``f_in`` (Hz): the exact
    frequency, or within ``tolerance`` (relative) of it; :class:`ConfigError` otherwise."""
    best = None
    for clki_div in range(1, 129):
        pfd = f_in / clki_div
        if not _PFD_MIN <= pfd <= _PFD_MAX:
            continue
        for clkfb_div in range(1, 81):
            out = pfd * clkfb_div
            for clkop_div in range(1, 129):
                if not _VCO_MIN <= out * clkop_div <= _VCO_MAX:
                    continue
                err = abs(out - f_out) / f_out
                if best is None or err < best[0]:
                    best = (err, EcpPllParams(clki_div, clkfb_div, clkop_div, f_in, out))
    if best is None or best[0] > tolerance + 1e-12:
        near = f"; the nearest is {best[1].f_out / 1e6:.4f} MHz" if best else ""
        raise ConfigError(f"the ECP5 PLL cannot make {f_out / 1e6:g} MHz from "
                          f"{f_in / 1e6:g} MHz{near}; pick another clock frequency")
    return best[1]


def ecp5_pll(params: EcpPllParams, *, clk_in, clk_out: Signal, lock: Signal) -> Instance:
    """The ``EHXPLLL`` instance for ``params``: ``clk_in`` -> ``clk_out``, ``lock``."""
    return Instance(
        "EHXPLLL",
        a_FREQUENCY_PIN_CLKI=f"{params.f_in / 1e6:g}",
        a_FREQUENCY_PIN_CLKOP=f"{params.f_out / 1e6:g}",
        a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
        a_MFG_GMCREF_SEL="2",
        p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
        p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_OUTDIVIDER_MUXB="DIVB",
        p_OUTDIVIDER_MUXC="DIVC", p_OUTDIVIDER_MUXD="DIVD",
        p_CLKI_DIV=params.clki_div, p_CLKOP_ENABLE="ENABLED", p_CLKOP_DIV=params.clkop_div,
        p_CLKOP_CPHASE=params.clkop_div - 1, p_CLKOP_FPHASE=0,
        p_FEEDBK_PATH="CLKOP", p_CLKFB_DIV=params.clkfb_div,
        i_RST=0, i_STDBY=0, i_CLKI=clk_in, o_CLKOP=clk_out, i_CLKFB=clk_out,
        i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1, i_PHASELOADREG=1,
        i_PLLWAKESYNC=0, i_ENCLKOP=0, o_LOCK=lock)
