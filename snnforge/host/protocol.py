"""The host-link wire format (golden reference of :mod:`snnforge.hdl.host_link`).

Layers, from the wire up (docs/host_link.md has the tables):

* UART 8N1, LSB first.
* SLIP framing (RFC 1055): a frame is ``END body' END``; in the body ``END`` (0xC0) becomes
  ``ESC ESC_END`` (0xDB 0xDC) and ``ESC`` (0xDB) becomes ``ESC ESC_ESC`` (0xDB 0xDD).
* Frame body: ``seq`` (1 B), ``op`` (1 B), payload (0..n B), CRC-16/CCITT-FALSE of everything
  before it, big-endian (2 B). The CRC over a whole good body is 0.
* Host -> board: ``op`` is the command. Board -> host: ``op`` is the status, the byte after it
  echoes the command, then the response payload.

Multi-byte payload integers are little-endian; weights are signed, ``ceil(weight_bits / 8)``
bytes each. The link is stop-and-wait: the host sends one frame and waits for its response.
"""
from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass

from snnforge.errors import SnnforgeError

__all__ = ["PROTOCOL_VERSION", "END", "ESC", "ESC_END", "ESC_ESC", "Command", "Status",
           "crc16", "slip_encode", "SlipDecoder", "frame_body", "check_body", "encode_frame",
           "Response", "parse_response", "identify", "write_weights", "read_weights", "sample",
           "read_counters", "reset", "sparse_pixels", "Identity", "parse_identity",
           "Counters", "parse_counters", "parse_weights", "ProtocolError", "weight_bytes",
           "config_hash", "W1_HOST_LOADED", "W1_READY"]

PROTOCOL_VERSION = 2
END, ESC, ESC_END, ESC_ESC = 0xC0, 0xDB, 0xDC, 0xDD
#: bytes of a body around the payload: seq, op, CRC (2)
BODY_OVERHEAD = 4


class ProtocolError(SnnforgeError):
    """A malformed frame or response."""


class Command(enum.IntEnum):
    """Host -> board command codes (the ``op`` byte of a request)."""
    IDENTIFY = 0x01
    WRITE_WEIGHTS = 0x02
    READ_WEIGHTS = 0x03
    TRAIN = 0x04
    EVALUATE = 0x05
    READ_COUNTERS = 0x06
    RESET = 0x07


class Status(enum.IntEnum):
    """Board -> host status codes (the ``op`` byte of a response). 0x00 is the ACK."""
    OK = 0x00
    DUPLICATE = 0x01      # seq equals the last executed frame's: not executed again
    NACK_CRC = 0x80       # CRC mismatch
    NACK_FRAMING = 0x81   # UART framing error, bad SLIP escape or receiver overrun in the frame
    NACK_LENGTH = 0x82    # body longer than the frame buffer
    NACK_SEQUENCE = 0x83  # seq is neither the expected one nor the last executed one
    NACK_COMMAND = 0x84   # unknown command
    NACK_PAYLOAD = 0x85   # payload length or content invalid for the command
    NACK_W1_EMPTY = 0x86  # TRAIN / EVALUATE on a host-loaded W1 not yet written


def crc16(data: bytes | bytearray, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, not reflected, no final XOR.
    ``crc16(b"123456789") == 0x29B1``."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def crc16_step(crc: int, byte: int) -> int:
    """One byte of :func:`crc16` (the gateware's per-cycle step)."""
    return crc16(bytes([byte]), crc)


def slip_encode(body: bytes) -> bytes:
    """``END + escaped body + END``."""
    out = bytearray([END])
    for b in body:
        if b == END:
            out += bytes([ESC, ESC_END])
        elif b == ESC:
            out += bytes([ESC, ESC_ESC])
        else:
            out.append(b)
    out.append(END)
    return bytes(out)


class SlipDecoder:
    """Incremental SLIP decoder. :meth:`feed` returns the frames completed by ``data`` as
    ``(body, ok)``: ``ok`` is False when the frame held a bad escape (``ESC`` followed by
    neither ``ESC_END`` nor ``ESC_ESC``) or a byte marked bad by the UART. Empty frames
    (``END END``) are skipped."""

    def __init__(self):
        self._buf = bytearray()
        self._esc = False
        self._bad = False

    def feed(self, data: bytes, errors=None) -> list[tuple[bytes, bool]]:
        frames = []
        for i, b in enumerate(data):
            if errors is not None and errors[i]:
                self._bad = True
                self._esc = False
                continue
            if b == END:
                if self._buf or self._bad:
                    if self._buf:
                        frames.append((bytes(self._buf), not self._bad))
                self._buf, self._esc, self._bad = bytearray(), False, False
            elif self._esc:
                self._esc = False
                if b == ESC_END:
                    self._buf.append(END)
                elif b == ESC_ESC:
                    self._buf.append(ESC)
                else:
                    self._bad = True
            elif b == ESC:
                self._esc = True
            else:
                self._buf.append(b)
        return frames


def frame_body(seq: int, op: int, payload: bytes = b"") -> bytes:
    """``seq, op, payload, CRC16 (big-endian)``."""
    if not 0 <= seq <= 255 or not 0 <= op <= 255:
        raise ProtocolError(f"seq and op are bytes, got seq={seq} op={op}")
    head = bytes([seq, op]) + bytes(payload)
    return head + crc16(head).to_bytes(2, "big")


def check_body(body: bytes) -> bool:
    """True when ``body`` is at least 4 bytes and its CRC residue is 0."""
    return len(body) >= BODY_OVERHEAD and crc16(body) == 0


def encode_frame(seq: int, op: int, payload: bytes = b"") -> bytes:
    """The bytes on the wire for one frame."""
    return slip_encode(frame_body(seq, op, payload))


def weight_bytes(weight_bits: int) -> int:
    """Bytes per weight on the wire."""
    return (weight_bits + 7) // 8


# --- command builders: each returns (op, payload) ---------------------------------------
def identify() -> tuple[int, bytes]:
    return Command.IDENTIFY, b""


def read_counters() -> tuple[int, bytes]:
    return Command.READ_COUNTERS, b""


def reset() -> tuple[int, bytes]:
    return Command.RESET, b""


def read_weights(layer: int, row: int) -> tuple[int, bytes]:
    """Read one pre row (``row`` = n_in or n_hidden is the bias row) of W1 (0) or W2 (1)."""
    return Command.READ_WEIGHTS, bytes([layer]) + row.to_bytes(2, "little")


def write_weights(layer: int, row: int, weights, *, weight_bits: int) -> tuple[int, bytes]:
    """Write one pre row: ``weights`` is the row's n_hidden (W1) or n_out (W2) values."""
    nb = weight_bytes(weight_bits)
    out = bytearray([layer]) + row.to_bytes(2, "little")
    for w in weights:
        out += int(w).to_bytes(nb, "little", signed=True)
    return Command.WRITE_WEIGHTS, bytes(out)


def sparse_pixels(pixels) -> list[tuple[int, int]]:
    """The ``(index, value)`` pairs of the non-zero pixels, ascending index."""
    return [(i, int(v)) for i, v in enumerate(pixels) if int(v)]


def sample(pixels, *, label: int, key: int, learn: bool) -> tuple[int, bytes]:
    """TRAIN (``learn``) or EVALUATE one sample: label (1 B), sample key (4 B), then one
    ``index (2 B), value (1 B)`` pair per non-zero pixel in ascending index."""
    out = bytearray([label]) + int(key).to_bytes(4, "little")
    for i, v in sparse_pixels(pixels):
        out += i.to_bytes(2, "little") + bytes([v])
    return (Command.TRAIN if learn else Command.EVALUATE), bytes(out)


# --- responses ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Response:
    seq: int
    status: int
    command: int
    payload: bytes


def parse_response(body: bytes) -> Response:
    """A checked response body -> :class:`Response`; :class:`ProtocolError` when malformed."""
    if not check_body(body) or len(body) < 5:
        raise ProtocolError(f"bad response frame ({len(body)} bytes, CRC residue "
                            f"0x{crc16(body):04x})")
    return Response(body[0], body[1], body[2], bytes(body[3:-2]))


IDENTITY_BYTES = 15
#: IDENTIFY ``flags`` bits: W1 has no contents of its own (the host writes it: ``w1_spram``)
W1_HOST_LOADED = 0x01
#: IDENTIFY ``flags`` bits: W1 holds weights (always, unless host-loaded: then once every W1
#: row, 0 to the bias row, was written in ascending order since configuration or reset)
W1_READY = 0x02


@dataclass(frozen=True)
class Identity:
    """IDENTIFY payload: version (1 B), config_hash (4 B), n_in, n_hidden, n_out (2 B each),
    weight_bits (1 B), buffer_bytes (2 B: the longest frame body the board accepts), flags
    (1 B: :data:`W1_HOST_LOADED`, :data:`W1_READY`)."""
    version: int
    config_hash: int
    n_in: int
    n_hidden: int
    n_out: int
    weight_bits: int
    buffer_bytes: int
    flags: int = W1_READY

    @property
    def w1_host_loaded(self) -> bool:
        """W1 has no contents of its own: the host writes it before the first sample."""
        return bool(self.flags & W1_HOST_LOADED)

    @property
    def w1_ready(self) -> bool:
        """W1 holds weights (the board takes TRAIN and EVALUATE)."""
        return bool(self.flags & W1_READY)

    def to_bytes(self) -> bytes:
        return (bytes([self.version]) + self.config_hash.to_bytes(4, "little")
                + b"".join(v.to_bytes(2, "little") for v in (self.n_in, self.n_hidden, self.n_out))
                + bytes([self.weight_bits]) + self.buffer_bytes.to_bytes(2, "little")
                + bytes([self.flags]))


def parse_identity(payload: bytes) -> Identity:
    if len(payload) != IDENTITY_BYTES:
        raise ProtocolError(f"IDENTIFY payload is {IDENTITY_BYTES} bytes, got {len(payload)} "
                            f"(a board of another protocol version?)")
    u16 = [int.from_bytes(payload[i:i + 2], "little") for i in (5, 7, 9, 12)]
    return Identity(payload[0], int.from_bytes(payload[1:5], "little"), u16[0], u16[1], u16[2],
                    payload[11], u16[3], payload[14])


COUNTER_BYTES = (4, 4, 6)


@dataclass(frozen=True)
class Counters:
    """READ_COUNTERS payload: samples (4 B), errors (4 B: winner != label), cycles (6 B: clock
    cycles from a sample's first pixel beat to its result, summed)."""
    samples: int
    errors: int
    cycles: int


def parse_counters(payload: bytes) -> Counters:
    if len(payload) != sum(COUNTER_BYTES):
        raise ProtocolError(f"READ_COUNTERS payload is {sum(COUNTER_BYTES)} bytes, "
                            f"got {len(payload)}")
    return Counters(int.from_bytes(payload[0:4], "little"), int.from_bytes(payload[4:8], "little"),
                    int.from_bytes(payload[8:14], "little"))


def parse_weights(payload: bytes, *, weight_bits: int) -> list[int]:
    """READ_WEIGHTS payload -> the row's signed weights."""
    nb = weight_bytes(weight_bits)
    if len(payload) % nb:
        raise ProtocolError(f"READ_WEIGHTS payload of {len(payload)} bytes is not whole weights")
    return [int.from_bytes(payload[i:i + nb], "little", signed=True)
            for i in range(0, len(payload), nb)]


def config_hash(config) -> int:
    """The 32-bit configuration hash IDENTIFY reports for a network configuration (an
    ``SSNNConfig``): the first 4 bytes (big-endian) of the SHA-256 of its fields as sorted
    JSON. Every field is in it: a board whose hash differs computes other bits."""
    text = json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")
