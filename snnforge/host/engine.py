"""Frame-level reference of the board's protocol engine (frame receiver + command decoder of
:mod:`snnforge.hdl.host_link`): wire bytes in, response frames and network actions out.

The network is any object with ``sample(pixels, *, label, learn, key) -> winner``,
``read(layer, row) -> list of weights`` (the layer's width), ``write(layer, row, weights)``
and ``reset()``. The cycle counter is the gateware's measurement, so the model leaves it to
the caller (``cycles`` is returned as given by ``cycle_source``).
"""
from __future__ import annotations

import dataclasses

from .protocol import (BODY_OVERHEAD, COUNTER_BYTES, PROTOCOL_VERSION, W1_HOST_LOADED, W1_READY,
                       Command, Identity, Status, SlipDecoder, crc16, frame_body, weight_bytes)

__all__ = ["ProtocolEngineModel", "StandInNetwork", "SAMPLE_HEADER", "PAIR_BYTES"]

SAMPLE_HEADER = 5
PAIR_BYTES = 3


class ProtocolEngineModel:
    """Golden protocol engine for the given sizes; :meth:`feed` takes wire bytes (and optional
    per-byte UART error flags) and returns the response bodies (CRC included) in order.

    ``w1_host_loaded``: W1 has no contents until the host writes it; then :attr:`w1_rows`
    counts the W1 rows written in ascending order from row 0 (a write of row ``w1_rows``
    advances it), W1 is ready once it passes the bias row, and TRAIN / EVALUATE get
    NACK_W1_EMPTY before that (IDENTIFY's ``flags`` tell which)."""

    def __init__(self, network, *, n_in: int, n_hidden: int, n_out: int, weight_bits: int,
                 config_hash: int, buffer_bytes: int, w1_host_loaded: bool = False):
        self.net = network
        self.n_in, self.n_hidden, self.n_out = n_in, n_hidden, n_out
        self.weight_bits, self.nb = weight_bits, weight_bytes(weight_bits)
        self.w1_host_loaded = bool(w1_host_loaded)
        self.w1_rows = 0
        self._identity = Identity(PROTOCOL_VERSION, config_hash, n_in, n_hidden, n_out,
                                  weight_bits, buffer_bytes)
        self.buffer_bytes = buffer_bytes
        self.slip = SlipDecoder()
        self.expected, self.last_seq = 0, None
        self.samples = self.errors = 0
        self.cycles = 0
        self.counts: dict[str, int] = {}

    @property
    def w1_ready(self) -> bool:
        return not self.w1_host_loaded or self.w1_rows > self.n_in

    @property
    def identity(self) -> Identity:
        """What IDENTIFY answers now (its ``flags`` follow the W1 load)."""
        flags = (W1_HOST_LOADED if self.w1_host_loaded else 0) | (W1_READY if self.w1_ready
                                                                   else 0)
        return dataclasses.replace(self._identity, flags=flags)

    def _count(self, kind: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def feed(self, data: bytes, errors=None) -> list[bytes]:
        out = []
        for body, ok in self.slip.feed(data, errors):
            resp = self.receive(body, ok)
            if resp is not None:
                out.append(resp)
        return out

    def receive(self, body: bytes, ok: bool = True) -> bytes | None:
        """The response body to one SLIP-decoded body, or None when it is dropped."""
        if len(body) < BODY_OVERHEAD:
            self._count("dropped")
            return None
        if not ok:
            return self._nack(Status.NACK_FRAMING)
        if len(body) > self.buffer_bytes:
            return self._nack(Status.NACK_LENGTH)
        if crc16(body) != 0:
            return self._nack(Status.NACK_CRC)
        seq, op, payload = body[0], body[1], body[2:-2]
        if seq != self.expected:
            if self.last_seq is not None and seq == self.last_seq:
                return self._reply(seq, Status.DUPLICATE, op)
            return self._reply(seq, Status.NACK_SEQUENCE, op, bytes([self.expected]))
        status, reply = self._execute(op, payload)
        if status == Status.OK:
            self.expected, self.last_seq = (seq + 1) & 0xFF, seq
        return self._reply(seq, status, op, reply)

    def _nack(self, status: Status) -> bytes:
        return self._reply(self.expected, status, 0)

    def _reply(self, seq: int, status: int, op: int, payload: bytes = b"") -> bytes:
        self._count(Status(status).name)
        return frame_body(seq, status, bytes([op]) + payload)

    def _execute(self, op: int, p: bytes) -> tuple[Status, bytes]:
        if op in (Command.IDENTIFY, Command.READ_COUNTERS, Command.RESET):
            if p:
                return Status.NACK_PAYLOAD, b""
            if op == Command.IDENTIFY:
                return Status.OK, self.identity.to_bytes()
            if op == Command.READ_COUNTERS:
                values = (self.samples, self.errors, self.cycles)
                return Status.OK, b"".join(v.to_bytes(n, "little")
                                           for v, n in zip(values, COUNTER_BYTES))
            self.samples = self.errors = self.cycles = 0
            self.net.reset()
            return Status.OK, b""
        if op in (Command.READ_WEIGHTS, Command.WRITE_WEIGHTS):
            if len(p) < 3:
                return Status.NACK_PAYLOAD, b""
            layer, row = p[0], int.from_bytes(p[1:3], "little")
            if layer > 1 or row >= (self.n_in if layer == 0 else self.n_hidden) + 1:
                return Status.NACK_PAYLOAD, b""
            lanes = self.n_hidden if layer == 0 else self.n_out
            if op == Command.READ_WEIGHTS:
                if len(p) != 3:
                    return Status.NACK_PAYLOAD, b""
                row_values = self.net.read(layer, row)
                return Status.OK, b"".join(int(w).to_bytes(self.nb, "little", signed=True)
                                           for w in row_values[:lanes])
            if len(p) != 3 + lanes * self.nb:
                return Status.NACK_PAYLOAD, b""
            values = [int.from_bytes(p[3 + i * self.nb:3 + (i + 1) * self.nb], "little",
                                     signed=True) for i in range(lanes)]
            half = 1 << (self.weight_bits - 1)
            if any(not -half <= v < half for v in values):
                return Status.NACK_PAYLOAD, b""
            self.net.write(layer, row, values)
            if layer == 0 and row == self.w1_rows:
                self.w1_rows += 1
            return Status.OK, b""
        if op in (Command.TRAIN, Command.EVALUATE):
            if len(p) < SAMPLE_HEADER or p[0] >= self.n_out:
                return Status.NACK_PAYLOAD, b""
            if not self.w1_ready:
                return Status.NACK_W1_EMPTY, b""
            label, key = p[0], int.from_bytes(p[1:5], "little")
            pairs = p[SAMPLE_HEADER:]
            if len(pairs) % PAIR_BYTES:
                return Status.NACK_PAYLOAD, b""
            pixels = [0] * self.n_in
            prev = -1
            for i in range(0, len(pairs), PAIR_BYTES):
                index = int.from_bytes(pairs[i:i + 2], "little")
                if index >= self.n_in or index <= prev:
                    return Status.NACK_PAYLOAD, b""
                pixels[index], prev = pairs[i + 2], index
            winner = self.net.sample(pixels, label=label, learn=op == Command.TRAIN, key=key)
            self.samples += 1
            self.errors += int(winner != label)
            return Status.OK, bytes([winner])
        return Status.NACK_COMMAND, b""


class StandInNetwork:
    """A deterministic stand-in for the network behind the link (testbenches): weights in a
    dict, ``winner = (sum(i * pixel_i) + key + 7 * learn) % n_out``; ``learn`` samples add 1 to
    W2[label, label] (wrapping in ``weight_bits``) so a training sample changes a weight."""

    def __init__(self, *, n_in: int, n_hidden: int, n_out: int, weight_bits: int):
        self.n_in, self.n_hidden, self.n_out, self.weight_bits = n_in, n_hidden, n_out, weight_bits
        self.lanes = max(n_hidden, n_out)
        self.weights: dict[tuple[int, int], list[int]] = {}
        self.log: list[tuple] = []

    def _wrap(self, v: int) -> int:
        half = 1 << (self.weight_bits - 1)
        return (v + half) % (2 * half) - half

    def initial(self, layer: int, row: int) -> list[int]:
        return [self._wrap(layer * 37 + row * 11 + lane * 5 - 20) for lane in range(self.lanes)]

    def sample(self, pixels, *, label, learn, key):
        self.log.append(("sample", tuple(pixels), label, bool(learn), key))
        winner = (sum(i * p for i, p in enumerate(pixels)) + key + 7 * int(learn)) % self.n_out
        if learn:
            row = self.read(1, label)
            row[label] = self._wrap(row[label] + 1)
            self.weights[(1, label)] = row
        return winner

    def read(self, layer, row):
        return list(self.weights.get((layer, row), self.initial(layer, row)))

    def write(self, layer, row, weights):
        self.log.append(("write", layer, row, tuple(weights)))
        full = list(weights) + [0] * (self.lanes - len(weights))
        self.weights[(layer, row)] = full

    def reset(self):
        self.log.append(("reset",))
