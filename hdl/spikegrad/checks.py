"""Up-front parameter validation shared by the SpikeGrad RTL units (raise ConfigError)."""
from __future__ import annotations

from snnforge.errors import ConfigError

__all__ = ["check_int", "signed_bits", "addr_width_for", "MAX_WIDTH"]

#: Widest register any unit accepts (bits).
MAX_WIDTH = 64


def check_int(name: str, value, *, lo: int, hi: int | None = None, hint: str = "") -> int:
    """Return ``value`` if it is an int (not bool) in ``lo .. hi``, else raise ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise ConfigError(f"{name} must be {bounds}, got {value}" + (f"; {hint}" if hint else ""))
    return value


def signed_bits(max_abs: int) -> int:
    """Smallest two's-complement width holding every value in ``[-max_abs, max_abs]``."""
    return int(max_abs).bit_length() + 1


def addr_width_for(n: int) -> int:
    """Address width (bits, >= 1) that indexes ``n`` neurons."""
    return max(1, (int(n) - 1).bit_length())
