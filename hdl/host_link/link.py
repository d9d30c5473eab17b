"""The host-link protocol engine: UART pins in and out, network stream ports on the other side.

``rx`` -> :class:`~.uart.UARTRx` -> :class:`~.slip.SLIPDecoder` -> :class:`~.frame.FrameReceiver`
-> :class:`~.command.CommandDecoder` -> :class:`~.frame.FrameTransmitter` ->
:class:`~.slip.SLIPEncoder` -> :class:`~.uart.UARTTx` -> ``tx``. Protocol: docs/host_link.md.
"""
from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out, connect

from snnforge.errors import ConfigError
from snnforge.host.protocol import Status

from .command import CommandDecoder
from .frame import FrameReceiver, FrameTransmitter, check_frame_spram
from .sizes import LinkSizes, min_buffer_bytes
from .slip import SLIPDecoder, SLIPEncoder
from .uart import UARTRx, UARTTx, check_divisor, rx_layout

__all__ = ["ProtocolEngine", "HostLink", "UARTFraming"]


_NETWORK_PORTS = ("o_sample", "i_result", "o_read_req", "i_read_word", "o_write")


class ProtocolEngine(wiring.Component):
    """The byte-level engine behind the UART: ``i_bytes`` (stream, :func:`~.uart.rx_layout`:
    received bytes with their UART error flag) -> SLIP decoder -> frame receiver -> command
    decoder -> frame transmitter -> SLIP encoder -> ``o_bytes`` (stream of wire bytes).

    Parameters: ``n_in``, ``n_hidden``, ``n_out``, ``weight_bits``, ``config_hash`` (32 b,
    reported by IDENTIFY), ``buffer_bytes`` (frame buffer; default the smallest that holds every
    request), ``w1_host_loaded`` (W1 has no contents until the host writes it: TRAIN and
    EVALUATE wait for every W1 row; :class:`~.command.CommandDecoder`), ``frame_spram``
    (the frame buffer in an iCE40 SPRAM: :class:`~.frame.FrameReceiver` ``spram``), ``w1_lanes``
    (W1 weights per network beat, the network's ``w1_lanes``; default ``n_hidden``: a whole
    row), ``w2_lanes`` (W2 weights per network beat, the network's ``w2_lanes``; default
    ``n_out``: a whole row). Network ports: those of :class:`~.command.CommandDecoder` (``o_sample``,
    ``i_result``, ``o_read_req``, ``i_read_word``, ``o_write``, ``net_reset``); ``busy`` (a frame
    is being executed or answered), ``link_error`` (one-clock pulse per NACKed frame).
    """

    def __init__(self, *, n_in: int = 16, n_hidden: int = 8, n_out: int = 4,
                 weight_bits: int = 8, config_hash: int = 0, buffer_bytes: int | None = None,
                 w1_host_loaded: bool = False, frame_spram: bool = False,
                 w1_lanes: int | None = None, w2_lanes: int | None = None):
        self.sizes = LinkSizes(n_in=n_in, n_hidden=n_hidden, n_out=n_out,
                               weight_bits=weight_bits, config_hash=config_hash,
                               w1_lanes=w1_lanes, w2_lanes=w2_lanes)
        if buffer_bytes is None:
            buffer_bytes = min_buffer_bytes(self.sizes)
        self.decoder = CommandDecoder(sizes=self.sizes, buffer_bytes=buffer_bytes,
                                      w1_host_loaded=w1_host_loaded)
        self.buffer_bytes = buffer_bytes
        self.frame_spram = check_frame_spram(frame_spram, buffer_bytes=buffer_bytes)
        d = self.decoder.signature.members
        super().__init__({
            "i_bytes": In(stream.Signature(rx_layout())), "o_bytes": Out(stream.Signature(8)),
            **{name: d[name] for name in _NETWORK_PORTS},
            "net_reset": Out(1), "busy": Out(1), "link_error": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.slip_rx = srx = SLIPDecoder()
        m.submodules.slip_tx = stx = SLIPEncoder()
        m.submodules.frame_rx = frx = FrameReceiver(buffer_bytes=self.buffer_bytes,
                                                    spram=self.frame_spram)
        m.submodules.frame_tx = ftx = FrameTransmitter()
        m.submodules.decoder = dec = self.decoder
        connect(m, wiring.flipped(self.i_bytes), srx.i_data)
        m.d.comb += [frx.i_data.valid.eq(srx.o_data.valid), srx.o_data.ready.eq(1),
                     frx.i_data.payload.eq(srx.o_data.payload)]
        connect(m, frx.o_frame, dec.i_frame)
        m.d.comb += [frx.rd_addr.eq(dec.rd_addr), dec.rd_data.eq(frx.rd_data)]
        connect(m, dec.o_resp, ftx.i_data)
        connect(m, ftx.o_data, stx.i_data)
        connect(m, stx.o_data, wiring.flipped(self.o_bytes))
        for name in _NETWORK_PORTS:
            if name.startswith("o_"):
                connect(m, getattr(dec, name), wiring.flipped(getattr(self, name)))
            else:
                connect(m, wiring.flipped(getattr(self, name)), getattr(dec, name))
        m.d.comb += [self.net_reset.eq(dec.net_reset), self.busy.eq(dec.busy),
                     self.link_error.eq(frx.o_frame.valid & frx.o_frame.ready
                                        & (frx.o_frame.payload.status != Status.OK))]
        return m


class HostLink(wiring.Component):
    """UART host link: :class:`ProtocolEngine` behind an 8N1 UART (``rx``, ``tx`` pins).

    Parameters: ``divisor`` (clock cycles per UART bit, see :func:`~.uart.uart_divisor`) and
    those of :class:`ProtocolEngine`. Ports: ``rx``, ``tx``, the engine's network ports and
    ``busy``, ``link_error``, and ``break_`` (the RX line is in a break).
    """

    def __init__(self, *, divisor: int, n_in: int = 16, n_hidden: int = 8, n_out: int = 4,
                 weight_bits: int = 8, config_hash: int = 0, buffer_bytes: int | None = None,
                 w1_host_loaded: bool = False, frame_spram: bool = False,
                 w1_lanes: int | None = None, w2_lanes: int | None = None):
        self.divisor = check_divisor(divisor)
        self.engine = ProtocolEngine(n_in=n_in, n_hidden=n_hidden, n_out=n_out,
                                     weight_bits=weight_bits, config_hash=config_hash,
                                     buffer_bytes=buffer_bytes, w1_host_loaded=w1_host_loaded,
                                     frame_spram=frame_spram, w1_lanes=w1_lanes,
                                     w2_lanes=w2_lanes)
        self.sizes, self.buffer_bytes = self.engine.sizes, self.engine.buffer_bytes
        e = self.engine.signature.members
        super().__init__({
            "rx": In(1, init=1), "tx": Out(1, init=1),
            **{name: e[name] for name in _NETWORK_PORTS},
            "net_reset": Out(1), "busy": Out(1), "link_error": Out(1), "break_": Out(1),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.uart_rx = urx = UARTRx(divisor=self.divisor)
        m.submodules.uart_tx = utx = UARTTx(divisor=self.divisor)
        m.submodules.engine = eng = self.engine
        connect(m, urx.o_data, eng.i_bytes)
        connect(m, eng.o_bytes, utx.i_data)
        for name in _NETWORK_PORTS:
            if name.startswith("o_"):
                connect(m, getattr(eng, name), wiring.flipped(getattr(self, name)))
            else:
                connect(m, wiring.flipped(getattr(self, name)), getattr(eng, name))
        m.d.comb += [urx.rx.eq(self.rx), self.tx.eq(utx.tx), self.net_reset.eq(eng.net_reset),
                     self.busy.eq(eng.busy), self.link_error.eq(eng.link_error),
                     self.break_.eq(urx.break_)]
        return m


class UARTFraming(wiring.Component):
    """The byte path without the command decoder, for area and Fmax: ``rx`` -> UART RX -> SLIP
    decoder -> CRC check -> ``o_frame`` (length, status); ``i_data`` (response bodies) ->
    CRC append -> SLIP encoder -> UART TX -> ``tx``. The frame buffer is read through
    ``rd_addr`` / ``rd_data``."""

    def __init__(self, *, divisor: int, buffer_bytes: int = 512):
        self.divisor = check_divisor(divisor)
        if not isinstance(buffer_bytes, int) or buffer_bytes < 4:
            raise ConfigError(f"buffer_bytes must be an integer >= 4, got {buffer_bytes!r}")
        self.receiver = FrameReceiver(buffer_bytes=buffer_bytes)
        self.transmitter = FrameTransmitter()
        r, t = self.receiver.signature.members, self.transmitter.signature.members
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1),
                          "o_frame": r["o_frame"], "rd_addr": r["rd_addr"],
                          "rd_data": r["rd_data"], "i_data": t["i_data"]})

    def elaborate(self, platform):
        m = Module()
        m.submodules.uart_rx = urx = UARTRx(divisor=self.divisor)
        m.submodules.uart_tx = utx = UARTTx(divisor=self.divisor)
        m.submodules.slip_rx = srx = SLIPDecoder()
        m.submodules.slip_tx = stx = SLIPEncoder()
        m.submodules.frame_rx = frx = self.receiver
        m.submodules.frame_tx = ftx = self.transmitter
        connect(m, urx.o_data, srx.i_data)
        m.d.comb += [frx.i_data.valid.eq(srx.o_data.valid), srx.o_data.ready.eq(1),
                     frx.i_data.payload.eq(srx.o_data.payload),
                     frx.rd_addr.eq(self.rd_addr), self.rd_data.eq(frx.rd_data),
                     urx.rx.eq(self.rx), self.tx.eq(utx.tx)]
        connect(m, wiring.flipped(self.i_data), ftx.i_data)
        connect(m, ftx.o_data, stx.i_data)
        connect(m, stx.o_data, utx.i_data)
        connect(m, frx.o_frame, wiring.flipped(self.o_frame))
        return m
