"""Shared parameter validation for the SSNN-BP units (keyword-only integers, ConfigError)."""
from __future__ import annotations

from snnforge.errors import ConfigError

__all__ = ["check_int"]


def check_int(name: str, value, lo: int, hi: int) -> int:
    """``value`` if it is an integer in lo..hi, else a ConfigError naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"{name} must be an integer in {lo}..{hi}, got {value!r}")
    return value
