"""SLIP framing (RFC 1055) of byte streams: END (0xC0) delimits frames, ESC (0xDB) escapes
END and ESC in the body as ESC 0xDC and ESC 0xDD. Golden:
:func:`snnforge.host.protocol.slip_encode` and :class:`snnforge.host.protocol.SlipDecoder`."""

from amaranth.hdl import Module, Mux, Signal
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.host.protocol import END, ESC, ESC_END, ESC_ESC

from .uart import rx_layout

__all__ = ["SLIPEncoder", "SLIPDecoder", "frame_byte_layout", "checked_byte_layout"]


def frame_byte_layout() -> data.StructLayout:
    """A byte of a frame body: data (8 b), last (1 b: the frame's final byte)."""
    return data.StructLayout({"data": 8, "last": 1})


def checked_byte_layout() -> data.StructLayout:
    """A received body byte: data, last, error (1 b, on the last byte: the frame held a bad
    escape or a byte the UART flagged)."""
    return data.StructLayout({"data": 8, "last": 1, "error": 1})



class EncoderState(enum.Enum, shape=2):
    """States of the slip sequencer."""
    START = 0
    BODY = 1
    ESCAPED = 2
    END = 3

class SLIPEncoder(wiring.Component):
    """Frame bodies (``i_data``: data + last) -> wire bytes (``o_data``): END, the escaped body,
    END. One output byte per clock when not stalled."""

    i_data: In(stream.Signature(frame_byte_layout()))
    o_data: Out(stream.Signature(8))

    def elaborate(self, platform):
        m = Module()
        inp, out = self.i_data, self.o_data
        byte = inp.payload.data
        state = Signal(EncoderState, init=EncoderState.START)
        with m.If(state == EncoderState.START):
            m.d.comb += [out.payload.eq(END), out.valid.eq(inp.valid)]
            with m.If(out.valid & out.ready):
                m.d.sync += state.eq(EncoderState.BODY)
        with m.Elif(state == EncoderState.BODY):
            special = (byte == END) | (byte == ESC)
            m.d.comb += [out.valid.eq(inp.valid),
                         out.payload.eq(Mux(special, ESC, byte)),
                         inp.ready.eq(out.ready & ~special)]
            with m.If(out.valid & out.ready):
                with m.If(special):
                    m.d.sync += state.eq(EncoderState.ESCAPED)
                with m.Elif(inp.payload.last):
                    m.d.sync += state.eq(EncoderState.END)
        with m.Elif(state == EncoderState.ESCAPED):
            m.d.comb += [out.valid.eq(1),
                         out.payload.eq(Mux(byte == END, ESC_END, ESC_ESC)),
                         inp.ready.eq(out.ready)]
            with m.If(out.ready):
                with m.If(inp.payload.last):
                    m.d.sync += state.eq(EncoderState.END)
                with m.Else():
                    m.d.sync += state.eq(EncoderState.BODY)
        with m.Elif(state == EncoderState.END):
            m.d.comb += [out.valid.eq(1), out.payload.eq(END)]
            with m.If(out.ready):
                m.d.sync += state.eq(EncoderState.START)
        with m.Else():   # an illegal state returns to START
            m.d.sync += state.eq(EncoderState.START)
        return m


class SLIPDecoder(wiring.Component):
    """Wire bytes (``i_data``: :func:`snnforge.hdl.host_link.uart.rx_layout`) -> body bytes
    (``o_data``: :func:`checked_byte_layout`).

    One body byte is held back until the next byte or END shows whether it is the last; it
    leaves in the clock that wire byte is taken (``o_data`` is the held byte, valid with the
    wire byte that releases it; ``i_data.ready`` is ``o_data.ready``), so the decoder keeps no
    output register. Empty frames are skipped. A byte with ``error`` set (framing error,
    break) or a bad escape marks the frame: its last byte leaves with ``error`` = 1 (a frame
    whose body is empty and marked leaves nothing).
    """

    i_data: In(stream.Signature(rx_layout()))
    o_data: Out(stream.Signature(checked_byte_layout()))

    def elaborate(self, platform):
        m = Module()
        inp, out = self.i_data, self.o_data
        held = Signal(8)
        have = Signal()      # held is a body byte not yet sent
        escaped = Signal()   # the previous wire byte was ESC
        bad = Signal()       # the current frame is marked
        byte = inp.payload.data
        at_end = byte == END
        value = Signal(8)    # the body byte a data wire byte stands for
        valid_byte = Signal()
        with m.If(escaped):
            with m.If(byte == ESC_END):
                m.d.comb += [value.eq(END), valid_byte.eq(1)]
            with m.Elif(byte == ESC_ESC):
                m.d.comb += [value.eq(ESC), valid_byte.eq(1)]
        with m.Elif(byte != ESC):
            m.d.comb += [value.eq(byte), valid_byte.eq(1)]
        # the held byte leaves with the wire byte that shows whether it is the last
        m.d.comb += [inp.ready.eq(out.ready),
                     out.valid.eq(inp.valid & ~inp.payload.error & have
                                  & (at_end | valid_byte)),
                     out.payload.data.eq(held), out.payload.last.eq(at_end),
                     out.payload.error.eq(at_end & bad)]
        with m.If(inp.valid & inp.ready):
            with m.If(inp.payload.error):
                m.d.sync += [bad.eq(1), escaped.eq(0)]
            with m.Elif(at_end):
                m.d.sync += [have.eq(0), escaped.eq(0), bad.eq(0)]
            with m.Else():
                m.d.sync += escaped.eq(~escaped & (byte == ESC))
                with m.If(escaped & ~valid_byte):
                    m.d.sync += bad.eq(1)
                with m.If(valid_byte):
                    m.d.sync += [held.eq(value), have.eq(1)]
        return m
