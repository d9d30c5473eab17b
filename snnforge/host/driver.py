"""Host driver of a board that runs the host-link protocol (docs/board_host.md, docs/host_link.md).

:class:`BoardClient` sends one frame at a time over a :class:`~snnforge.host.transport.Transport`
and waits for its response (stop-and-wait): sequence numbers, CRC, retransmission on a NACK of
the frame's bytes (CRC, framing) or on a time-out, resynchronisation on NACK_SEQUENCE, and
DUPLICATE handling (a retransmitted frame the board had already executed is not executed
again). Errors a user can fix are one-line :class:`~snnforge.errors.SnnforgeError` subclasses.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from snnforge.errors import ConfigError, SnnforgeError

from . import protocol as P
from .protocol import Command, Identity, Status

__all__ = ["BoardClient", "BoardError", "BoardNotAnswering", "ConfigHashMismatch",
           "BoardRejected", "W1NotLoaded", "LinkStats", "IDEMPOTENT"]

#: commands whose repetition changes nothing: after DUPLICATE they are sent again with a new seq
IDEMPOTENT = frozenset({Command.IDENTIFY, Command.READ_WEIGHTS, Command.READ_COUNTERS,
                        Command.EVALUATE})
_RETRANSMIT = frozenset({Status.NACK_CRC, Status.NACK_FRAMING})


class BoardError(SnnforgeError):
    """The board or the link misbehaves."""


class BoardNotAnswering(BoardError):
    """No valid response after every retry."""


class ConfigHashMismatch(BoardError):
    """The board was built for another network configuration."""


class BoardRejected(BoardError):
    """The board answered a frame with a NACK that a retransmission cannot cure."""


class W1NotLoaded(BoardError):
    """A sample for a board whose host-loaded W1 (``w1_spram``) has not been written."""


@dataclass
class LinkStats:
    """What the link did: frames sent (first transmissions), retransmissions, time-outs,
    corrupt responses, NACKs by status name, DUPLICATE answers, resynchronisations, bytes."""
    frames: int = 0
    retransmissions: int = 0
    timeouts: int = 0
    bad_responses: int = 0
    duplicates: int = 0
    resyncs: int = 0
    nacks: dict = field(default_factory=dict)
    bytes_sent: int = 0
    bytes_received: int = 0

    def as_dict(self) -> dict:
        return {"frames": self.frames, "retransmissions": self.retransmissions,
                "timeouts": self.timeouts, "bad_responses": self.bad_responses,
                "duplicates": self.duplicates, "resyncs": self.resyncs, "nacks": dict(self.nacks),
                "bytes_sent": self.bytes_sent, "bytes_received": self.bytes_received}


class BoardClient:
    """Talk to a board over ``transport``.

    ``timeout``: seconds to wait for a response before retransmitting; ``retries``: how many
    retransmissions of one frame before :class:`BoardNotAnswering`. :meth:`identify` (called
    by :meth:`connect`) learns the board's sizes and synchronises the sequence number.
    """

    def __init__(self, transport, *, timeout: float = 1.0, retries: int = 5):
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ConfigError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise ConfigError(f"retries must be an integer >= 0, got {retries!r}")
        self.transport, self.timeout, self.retries = transport, float(timeout), retries
        self.seq = 0
        self.identity: Identity | None = None
        self.stats = LinkStats()
        self._slip = P.SlipDecoder()
        self._pending: list[bytes] = []

    # ------------------------------------------------------------------ link layer
    def _receive(self, deadline: float) -> P.Response | None | bool:
        """The next response frame before ``deadline``: a Response, False for a corrupt
        frame, None on time-out."""
        while True:
            if self._pending:
                body = self._pending.pop(0)
                try:
                    return P.parse_response(body)
                except P.ProtocolError:
                    self.stats.bad_responses += 1
                    return False
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            data = self.transport.read(4096, left)
            if not data:
                if time.monotonic() >= deadline:
                    return None
                continue
            self.stats.bytes_received += len(data)
            for body, ok in self._slip.feed(data):
                if ok:
                    self._pending.append(body)
                else:
                    self.stats.bad_responses += 1

    def _nack(self, status: int) -> None:
        name = Status(status).name if status in Status._value2member_map_ else f"0x{status:02x}"
        self.stats.nacks[name] = self.stats.nacks.get(name, 0) + 1

    def request(self, op: int, payload: bytes = b"") -> bytes | None:
        """Send one command and return its OK payload (after the echoed command byte), or None
        when the board answered DUPLICATE to a retransmission of a non-idempotent command
        (it had executed the frame; its first answer was lost)."""
        op = Command(op)
        if self.identity is not None and len(payload) + P.BODY_OVERHEAD > self.identity.buffer_bytes:
            raise BoardRejected(
                f"{op.name} frame of {len(payload) + P.BODY_OVERHEAD} bytes is longer than the "
                f"board's {self.identity.buffer_bytes}-byte frame buffer")
        self.stats.frames += 1
        attempts = resyncs = 0
        frame = P.encode_frame(self.seq, op, payload)
        while True:
            self.transport.write(frame)
            self.stats.bytes_sent += len(frame)
            resp = self._await(op)
            if resp is None or resp is False:
                if resp is None:
                    self.stats.timeouts += 1
            elif resp.status == Status.OK:
                self.seq = (self.seq + 1) & 0xFF
                return resp.payload
            elif resp.status == Status.DUPLICATE:
                self.stats.duplicates += 1
                self.seq = (self.seq + 1) & 0xFF
                if op not in IDEMPOTENT:
                    return None
                frame = P.encode_frame(self.seq, op, payload)
                continue
            elif resp.status == Status.NACK_SEQUENCE and len(resp.payload) == 1:
                self._nack(resp.status)
                resyncs += 1
                if resyncs > 2:
                    raise BoardError(f"the board on {self.transport.description} keeps "
                                     f"rejecting sequence numbers; reset or re-program it")
                self.stats.resyncs += 1
                self.seq = resp.payload[0]
                frame = P.encode_frame(self.seq, op, payload)
                continue
            elif resp.status in _RETRANSMIT:
                self._nack(resp.status)
            else:
                self._nack(resp.status)
                raise BoardRejected(self._rejection(op, resp.status, payload))
            attempts += 1
            if attempts > self.retries:
                raise BoardNotAnswering(
                    f"the board on {self.transport.description} does not answer {op.name} "
                    f"({self.retries + 1} tries, {self.timeout:g} s each): check that the "
                    f"bitstream is loaded, the port is the board's UART and the baud rate "
                    f"matches the build (--baud)")
            self.stats.retransmissions += 1

    def _await(self, op: int):
        """The response to the frame just sent (stale answers to earlier frames skipped)."""
        deadline = time.monotonic() + self.timeout
        while True:
            resp = self._receive(deadline)
            if resp is None or resp is False:
                return resp
            if resp.status in (Status.OK, Status.DUPLICATE, Status.NACK_SEQUENCE,
                               Status.NACK_COMMAND, Status.NACK_PAYLOAD):
                if resp.seq != self.seq or resp.command != op:
                    continue  # the late answer to an earlier frame
            return resp

    def _rejection(self, op, status: int, payload: bytes) -> str:
        name = Status(status).name if status in Status._value2member_map_ else f"0x{status:02x}"
        why = {Status.NACK_LENGTH: "the frame is longer than the board's buffer",
               Status.NACK_COMMAND: "the board does not know the command (protocol version?)",
               Status.NACK_PAYLOAD: "the payload does not fit the board's network sizes",
               Status.NACK_W1_EMPTY: "its W1 is host-loaded and not written yet (write every "
                                     "W1 row first)"}
        return (f"the board on {self.transport.description} rejected {op.name} with {name}: "
                f"{why.get(status, 'unexpected status')}")

    # ------------------------------------------------------------------- commands
    def identify(self) -> Identity:
        payload = self.request(Command.IDENTIFY)
        if payload and payload[0] != P.PROTOCOL_VERSION:
            raise BoardError(f"the board on {self.transport.description} speaks protocol "
                             f"version {payload[0]}; this host speaks "
                             f"{P.PROTOCOL_VERSION}: update snnforge or the bitstream")
        self.identity = P.parse_identity(payload)
        return self.identity

    def connect(self, config=None) -> Identity:
        """IDENTIFY, then (``config`` given) :meth:`check_config`."""
        ident = self.identify()
        if config is not None:
            self.check_config(config)
        return ident

    def check_config(self, config) -> None:
        """:class:`ConfigHashMismatch` unless the board was built for ``config``."""
        ident = self.identity or self.identify()
        want = P.config_hash(config)
        if ident.config_hash != want:
            raise ConfigHashMismatch(
                f"the board on {self.transport.description} was built for configuration hash "
                f"0x{ident.config_hash:08x} ({ident.n_in}-{ident.n_hidden}-{ident.n_out}, "
                f"{ident.weight_bits}-bit weights) but this run's configuration hashes to "
                f"0x{want:08x}: program the bitstream `snnforge board build` makes for these "
                f"network options, or give the options the board was built with")

    def _need_identity(self) -> Identity:
        return self.identity or self.identify()

    def require_w1(self) -> None:
        """:class:`W1NotLoaded` unless the board's W1 holds weights (asked again when the
        last IDENTIFY said it did not: rows may have been written since)."""
        ident = self._need_identity()
        if ident.w1_host_loaded and not ident.w1_ready:
            ident = self.identify()
        if not ident.w1_ready:
            raise W1NotLoaded(
                f"the board on {self.transport.description} keeps W1 in memory without "
                f"contents of its own (built with --w1-spram) and its W1 has not been written "
                f"since configuration or reset: write every W1 row before the first sample "
                f"(`snnforge board train` writes the golden model's initial weights unless "
                f"--keep-weights; BoardClient.write_weights)")

    @property
    def w1_ready(self) -> bool:
        """The board's W1 holds weights (always, unless it is host-loaded and unwritten)."""
        return self._need_identity().w1_ready

    def reset(self) -> None:
        """Clear the board's counters (RESET); the weights stay."""
        self.request(Command.RESET)

    def read_counters(self) -> P.Counters:
        return P.parse_counters(self.request(Command.READ_COUNTERS))

    def read_row(self, layer: int, row: int) -> list[int]:
        ident = self._need_identity()
        values = P.parse_weights(self.request(*P.read_weights(layer, row)),
                                 weight_bits=ident.weight_bits)
        lanes = ident.n_hidden if layer == 0 else ident.n_out
        if len(values) != lanes:
            raise BoardError(f"READ_WEIGHTS of layer {layer} row {row} returned {len(values)} "
                             f"weights, expected {lanes}")
        return values

    def read_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """(W1 (n_in + 1, n_hidden), W2 (n_hidden + 1, n_out)) int64, last row = bias."""
        ident = self._need_identity()
        w1 = np.array([self.read_row(0, r) for r in range(ident.n_in + 1)], dtype=np.int64)
        w2 = np.array([self.read_row(1, r) for r in range(ident.n_hidden + 1)], dtype=np.int64)
        return w1, w2

    def write_weights(self, w1, w2) -> None:
        """Write the whole network (shapes as :meth:`read_weights`)."""
        ident = self._need_identity()
        half = 1 << (ident.weight_bits - 1)
        for layer, w, shape in ((0, w1, (ident.n_in + 1, ident.n_hidden)),
                                (1, w2, (ident.n_hidden + 1, ident.n_out))):
            w = np.asarray(w, dtype=np.int64)
            if w.shape != shape:
                raise ConfigError(f"W{layer + 1} must have shape {shape} (pre + bias, post) for "
                                  f"the board's network, got {w.shape}")
            if w.size and (w.min() < -half or w.max() >= half):
                raise ConfigError(f"W{layer + 1} holds values outside the board's "
                                  f"{ident.weight_bits}-bit weight range")
            for r in range(shape[0]):
                self.request(*P.write_weights(layer, r, w[r].tolist(),
                                              weight_bits=ident.weight_bits))
        if ident.w1_host_loaded:   # the board now reports W1 ready
            if not self.identify().w1_ready:
                raise BoardError(f"the board on {self.transport.description} took every W1 row "
                                 f"but does not report its host-loaded W1 ready")

    def _sample(self, pixels, label: int, key: int, learn: bool) -> int | None:
        ident = self._need_identity()
        px = np.asarray(pixels).reshape(-1)
        if px.size != ident.n_in or px.dtype != np.uint8:
            raise ConfigError(f"a sample is {ident.n_in} uint8 pixels for this board, got "
                              f"{px.size} of {px.dtype}")
        if not 0 <= int(label) < ident.n_out:
            raise ConfigError(f"label {label} is outside 0..{ident.n_out - 1}")
        if not 0 <= int(key) < 1 << 32:
            raise ConfigError(f"sample key {key} does not fit 32 bits")
        self.require_w1()
        reply = self.request(*P.sample(px.tolist(), label=int(label), key=int(key), learn=learn))
        if reply is None:
            return None
        if len(reply) != 1:
            raise BoardError(f"{'TRAIN' if learn else 'EVALUATE'} answered {len(reply)} "
                             f"bytes, expected the winner (1 byte)")
        return reply[0]

    def train(self, pixels, label: int, key: int) -> int | None:
        """Train one sample (sample key ``key``, as ``BitTrueSSNN.train``'s ``first_sample +
        position``); the board's prediction, or None when its answer was lost and the
        retransmission came back DUPLICATE (the sample was trained once)."""
        return self._sample(pixels, label, key, True)

    def evaluate(self, pixels, label: int, key: int) -> int:
        """Classify one sample without learning (key = its position in the test set, as
        ``BitTrueSSNN.evaluate``)."""
        return self._sample(pixels, label, key, False)
