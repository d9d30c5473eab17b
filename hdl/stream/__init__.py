"""Signed spike-event channels on ``lib.stream``: event layout, FIFO, positive/negative merge.

Generic (address width, depth): used by SSNN-BP's gradient/error channels and SpikeGrad's
ternary spikes. An event is ``{addr: unsigned(addr_width), negative: 1}`` (see :mod:`.event`).
"""
from .event import check_addr_width, decode_event, encode_event, spike_event_layout
from .fifo import SpikeEventFIFO
from .merge import SignedSpikeMerge

__all__ = ["spike_event_layout", "check_addr_width", "encode_event", "decode_event",
           "SpikeEventFIFO", "SignedSpikeMerge"]

from . import registration  # noqa: E402,F401  (registers the units for generate / synth)
