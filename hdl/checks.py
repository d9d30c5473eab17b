"""Up-front parameter validation and derived widths for every HDL component.

Each component validates its keyword-only parameters in ``__init__`` with these helpers, so a
bad value raises :class:`~snnforge.errors.ConfigError` with one message style everywhere:
``"<name> must be an integer in <lo>..<hi>, got <value>"`` (``">= <lo>"`` when unbounded),
plus an optional hint on how to fix it.
"""
from __future__ import annotations

from amaranth.utils import bits_for, ceil_log2

from snnforge.errors import ConfigError

__all__ = ["check_int", "signed_bits", "index_width", "MAX_WIDTH"]

#: Widest register a unit accepts (bits).
MAX_WIDTH = 64


def check_int(name: str, value, lo: int, hi: int | None = None, *, hint: str = "") -> int:
    """``value`` if it is an int (not a bool) in ``lo .. hi`` (no upper bound when ``hi`` is
    None), else a ConfigError naming ``name`` and the allowed range, then ``hint``."""
    bounds = f">= {lo}" if hi is None else f"in {lo}..{hi}"
    if isinstance(value, bool) or not isinstance(value, int) \
            or value < lo or (hi is not None and value > hi):
        raise ConfigError(f"{name} must be an integer {bounds}, got {value!r}"
                          + (f"; {hint}" if hint else ""))
    return value


def signed_bits(max_abs: int) -> int:
    """Narrowest two's-complement width (bits) holding every value in ``[-max_abs, max_abs]``."""
    return bits_for(abs(int(max_abs)), require_sign_bit=True)


def index_width(n: int) -> int:
    """Width (bits, >= 1) of an index that addresses ``n`` items (``0 .. n - 1``)."""
    return max(ceil_log2(int(n)), 1)
