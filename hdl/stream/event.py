"""The signed spike event: an address plus a sign bit, as an Amaranth ``data.StructLayout``.

Bit layout (LSB first): ``addr`` (``addr_width`` bits, unsigned neuron/synapse index), then
``negative`` (1 bit: 0 = positive spike, 1 = negative spike). Payload width = addr_width + 1.
"""
from __future__ import annotations

from amaranth.hdl import unsigned
from amaranth.lib import data

from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int

__all__ = ["spike_event_layout", "check_addr_width", "encode_event", "decode_event"]

MAX_ADDR_WIDTH = 32


def check_addr_width(addr_width) -> int:
    """Validate an event address width (1 .. 32 bits) and return it."""
    return check_int("addr_width", addr_width, 1, MAX_ADDR_WIDTH)


def spike_event_layout(*, addr_width: int) -> data.StructLayout:
    """The payload of a spike channel: ``addr`` (``addr_width`` bits, unsigned neuron/synapse
    index), then ``negative`` (1 bit: 0 = positive spike, 1 = negative spike)."""
    addr_width = check_addr_width(addr_width)
    return data.StructLayout({"addr": unsigned(addr_width), "negative": unsigned(1)})


def encode_event(addr: int, negative: bool, *, addr_width: int) -> int:
    """The payload integer of an event (for testbenches)."""
    check_addr_width(addr_width)
    if not 0 <= int(addr) < (1 << addr_width):
        raise ConfigError(f"event address {addr} does not fit {addr_width} bits")
    return int(addr) | (int(bool(negative)) << addr_width)


def decode_event(payload: int, *, addr_width: int) -> tuple[int, bool]:
    """(addr, negative) of a payload integer (for testbenches)."""
    check_addr_width(addr_width)
    return int(payload) & ((1 << addr_width) - 1), bool((int(payload) >> addr_width) & 1)
