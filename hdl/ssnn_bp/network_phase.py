"""The sequencer phases of the SSNN-BP network top (see :mod:`.network`)."""
from __future__ import annotations

from amaranth.lib import enum

__all__ = ["Phase"]


class Phase(enum.Enum, shape=4):
    """The sequencer phase of the top (see the module docstring)."""
    IDLE = 0
    PREFETCH = 1
    FWD1 = 2
    FWD1_END = 3
    HID = 4
    HID_END = 5
    WTA = 6
    WINNER = 7
    ERR = 8
    BWD = 9
    UPD = 10
    UPD_END = 11
    TRACE = 12
