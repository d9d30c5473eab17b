"""Shared helpers of the SSNN-BP units: parameter validation (keyword-only integers,
ConfigError) and a lint-clean indexed select."""
from __future__ import annotations

from amaranth.hdl import Mux

from snnforge.errors import ConfigError

__all__ = ["check_int", "select"]


def check_int(name: str, value, lo: int, hi: int) -> int:
    """``value`` if it is an integer in lo..hi, else a ConfigError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"{name} must be an integer in {lo}..{hi}, got {value!r}")
    return value


def select(values, index):
    """``values[index]`` (0 out of range) as a mux chain: Array proxies and Switches become
    Verilog ``case`` statements that Verilator -Wall reports as incomplete."""
    out = 0
    for i, v in reversed(list(enumerate(values))):
        out = Mux(index == i, v, out)
    return out
