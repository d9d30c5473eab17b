"""Amaranth-simulator tier of the host-link byte primitives against snnforge.host.protocol:
CRC-16 unit, SLIP encoder and decoder, frame receiver (CRC check, short / long / marked
frames) and frame transmitter (CRC append), with random valid gaps and backpressure."""
import random

import pytest
from amaranth.hdl import Value

from snnforge.errors import ConfigError
from snnforge.hdl.host_link import (CRC16, FrameReceiver, FrameTransmitter, SLIPDecoder,
                                    SLIPEncoder)
from snnforge.host import protocol as P
from snnforge.sim.amaranth_stream import simulate

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _stream(dut, items, *, src="i_data", sink="o_data", valid_p=0.7, ready_p=0.5, seed=0,
            cycles=None, on_cycle=None):
    """Offer ``items`` (ints for the payload) on ``src``; collect ``sink`` payload ints."""
    rng = random.Random(seed)
    got = []
    cycles = cycles or 20 * len(items) + 200

    async def tb(ctx):
        q = list(items)
        s_in, s_out = getattr(dut, src), getattr(dut, sink) if sink else None
        offer = None
        for _ in range(cycles):
            if offer is None and q and q[0] is None:   # an idle gap
                q.pop(0)
            elif offer is None and q and rng.random() < valid_p:
                offer = q[0]   # once offered, held until taken (lib.stream rule)
            ctx.set(s_in.valid, offer is not None)
            if offer is not None:
                ctx.set(Value.cast(s_in.payload), offer)
            if s_out is not None and hasattr(s_out, "ready"):
                ctx.set(s_out.ready, rng.random() < ready_p)
            took = offer is not None and (not hasattr(s_in, "ready") or ctx.get(s_in.ready))
            if s_out is not None and ctx.get(s_out.valid) and (
                    not hasattr(s_out, "ready") or ctx.get(s_out.ready)):
                got.append(ctx.get(Value.cast(s_out.payload)))
            if on_cycle is not None:
                on_cycle(ctx)
            await ctx.tick()
            if took:
                q.pop(0)
                offer = None
        assert not q, f"{len(q)} items never taken"

    simulate(dut, tb)
    return got


def test_crc16_unit_matches_golden():
    rng = random.Random(1)
    data = b"123456789" + bytes(rng.randrange(256) for _ in range(100))
    dut = CRC16()
    seen = []
    _stream(dut, list(data), sink=None, valid_p=0.6,
            on_cycle=lambda ctx: seen.append(ctx.get(dut.crc)), cycles=400)
    assert seen[-1] == P.crc16(data)
    assert P.crc16(b"123456789") in seen


def _pack(data, last, error=None):
    return data | (last << 8) | ((error or 0) << 9)


@pytest.mark.parametrize("ready_p", [1.0, 0.3])
def test_slip_encoder_matches_golden(ready_p):
    rng = random.Random(2)
    bodies = [bytes(rng.choice([P.END, P.ESC, rng.randrange(256)])
                    for _ in range(rng.randrange(1, 30))) for _ in range(12)]
    items = [_pack(b, int(i == len(body) - 1)) for body in bodies for i, b in enumerate(body)]
    got = _stream(SLIPEncoder(), items, ready_p=ready_p, seed=3)
    assert bytes(got) == b"".join(P.slip_encode(b) for b in bodies)


def test_slip_decoder_matches_golden_on_random_wire_bytes():
    rng = random.Random(4)
    wire, errors = bytearray(), []
    for _ in range(15):
        body = bytes(rng.choice([P.END, P.ESC, rng.randrange(256)])
                     for _ in range(rng.randrange(0, 20)))
        chunk = P.slip_encode(body) if rng.random() < 0.6 else bytes(
            rng.choice([P.END, P.ESC, P.ESC_END, rng.randrange(256)]) for _ in range(12))
        wire += chunk
        errors += [int(rng.random() < 0.03) for _ in chunk]
    got = _stream(SLIPDecoder(), [b | (e << 8) for b, e in zip(wire, errors)], seed=5)
    frames, cur = [], bytearray()
    for word in got:
        cur.append(word & 0xFF)
        if word >> 8 & 1:
            frames.append((bytes(cur), not word >> 9 & 1))
            cur = bytearray()
    assert not cur
    assert frames == P.SlipDecoder().feed(bytes(wire), errors)


@pytest.mark.parametrize("spram", [False, True])
def test_frame_receiver_checks_crc_length_and_marks(spram):
    n = 24
    good = P.frame_body(9, 3, b"\x01\x02\x03")
    bad = bytearray(good)
    bad[3] ^= 0x40
    frames = [(good, 0), (bytes(bad), 0), (b"\x01\x02", 0), (good, 1),
              (P.frame_body(1, 1, bytes(30)), 0), (good, 0)]
    items = []
    for body, err in frames:
        items += [_pack(b, int(i == len(body) - 1), err if i == len(body) - 1 else 0)
                  for i, b in enumerate(body)] + [None] * 4
    dut = FrameReceiver(buffer_bytes=n, spram=spram)
    got = _stream(dut, items, src="i_data", sink="o_frame", ready_p=1.0, valid_p=0.5, seed=6)
    status = [g >> n.bit_length() for g in got]
    ends = [g & ((1 << n.bit_length()) - 1) for g in got]
    assert status == [P.Status.OK, P.Status.NACK_CRC, P.Status.NACK_FRAMING,
                      P.Status.NACK_LENGTH, P.Status.OK]
    assert ends[0] == ends[-1] == len(good) - 2     # the CRC's address


@pytest.mark.parametrize("spram", [False, True])
def test_frame_receiver_buffer_holds_the_body(spram):
    """Bytes in consecutive clocks; the consumer holds address 0 until the frame is offered
    (as the command decoder does while idle), then reads from its first offered clock on:
    with ``spram`` the frame is offered a clock later, the address shared with the writes."""
    bodies = [P.frame_body(4, 2, bytes(range(10))), P.frame_body(5, 3, bytes(range(50, 57)))]
    dut = FrameReceiver(buffer_bytes=32, spram=spram)
    reads = []

    async def tb(ctx):
        ctx.set(dut.rd_addr, 0)
        for body in bodies:
            read = []
            for i, b in enumerate(body):
                ctx.set(dut.i_data.valid, 1)
                ctx.set(Value.cast(dut.i_data.payload), _pack(b, int(i == len(body) - 1)))
                await ctx.tick()
            ctx.set(dut.i_data.valid, 0)
            if spram:   # offered one clock after the last byte
                assert not ctx.get(dut.o_frame.valid)
                await ctx.tick()
            assert ctx.get(dut.o_frame.valid)
            assert ctx.get(dut.o_frame.payload.end) == len(body) - 2
            read.append(ctx.get(dut.rd_data))     # address 0, set before the frame came
            for addr in range(1, len(body) + 1):
                ctx.set(dut.rd_addr, addr)
                await ctx.tick()
                read.append(ctx.get(dut.rd_data))
            ctx.set(dut.rd_addr, 0)
            ctx.set(dut.o_frame.ready, 1)
            await ctx.tick()
            ctx.set(dut.o_frame.ready, 0)
            assert not ctx.get(dut.o_frame.valid)
            reads.append(bytes(read[:len(body)]))

    simulate(dut, tb)
    assert reads == bodies


def test_frame_transmitter_appends_the_crc():
    rng = random.Random(7)
    bodies = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20))) for _ in range(8)]
    items = [_pack(b, int(i == len(body) - 1)) for body in bodies for i, b in enumerate(body)]
    got = _stream(FrameTransmitter(), items, ready_p=0.5, seed=8)
    assert bytes(g & 0xFF for g in got) == b"".join(
        body + P.crc16(body).to_bytes(2, "big") for body in bodies)
    lasts = [i for i, g in enumerate(got) if g >> 8]
    assert len(lasts) == len(bodies)


def test_frame_receiver_size_is_validated():
    with pytest.raises(ConfigError, match="buffer_bytes"):
        FrameReceiver(buffer_bytes=3)
    with pytest.raises(ConfigError, match="frame_spram"):
        FrameReceiver(buffer_bytes=32, spram=1)
    with pytest.raises(ConfigError, match="frame_spram=True .* 16384"):
        FrameReceiver(buffer_bytes=16385, spram=True)


def test_frame_buffer_spram_shape():
    """The SPRAM buffer carries the attributes Yosys maps to SB_SPRAM256KA and one address
    (the plain one keeps its two)."""
    from amaranth.back import rtlil
    text = rtlil.convert(FrameReceiver(buffer_bytes=64, spram=True))
    assert 'attribute \\ram_style "huge"' in text and "snnforge_host_loaded" in text
    assert "ram_style" not in rtlil.convert(FrameReceiver(buffer_bytes=64))
