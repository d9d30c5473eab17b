"""Host-link promises that no other test pinned down, each found by a surviving mutant of
benchmarks/mutation.py (named in each test): the CRC unit's ``zero`` flag and its clear
priority, a minimum-length frame, a frame that lost bytes while the buffer was owned, and the
UART receiver's majority vote against a one-clock glitch."""
import pytest
from amaranth.hdl import Value

from snnforge.hdl.host_link import CRC16, FrameReceiver
from snnforge.hdl.host_link.crc import CRC_INIT
from snnforge.hdl.host_link.uart import UARTRx
from snnforge.host import protocol as P
from snnforge.sim.amaranth_stream import simulate

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def test_crc_zero_flag_marks_a_body_with_its_crc():
    """Mutant crc_zero_flag: ``zero`` must be 1 exactly when the running CRC is 0."""
    dut = CRC16()
    body = P.frame_body(7, 2, b"\x10\x20\x30")     # payload + CRC big-endian: checks to 0
    flags = []

    async def tb(ctx):
        for byte in body:
            flags.append((ctx.get(dut.crc), ctx.get(dut.zero)))
            ctx.set(dut.i_data.valid, 1)
            ctx.set(dut.i_data.payload, byte)
            await ctx.tick()
        ctx.set(dut.i_data.valid, 0)
        flags.append((ctx.get(dut.crc), ctx.get(dut.zero)))

    simulate(dut, tb)
    assert flags[-1] == (0, 1), "a body with its CRC appended must check to zero"
    assert all(z == int(c == 0) for c, z in flags)
    assert not any(z for _, z in flags[:-1])


def test_crc_clear_wins_over_a_byte_in_the_same_cycle():
    """Mutant crc_clear_priority: the documented priority of ``clear`` over a byte."""
    dut = CRC16()
    seen = []

    async def tb(ctx):
        ctx.set(dut.i_data.valid, 1)
        ctx.set(dut.i_data.payload, 0x31)
        await ctx.tick()
        assert ctx.get(dut.crc) == P.crc16(b"1")
        ctx.set(dut.clear, 1)
        ctx.set(dut.i_data.payload, 0x32)
        await ctx.tick()
        seen.append(ctx.get(dut.crc))

    simulate(dut, tb)
    assert seen == [CRC_INIT]


def _receiver_run(dut, schedule):
    """Drive ``schedule``: per cycle (byte item or None, o_frame.ready); collect o_frame
    transfers as (end, status): end is the CRC's address, the body's length - 2."""
    n = dut.buffer_bytes
    got = []

    async def tb(ctx):
        for item, ready in schedule:   # a fixed number of cycles: cannot hang
            ctx.set(dut.i_data.valid, item is not None)
            if item is not None:
                ctx.set(Value.cast(dut.i_data.payload), item)
            ctx.set(dut.o_frame.ready, ready)
            if ctx.get(dut.o_frame.valid) and ready:
                word = ctx.get(Value.cast(dut.o_frame.payload))
                got.append((word & ((1 << n.bit_length()) - 1), word >> n.bit_length()))
            await ctx.tick()

    simulate(dut, tb)
    return got


def _bytes(body, *, error=0):
    return [b | (int(i == len(body) - 1) << 8) | ((error if i == len(body) - 1 else 0) << 9)
            for i, b in enumerate(body)]


def test_minimum_length_frame_is_accepted():
    """Mutant frame_min_length: a body of exactly BODY_OVERHEAD bytes (seq, op, CRC) is a
    frame (an empty payload), not dropped."""
    dut = FrameReceiver(buffer_bytes=16)
    body = P.frame_body(3, 9)
    assert len(body) == P.BODY_OVERHEAD
    schedule = [(b, 1) for b in _bytes(body)] + [(None, 1)] * 4
    assert _receiver_run(dut, schedule) == [(2, P.Status.OK)]


def test_frame_that_lost_bytes_while_the_buffer_was_owned_is_a_framing_nack():
    """Mutant frame_lost_ignored: bytes of a frame that arrive while the previous frame still
    owns the buffer are dropped and the frame, running on, is marked NACK_FRAMING (not judged
    by its CRC)."""
    dut = FrameReceiver(buffer_bytes=16)
    first = P.frame_body(1, 2, b"\x05")
    second = P.frame_body(2, 2, b"\x06\x07\x08")
    b2 = _bytes(second)
    schedule = ([(b, 0) for b in _bytes(first)] + [(None, 0)] * 2   # first frame held
                + [(b, 0) for b in b2[:2]]                         # lost while owned
                + [(None, 1)]                                      # first frame taken
                + [(b, 0) for b in b2[2:]] + [(None, 0)] * 2 + [(None, 1)] * 2)
    got = _receiver_run(dut, schedule)
    assert got[0] == (len(first) - 2, P.Status.OK)
    assert [s for _, s in got[1:]] == [P.Status.NACK_FRAMING]


@pytest.mark.parametrize("offset", range(-3, 4))
def test_uart_receiver_majority_vote_ignores_a_one_clock_glitch(offset):
    """Mutant uart_rx_vote: each bit is the majority of three samples around its middle, so a
    one-clock low glitch near the middle of a 1 bit does not change the byte."""
    d = 8
    line = [1] * (2 * d) + [0] * d + [1] * (8 * d) + [1] * d + [1] * (3 * d)
    bit3_mid = 2 * d + d + 3 * d + d // 2
    line[bit3_mid + offset] = 0
    dut = UARTRx(divisor=d)
    got = []

    async def tb(ctx):
        ctx.set(dut.o_data.ready, 1)
        for level in line:
            ctx.set(dut.rx, level)
            if ctx.get(dut.o_data.valid):
                got.append(ctx.get(Value.cast(dut.o_data.payload)))
            await ctx.tick()

    simulate(dut, tb)
    assert got == [0xFF], f"glitch at bit-3 middle {offset:+d}: received {got}"
