"""The sequencer phases of the SSNN-BP network top (see :mod:`.network`)."""
from __future__ import annotations

from amaranth.lib import enum

__all__ = ["Phase"]


class Phase(enum.Enum, shape=4):
    """The sequencer phase of the top (see the module docstring)."""
    IDLE = 0
    PREFETCH = 1
    FWD1 = 2
    HID = 3
    WTA = 4
    WINNER = 5
    ERR = 6
    BWD = 7
    UPD = 8
    UPD_END = 9
    TRACE = 10
