"""The wire stream of the host-link protocol fuzz (benchmarks/host_link_fuzz.py): good frames of
every command and every kind of bad case, built case by case and fed at once to the golden
engine (snnforge.host.engine.ProtocolEngineModel with its StandInNetwork), which records the
expected responses and the weights at every dump. Imported by the fuzz script (its folder is on
``sys.path`` when it runs)."""
from __future__ import annotations

import random
from collections import Counter

import numpy as np

from snnforge.host import protocol as P
from snnforge.host.engine import ProtocolEngineModel, StandInNetwork

__all__ = ["SIZES", "CONFIG_HASH", "DUMP", "BAD_KINDS", "GOOD_COMMANDS", "Fuzz"]

SIZES = dict(n_in=16, n_hidden=8, n_out=4, weight_bits=8)
CONFIG_HASH = 0x5EED1234
DUMP = 0xFFFF
BAD_KINDS = ("garbage", "bad_crc", "truncated", "dropped_bytes", "wrong_seq", "bad_escape",
             "uart_error", "break", "too_long", "unknown_command", "bad_payload", "duplicated",
             "reordered")
GOOD_COMMANDS = ("IDENTIFY", "WRITE_WEIGHTS", "READ_WEIGHTS", "TRAIN", "EVALUATE",
                 "READ_COUNTERS", "RESET")


class Fuzz:
    """Builds the wire stream case by case, feeding each piece to the golden engine."""

    def __init__(self, seed: int, buffer_bytes: int):
        self.rng = random.Random(seed)
        self.net = StandInNetwork(**SIZES)
        self.model = ProtocolEngineModel(self.net, **SIZES, config_hash=CONFIG_HASH,
                                         buffer_bytes=buffer_bytes)
        self.buffer_bytes = buffer_bytes
        self.records: list[int] = []
        self.expected: list[bytes] = []        # golden response bodies in order
        self.recovery_index: list[int] = []    # indices into expected of recovery responses
        self.cases = Counter()
        self.frames = Counter()
        self.snapshots: list[np.ndarray] = []
        self.bad_executed = 0
        self.recovery_failures = 0
        self.wire_bytes = 0

    # -- low level
    def _feed(self, data: bytes, errors=None, *, bad: bool) -> list[bytes]:
        before = len(self.net.log)
        out = self.model.feed(data, errors)
        if bad and len(self.net.log) != before:
            self.bad_executed += 1
        errs = errors or [0] * len(data)
        self.records.extend(b | (e << 8) for b, e in zip(data, errs))
        self.wire_bytes += len(data)
        self.expected.extend(out)
        return out

    def snapshot(self) -> None:
        lanes = max(SIZES["n_hidden"], SIZES["n_out"])
        rows = [self.net.read(0, r) for r in range(SIZES["n_in"] + 1)]
        rows += [self.net.read(1, r) for r in range(SIZES["n_hidden"] + 1)]
        self.snapshots.append(np.array([r[:lanes] for r in rows], dtype=np.int32))
        self.records.append(DUMP)

    # -- frames
    def good_command(self, name: str | None = None) -> tuple[str, int, bytes]:
        r = self.rng
        name = name or r.choices(GOOD_COMMANDS, weights=(1, 3, 3, 5, 3, 1, 0.3))[0]
        n_in, n_hidden, n_out, bits = (SIZES[k] for k in ("n_in", "n_hidden", "n_out",
                                                          "weight_bits"))
        if name in ("TRAIN", "EVALUATE"):
            pixels = [r.randrange(1, 256) if r.random() < 0.3 else 0 for _ in range(n_in)]
            op, payload = P.sample(pixels, label=r.randrange(n_out), key=r.getrandbits(32),
                                   learn=name == "TRAIN")
        elif name == "WRITE_WEIGHTS":
            layer = r.randrange(2)
            rows, lanes = (n_in + 1, n_hidden) if layer == 0 else (n_hidden + 1, n_out)
            half = 1 << (bits - 1)
            op, payload = P.write_weights(layer, r.randrange(rows),
                                          [r.randrange(-half, half) for _ in range(lanes)],
                                          weight_bits=bits)
        elif name == "READ_WEIGHTS":
            layer = r.randrange(2)
            op, payload = P.read_weights(layer, r.randrange((n_in if layer == 0 else n_hidden) + 1))
        else:
            op, payload = getattr(P, name.lower())()
        return name, op, payload

    def good(self, name: str | None = None, *, recovery: bool = False) -> None:
        name, op, payload = self.good_command(name)
        self.frames["good_" + name] += 1
        out = self._feed(P.encode_frame(self.model.expected, op, payload), bad=False)
        if recovery:
            # the frame's leading END may first flush a cut frame (its NACK comes first)
            self.recovery_index.append(len(self.expected) - 1)
            if not out or P.parse_response(out[-1]).status != P.Status.OK:
                self.recovery_failures += 1

    def _still_bad(self, wire: bytes, errors=None) -> bool:
        """True when no frame in ``wire`` would pass (a corruption that left a valid CRC is
        redrawn: it would be a good frame)."""
        return all(not ok or not P.check_body(body)
                   for body, ok in P.SlipDecoder().feed(wire + bytes([P.END]), errors and
                                                        list(errors) + [0]))

    def bad(self, kind: str) -> None:
        r, m = self.rng, self.model
        self.cases[kind] += 1
        _, op, payload = self.good_command()
        body = P.frame_body(m.expected, op, payload)
        if kind == "garbage":
            while True:
                n = r.randrange(1, 160)
                wire = bytes(r.choice((P.END, P.ESC, r.randrange(256))) if r.random() < 0.08
                             else r.randrange(256) for _ in range(n))
                if self._still_bad(wire):
                    break
            self._feed(wire, bad=True)
        elif kind == "bad_crc":
            while True:
                b = bytearray(body)
                for _ in range(r.randrange(1, 4)):
                    b[r.randrange(len(b))] ^= 1 << r.randrange(8)
                if not P.check_body(bytes(b)):
                    break
            self._feed(P.slip_encode(bytes(b)), bad=True)
        elif kind == "truncated":
            wire = P.slip_encode(body)
            while True:
                cut = wire[:r.randrange(1, len(wire) - 1)]
                if r.random() < 0.5:
                    cut += bytes([P.END])
                if self._still_bad(cut):
                    break
            self._feed(cut, bad=True)
        elif kind == "dropped_bytes":
            wire = P.slip_encode(body)
            while True:
                b = bytearray(wire)
                for _ in range(r.randrange(1, 4)):
                    if len(b) > 3:
                        del b[r.randrange(1, len(b) - 1)]
                if self._still_bad(bytes(b)):
                    break
            self._feed(bytes(b), bad=True)
        elif kind == "wrong_seq":
            seq = (m.expected + r.randrange(1, 256)) & 0xFF
            self._feed(P.encode_frame(seq, op, payload), bad=True)
        elif kind == "bad_escape":
            esc = P.slip_encode(body)
            pos = r.randrange(1, len(esc) - 1)
            wire = esc[:pos] + bytes([P.ESC, r.choice([x for x in range(256)
                                                       if x not in (P.ESC_END, P.ESC_ESC, P.END)])]) \
                + esc[pos:]
            self._feed(wire, bad=True)
        elif kind in ("uart_error", "break"):
            wire = P.slip_encode(body)
            errors = [0] * len(wire)
            data = bytearray(wire)
            for _ in range(1 if kind == "break" else r.randrange(1, 3)):
                pos = r.randrange(1, len(wire) - 1)
                errors[pos] = 1
                data[pos] = 0 if kind == "break" else r.randrange(256)
            self._feed(bytes(data), errors, bad=True)
        elif kind == "too_long":
            n = self.buffer_bytes - P.BODY_OVERHEAD + r.randrange(1, 40)
            self._feed(P.encode_frame(m.expected, op, bytes(r.randrange(256) for _ in range(n))),
                       bad=True)
        elif kind == "unknown_command":
            bad_op = r.choice([x for x in range(256) if x not in set(P.Command)])
            self._feed(P.encode_frame(m.expected, bad_op, payload), bad=True)
        elif kind == "bad_payload":
            self._feed(P.encode_frame(m.expected, *self._bad_payload()), bad=True)
        elif kind == "duplicated":
            frame = P.encode_frame(m.expected, op, payload)
            self.frames["good_" + P.Command(op).name] += 1
            self._feed(frame, bad=False)
            for _ in range(r.randrange(1, 3)):
                self._feed(frame, bad=True)            # DUPLICATE, not executed again
        elif kind == "reordered":
            _, op2, payload2 = self.good_command()
            first = P.encode_frame(m.expected, op, payload)
            second = P.encode_frame((m.expected + 1) & 0xFF, op2, payload2)
            self._feed(second, bad=True)               # ahead of its turn: NACK_SEQUENCE
            self.frames["good_" + P.Command(op).name] += 1
            self._feed(first, bad=False)
            self.frames["good_" + P.Command(op2).name] += 1
            self._feed(second, bad=False)              # the host's retransmission
        else:
            raise ValueError(kind)
        self.good(recovery=True)

    def _bad_payload(self) -> tuple[int, bytes]:
        r = self.rng
        n_in, n_hidden, n_out, bits = (SIZES[k] for k in ("n_in", "n_hidden", "n_out",
                                                          "weight_bits"))
        choice = r.randrange(7)
        if choice == 0:   # label out of range
            return P.Command.TRAIN, bytes([r.randrange(n_out, 256)]) + bytes(4)
        if choice == 1:   # pixel indices not ascending
            i = r.randrange(1, n_in)
            return P.Command.TRAIN, (bytes([0]) + bytes(4) + i.to_bytes(2, "little") + b"\x05"
                                     + (i - 1).to_bytes(2, "little") + b"\x05")
        if choice == 2:   # pixel index out of range
            return P.Command.EVALUATE, (bytes([0]) + bytes(4)
                                        + r.randrange(n_in, 1 << 16).to_bytes(2, "little") + b"\x09")
        if choice == 3:   # a cut pixel pair
            return P.Command.TRAIN, bytes([1]) + bytes(4) + b"\x01\x00"
        if choice == 4:   # row out of range
            return P.Command.READ_WEIGHTS, bytes([0]) + (n_in + 1 + r.randrange(100)).to_bytes(2, "little")
        if choice == 5:   # weight row of the wrong length
            return P.Command.WRITE_WEIGHTS, bytes([1, 0, 0]) + bytes(r.randrange(n_out))
        return P.Command.IDENTIFY, bytes([r.randrange(256)])   # payload on a bare command

    def build(self, target_bytes: int, *, batch: int) -> None:
        for name in GOOD_COMMANDS:
            self.good(name)
        self.snapshot()
        k = 0
        while self.wire_bytes < target_bytes:
            if self.rng.random() < 0.35:
                self.good()
            else:
                self.bad(BAD_KINDS[k % len(BAD_KINDS)])
                k += 1
            if k and k % batch == 0:
                self.snapshot()
        for name in GOOD_COMMANDS[::-1]:
            self.good(name)
        self.snapshot()
