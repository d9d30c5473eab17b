"""UART host link gateware (one file per primitive): :mod:`.uart` (8N1 TX/RX), :mod:`.crc`
(CRC-16/CCITT-FALSE), :mod:`.slip` (SLIP framing), :mod:`.frame` (frame check, CRC append),
:mod:`.command` (command decoder), :mod:`.link` (the whole engine), :mod:`.result_adapter` (the network's
per-step winners -> one result per sample). Wire format and golden
functions: :mod:`snnforge.host.protocol`; docs/host_link.md."""
from .command import CommandDecoder
from .sizes import LinkSizes, min_buffer_bytes
from .crc import CRC16, crc16_next
from .frame import FrameReceiver, FrameTransmitter
from .link import HostLink, ProtocolEngine, UARTFraming
from .result_adapter import SampleResultAdapter
from .slip import SLIPDecoder, SLIPEncoder
from .uart import UARTRx, UARTTx, uart_divisor

from . import registration  # noqa: F401,E402 - registers the units

__all__ = ["UARTTx", "UARTRx", "uart_divisor", "CRC16", "crc16_next", "SLIPEncoder",
           "SLIPDecoder", "FrameReceiver", "FrameTransmitter", "CommandDecoder", "LinkSizes",
           "min_buffer_bytes", "ProtocolEngine", "HostLink", "UARTFraming", "SampleResultAdapter"]
