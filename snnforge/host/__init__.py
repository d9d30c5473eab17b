"""Host side of the UART host link: :mod:`.protocol` is the reference of the wire format
(CRC-16/CCITT-FALSE, SLIP, frames, command builders and parsers) that the gateware in
:mod:`snnforge.hdl.host_link` is scored against. See docs/host_link.md."""
