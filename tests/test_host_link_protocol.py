"""The host-link wire format reference (snnforge.host.protocol) and the golden engine."""
import random

import pytest

from snnforge.errors import ConfigError
from snnforge.hdl.host_link import uart_divisor
from snnforge.host import protocol as P
from snnforge.host.engine import ProtocolEngineModel, StandInNetwork


def test_crc16_ccitt_false_check_value_and_residue():
    assert P.crc16(b"123456789") == 0x29B1
    assert P.crc16(b"") == 0xFFFF
    body = P.frame_body(7, 1, b"abc")
    assert P.crc16(body) == 0 and P.check_body(body)
    assert not P.check_body(body[:-1] + bytes([body[-1] ^ 1]))


def test_slip_round_trip_of_random_bodies():
    rng = random.Random(5)
    bodies = [bytes(rng.choice([P.END, P.ESC, P.ESC_END, rng.randrange(256)])
                    for _ in range(rng.randrange(1, 60))) for _ in range(50)]
    wire = b"".join(P.slip_encode(b) for b in bodies)
    assert P.END not in P.slip_encode(b"\xc0\xdb")[1:-1]
    assert P.SlipDecoder().feed(wire) == [(b, True) for b in bodies]
    # fed one byte at a time, the decoder gives the same frames
    dec = P.SlipDecoder()
    assert [f for i in range(len(wire)) for f in dec.feed(wire[i:i + 1])] == \
        [(b, True) for b in bodies]


def test_slip_decoder_marks_bad_escapes_and_uart_errors():
    assert P.SlipDecoder().feed(bytes([P.END, 1, P.ESC, 7, 2, P.END])) == [(b"\x01\x02", False)]
    assert P.SlipDecoder().feed(bytes([1, 2, 3, P.END]), [0, 1, 0, 0]) == [(b"\x01\x03", False)]
    assert P.SlipDecoder().feed(bytes([P.END, P.END, P.END])) == []


def test_command_builders_and_parsers():
    op, payload = P.sample([0, 5, 0, 0, 200], label=2, key=0x01020304, learn=True)
    assert op == P.Command.TRAIN
    assert payload == bytes([2, 4, 3, 2, 1, 1, 0, 5, 4, 0, 200])
    op, payload = P.write_weights(1, 300, [-1, 2], weight_bits=12)
    assert payload == bytes([1, 44, 1, 0xFF, 0xFF, 2, 0])
    assert P.parse_weights(payload[3:], weight_bits=12) == [-1, 2]
    ident = P.Identity(1, 0xDEADBEEF, 784, 128, 10, 8, 2361)
    assert P.parse_identity(ident.to_bytes()) == ident
    with pytest.raises(P.ProtocolError):
        P.parse_response(b"\x00\x01\x02")


def test_golden_engine_sequence_rules():
    sizes = dict(n_in=4, n_hidden=2, n_out=2, weight_bits=8)
    model = ProtocolEngineModel(StandInNetwork(**sizes), **sizes, config_hash=1, buffer_bytes=64)
    r = [P.parse_response(b) for b in model.feed(
        P.encode_frame(3, *P.identify()) + P.encode_frame(0, *P.identify())
        + P.encode_frame(0, *P.identify()) + P.encode_frame(1, *P.read_counters()))]
    assert [x.status for x in r] == [P.Status.NACK_SEQUENCE, P.Status.OK, P.Status.DUPLICATE,
                                     P.Status.OK]
    assert r[0].payload == b"\x00"  # the expected seq


def test_uart_divisor_is_validated_against_the_clock():
    assert uart_divisor(clk_freq=12e6, baud=3e6) == 4
    assert uart_divisor(clk_freq=12e6, baud=115200) == 104
    with pytest.raises(ConfigError, match="too fast"):
        uart_divisor(clk_freq=12e6, baud=6e6)
    with pytest.raises(ConfigError, match="not reachable"):
        uart_divisor(clk_freq=12e6, baud=1.3e6)
