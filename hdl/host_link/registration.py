"""Registers the host-link units for ``snnforge generate`` / ``synth``."""
from snnforge.hdl.registry import register_unit

from .crc import CRC16
from .link import HostLink, UARTFraming
from .slip import SLIPDecoder, SLIPEncoder
from .uart import UARTRx, UARTTx

_DIVISOR = {"divisor": (int, 4, "clock cycles per UART bit (12 MHz / 3 Mbaud = 4)")}

register_unit("host_link", factory=HostLink,
              params={**_DIVISOR,
                      "n_in": (int, 16, "network inputs"),
                      "n_hidden": (int, 8, "hidden neurons"),
                      "n_out": (int, 4, "classes"),
                      "weight_bits": (int, 8, "weight width, bits"),
                      "config_hash": (int, 0, "32-bit configuration hash IDENTIFY reports"),
                      "buffer_bytes": (int, None, "frame buffer, bytes (default: a full "
                                                  "sample or weight row)"),
                      "w1_host_loaded": (bool, False, "W1 has no contents until the host "
                                                      "writes every row (w1_spram)")},
              description="UART host link: UART, SLIP, CRC-16 frames, command decoder",
              golden="snnforge.host.engine.ProtocolEngineModel")
register_unit("host_link_uart_framing", factory=UARTFraming,
              params={**_DIVISOR, "buffer_bytes": (int, 512, "frame buffer, bytes")},
              description="host-link byte path: UART, SLIP, CRC check and append",
              golden="snnforge.host.protocol.encode_frame")
register_unit("host_link_uart_tx", factory=UARTTx, params=dict(_DIVISOR),
              description="UART 8N1 transmitter (lib.stream bytes)")
register_unit("host_link_uart_rx", factory=UARTRx, params=dict(_DIVISOR),
              description="UART 8N1 receiver: 2-FF synchroniser, 3-sample vote, framing "
                          "error and break detection")
register_unit("host_link_slip_encoder", factory=SLIPEncoder, params={},
              description="SLIP frame encoder", golden="snnforge.host.protocol.slip_encode")
register_unit("host_link_slip_decoder", factory=SLIPDecoder, params={},
              description="SLIP frame decoder with error marking",
              golden="snnforge.host.protocol.SlipDecoder")
register_unit("host_link_crc16", factory=CRC16, params={},
              description="CRC-16/CCITT-FALSE, one byte per clock",
              golden="snnforge.host.protocol.crc16")
