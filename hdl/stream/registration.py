"""Registers the spike-channel units for ``snnforge generate`` / ``synth``."""
from snnforge.hdl.registry import register_unit

from .fifo import SpikeEventFIFO
from .merge import SignedSpikeMerge

register_unit("spike_event_fifo", factory=SpikeEventFIFO,
              params={"addr_width": (int, 8, "event address width, bits"),
                      "depth": (int, 16, "events held")},
              description="FIFO of signed spike events (lib.stream)")
register_unit("signed_spike_merge", factory=SignedSpikeMerge,
              params={"addr_width": (int, 8, "event address width, bits")},
              description="round-robin merge of positive and negative spike channels")
