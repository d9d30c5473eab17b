"""Frame layer: the receiver stores a body in the frame buffer and checks it (length, marks,
CRC); the transmitter appends the CRC to a response body. Body format:
:mod:`snnforge.host.protocol` (seq, op, payload, CRC-16 big-endian)."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, enum, memory, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from snnforge.errors import ConfigError
from snnforge.hdl.const_compare import less_than
from snnforge.host.protocol import BODY_OVERHEAD, Status

from .crc import CRC_INIT, crc16_next
from .slip import checked_byte_layout, frame_byte_layout

__all__ = ["FrameReceiver", "FrameTransmitter", "frame_info_layout", "MAX_BUFFER_BYTES",
           "SPRAM_ATTRS", "SPRAM_BYTES", "check_frame_spram"]

MAX_BUFFER_BYTES = 65535

#: bytes of one iCE40 SB_SPRAM256KA (16K words of 16 b; a byte buffer uses half of each word)
SPRAM_BYTES = 16384

#: memory attributes of a frame buffer in SPRAM: Yosys' ``synth_ice40 -spram`` maps a memory
#: with ``ram_style = "huge"`` to SB_SPRAM256KA (by cost alone it takes block RAMs), and the
#: host-loaded mark (:data:`snnforge.synthesis.HOST_LOADED`) drops Amaranth's initial zeros,
#: which the SPRAM cannot hold (the buffer's contents before a frame's bytes are never read)
SPRAM_ATTRS = {"ram_style": "huge", "snnforge_host_loaded": 1}


def check_frame_spram(spram, *, buffer_bytes: int) -> bool:
    """``spram`` if it is a bool and the buffer fits one SPRAM, else a one-line
    :class:`ConfigError` naming the option."""
    if not isinstance(spram, bool):
        raise ConfigError(f"frame_spram must be True or False (the host link's frame buffer "
                          f"in an iCE40 SPRAM), got {spram!r}")
    if spram and buffer_bytes > SPRAM_BYTES:
        raise ConfigError(f"frame_spram=True needs a frame buffer of at most {SPRAM_BYTES} "
                          f"bytes (one SPRAM), got buffer_bytes={buffer_bytes}")
    return spram


def frame_info_layout(buffer_bytes: int) -> data.StructLayout:
    """A stored frame: ``end`` (the buffer address of its CRC's first byte: the body's length
    minus 2, the end of seq, op and payload) and ``status`` (8 b, a
    :class:`~snnforge.host.protocol.Status`: OK or the NACK the frame earns)."""
    return data.StructLayout({"end": range(buffer_bytes + 1), "status": 8})



class TxState(enum.Enum, shape=2):
    """States of the frame sequencer."""
    BODY = 0
    CRC_HI = 1
    CRC_LO = 2

class FrameReceiver(wiring.Component):
    """Checks received bodies (``i_data``: :func:`~.slip.checked_byte_layout`) into a
    ``buffer_bytes`` frame buffer (block RAM, or SPRAM with ``spram``).

    At a frame's last byte: fewer than 4 bytes -> dropped; else ``o_frame`` offers
    (length, status) with status NACK_FRAMING (a marked frame, or bytes lost while the buffer
    was owned), NACK_LENGTH (longer than the buffer), NACK_CRC, or OK. ``o_frame`` stays valid
    while the consumer reads the buffer (``rd_addr`` -> ``rd_data`` one clock later); taking it
    releases the buffer. ``i_data`` is always ready: bytes arriving while the buffer is owned
    are dropped (a frame ending then is dropped, one running on is marked).

    ``spram`` (default False): the buffer in the shape ``synth_ice40 -spram`` maps to one
    SB_SPRAM256KA (:data:`SPRAM_ATTRS`; at most :data:`SPRAM_BYTES`): one address, a byte's
    write or else the consumer's read (a buffer is written only while not owned, read only
    while owned); ``o_frame`` is offered one clock after the last byte (the buffer counts as
    owned in that clock too), so the read of ``rd_addr`` in that clock is already the frame's.
    """

    def __init__(self, *, buffer_bytes: int, spram: bool = False):
        if (not isinstance(buffer_bytes, int) or isinstance(buffer_bytes, bool)
                or not BODY_OVERHEAD <= buffer_bytes <= MAX_BUFFER_BYTES):
            raise ConfigError(f"buffer_bytes must be an integer from {BODY_OVERHEAD} to "
                              f"{MAX_BUFFER_BYTES}, got {buffer_bytes!r}")
        self.spram = check_frame_spram(spram, buffer_bytes=buffer_bytes)
        self.buffer_bytes = buffer_bytes
        super().__init__({
            "i_data": In(stream.Signature(checked_byte_layout())),
            "o_frame": Out(stream.Signature(frame_info_layout(buffer_bytes))),
            "rd_addr": In(max(1, ceil_log2(buffer_bytes))),
            "rd_data": Out(8),
        })

    def elaborate(self, platform):
        m = Module()
        n = self.buffer_bytes
        m.submodules.buffer = buf = memory.Memory(
            shape=8, depth=n, init=[], attrs=SPRAM_ATTRS if self.spram else None)
        wr = buf.write_port()
        rd = buf.read_port(transparent_for=())
        m.d.comb += [self.rd_data.eq(rd.data)]
        inp = self.i_data
        count = Signal(range(n + 1))
        room = Signal()           # count < n: the byte has a place in the buffer
        m.d.comb += room.eq(less_than(count, n))
        crc = Signal(16, init=CRC_INIT)
        overflow = Signal()
        lost = Signal()
        # spram: the frame is offered a clock after its last byte is written (``pending``),
        # so the consumer's first address (read while no byte is written) reaches the data
        pending = Signal()
        owned = self.o_frame.valid | pending
        announce = pending if self.spram else self.o_frame.valid
        m.d.comb += [wr.data.eq(inp.payload.data), inp.ready.eq(1)]
        if self.spram:   # one address: a byte's write, else the consumer's read
            addr = Signal.like(count)
            m.d.comb += [addr.eq(Mux(wr.en, count, self.rd_addr)), wr.addr.eq(addr),
                         rd.addr.eq(addr), rd.en.eq(~wr.en)]
            with m.If(pending):
                m.d.sync += [pending.eq(0), self.o_frame.valid.eq(1)]
        else:
            m.d.comb += [wr.addr.eq(count), rd.addr.eq(self.rd_addr), rd.en.eq(1)]
        with m.If(self.o_frame.valid & self.o_frame.ready):
            m.d.sync += self.o_frame.valid.eq(0)
        with m.If(inp.valid):
            with m.If(owned):
                m.d.sync += lost.eq(~inp.payload.last)
                m.d.sync += [count.eq(0), crc.eq(CRC_INIT), overflow.eq(0)]
            with m.Elif(inp.payload.last):
                final = crc16_next(crc, inp.payload.data)
                m.d.comb += wr.en.eq(~overflow & room)
                m.d.sync += [count.eq(0), crc.eq(CRC_INIT), overflow.eq(0), lost.eq(0)]
                # the body's length, count + 1, is at least BODY_OVERHEAD
                with m.If(~less_than(count, BODY_OVERHEAD - 1)):
                    m.d.sync += [announce.eq(1), self.o_frame.payload.end.eq(count - 1)]
                    with m.If(inp.payload.error | lost):
                        m.d.sync += self.o_frame.payload.status.eq(Status.NACK_FRAMING)
                    with m.Elif(overflow | ~room):
                        m.d.sync += self.o_frame.payload.status.eq(Status.NACK_LENGTH)
                    with m.Elif(final != 0):
                        m.d.sync += self.o_frame.payload.status.eq(Status.NACK_CRC)
                    with m.Else():
                        m.d.sync += self.o_frame.payload.status.eq(Status.OK)
            with m.Else():
                with m.If(room):
                    m.d.comb += wr.en.eq(1)
                    m.d.sync += [count.eq(count + 1), crc.eq(crc16_next(crc, inp.payload.data))]
                with m.Else():
                    m.d.sync += overflow.eq(1)
        return m


class FrameTransmitter(wiring.Component):
    """Response bodies without CRC (``i_data``: data + last) -> bodies with their CRC-16
    appended big-endian (``o_data``: data + last, last on the CRC's low byte)."""

    i_data: In(stream.Signature(frame_byte_layout()))
    o_data: Out(stream.Signature(frame_byte_layout()))

    def elaborate(self, platform):
        m = Module()
        inp, out = self.i_data, self.o_data
        crc = Signal(16, init=CRC_INIT)
        state = Signal(TxState, init=TxState.BODY)
        with m.If(state == TxState.BODY):
            m.d.comb += [out.valid.eq(inp.valid), out.payload.data.eq(inp.payload.data),
                         out.payload.last.eq(0), inp.ready.eq(out.ready)]
            with m.If(inp.valid & inp.ready):
                m.d.sync += crc.eq(crc16_next(crc, inp.payload.data))
                with m.If(inp.payload.last):
                    m.d.sync += state.eq(TxState.CRC_HI)
        with m.Elif(state == TxState.CRC_HI):
            m.d.comb += [out.valid.eq(1), out.payload.data.eq(crc[8:])]
            with m.If(out.ready):
                m.d.sync += state.eq(TxState.CRC_LO)
        with m.Elif(state == TxState.CRC_LO):
            m.d.comb += [out.valid.eq(1), out.payload.data.eq(crc[:8]),
                         out.payload.last.eq(1)]
            with m.If(out.ready):
                m.d.sync += crc.eq(CRC_INIT)
                m.d.sync += state.eq(TxState.BODY)
        with m.Else():   # an illegal state returns to BODY
            m.d.sync += state.eq(TxState.BODY)
        return m
