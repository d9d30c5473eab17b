"""Drivers for Amaranth ``lib.stream`` ports as they appear in the generated Verilog.

A port ``i_stream: In(stream.Signature(shape))`` becomes ``i_stream__payload``,
``i_stream__valid`` and ``i_stream__ready`` (``always_valid``/``always_ready`` streams lack the
corresponding wire; the drivers treat a missing one as constant 1). A transfer happens on a
rising edge where valid and ready are both high; once valid is raised, payload and valid hold
until the transfer (the ``lib.stream`` rules). Backpressure and valid gaps are random from a
seeded ``random.Random``, so a run is reproducible.

The drivers run the same on Verilator and Icarus Verilog: every input they drive gets a value
when they start (Icarus leaves an undriven input at ``Z``), and they keep what they drive in
Python instead of reading their own inputs back.
"""
from __future__ import annotations

import random
from collections import deque
from typing import Callable, Iterable

import cocotb
from cocotb.triggers import RisingEdge

from .budget import CycleBudget


def _port(dut, name: str, member: str, *, required: bool):
    try:
        return getattr(dut, f"{name}__{member}")
    except AttributeError:
        if required:
            raise AttributeError(f"the DUT has no port {name}__{member}; check the stream name "
                                 f"against the Verilog (ports are flattened with '__')") from None
        return None


def _check_probability(what: str, value: float) -> float:
    if not 0.0 < float(value) <= 1.0:
        raise ValueError(f"{what} must be in (0, 1], got {value!r}")
    return float(value)


def _bind_stream_ports(end, dut, name: str, clk, *, rng, reset) -> None:
    """Attach the ``<name>__payload/valid/ready`` handles (absent ones are None), the clock,
    reset and random generator to a stream driver ``end``."""
    end.name = name
    end.clk = clk
    end.reset = reset
    end.payload = _port(dut, name, "payload", required=False)
    end.valid = _port(dut, name, "valid", required=False)
    end.ready = _port(dut, name, "ready", required=False)
    end.rng = rng or random.Random(0)


class StreamSource:
    """Drives a stream *into* the DUT (payload/valid; watches ready).

    ``valid_probability``: chance per cycle that a queued item is offered (1 = no gaps).
    ``encode``: maps an item to the payload integer (default: the item itself, negative values
    two's-complement masked to the payload width).
    """

    def __init__(self, dut, name: str, clk, *, rng: random.Random | None = None,
                 valid_probability: float = 1.0, encode: Callable[[object], int] | None = None,
                 reset=None):
        _bind_stream_ports(self, dut, name, clk, rng=rng, reset=reset)
        self.valid_probability = _check_probability("valid_probability", valid_probability)
        self.encode = encode or int
        self.queue: deque = deque()
        self.sent = 0
        self._current = None
        self._width = len(self.payload) if self.payload is not None else 0
        if self.valid is not None:
            self.valid.value = 0
        if self.payload is not None:
            self.payload.value = 0
        cocotb.start_soon(self._run())

    def send_nowait(self, item) -> None:
        self.queue.append(item)

    def extend(self, items: Iterable) -> None:
        self.queue.extend(items)

    def idle(self) -> bool:
        return not self.queue and self._current is None

    async def wait_idle(self, *, timeout_cycles: int) -> None:
        """Wait until every queued item has been transferred; ``AssertionError`` naming the
        stream and the items left after ``timeout_cycles`` cycles."""
        budget = CycleBudget(timeout_cycles, name=self.name)
        while not self.idle():
            budget.spend(f"{len(self.queue) + (self._current is not None)} item(s) to be "
                         f"taken ({self.sent} sent)")
            await RisingEdge(self.clk)

    def _drive(self, item) -> None:
        if self.payload is not None:
            value = self.encode(item)
            self.payload.value = value & ((1 << self._width) - 1)
        if self.valid is not None:
            self.valid.value = 1

    async def _run(self) -> None:
        while True:
            await RisingEdge(self.clk)
            # ready matters only while an item is offered (it may be X before the DUT settles)
            if self._current is not None and (self.ready is None or int(self.ready.value)):
                self._current = None
                self.sent += 1
            if self.reset is not None and int(self.reset.value):
                self._current = None
                if self.valid is not None:
                    self.valid.value = 0
                continue
            if self._current is None:
                if self.queue and self.rng.random() < self.valid_probability:
                    self._current = self.queue.popleft()
                    self._drive(self._current)
                elif self.valid is not None:
                    self.valid.value = 0


class StreamSink:
    """Takes a stream *out of* the DUT (watches payload/valid; drives ready).

    ``ready_probability``: chance per cycle that ready is high (1 = no backpressure).
    ``signed``: read the payload as two's complement. ``decode``: maps the payload integer to an
    item. ``callback``: called with each received item (e.g. ``Scoreboard.observe``).
    ``check_protocol``: fail the test if the DUT breaks the stream rules (drops valid or changes
    the payload while its transfer is stalled by backpressure).
    """

    def __init__(self, dut, name: str, clk, *, rng: random.Random | None = None,
                 ready_probability: float = 1.0, signed: bool = False,
                 decode: Callable[[int], object] | None = None,
                 callback: Callable[[object], None] | None = None, reset=None,
                 check_protocol: bool = True):
        _bind_stream_ports(self, dut, name, clk, rng=rng, reset=reset)
        self.ready_probability = _check_probability("ready_probability", ready_probability)
        self.signed = signed
        self.decode = decode or (lambda value: value)
        self.callback = callback
        self.received: deque = deque()
        self.count = 0
        self.check_protocol = check_protocol and self.valid is not None
        self._ready_now = self.ready is None  # what this sink drives on ``ready``
        if self.ready is not None:
            self.ready.value = 0
        cocotb.start_soon(self._run())

    def _payload_int(self, *, signed: bool = False) -> int:
        """The payload as an integer; a 1-bit payload comes back from cocotb as a ``Logic``,
        which has no ``to_unsigned``."""
        if self.payload is None:
            return 0
        value = self.payload.value
        if not hasattr(value, "to_unsigned"):
            return int(value)
        return value.to_signed() if signed else value.to_unsigned()

    def _read(self):
        return self.decode(self._payload_int(signed=self.signed))

    async def recv(self, *, timeout_cycles: int):
        """The next received item (waits at most ``timeout_cycles`` cycles for it)."""
        budget = CycleBudget(timeout_cycles, name=self.name)
        while not self.received:
            budget.spend(f"item {self.count}")
            await RisingEdge(self.clk)
        return self.received.popleft()

    async def wait_count(self, count: int, *, timeout_cycles: int) -> None:
        """Wait until ``count`` items have been received in total; ``AssertionError`` naming
        the stream and the count reached after ``timeout_cycles`` cycles."""
        waited = 0
        while self.count < count:
            await RisingEdge(self.clk)
            waited += 1
            if waited > timeout_cycles:
                raise AssertionError(f"{self.name}: {self.count} of {count} items after "
                                     f"{timeout_cycles} cycles")

    def _drive_ready(self) -> None:
        if self.ready is not None:
            self._ready_now = self.rng.random() < self.ready_probability
            self.ready.value = int(self._ready_now)

    async def _run(self) -> None:
        self._drive_ready()
        stalled_payload = None  # payload of a transfer held off by backpressure
        while True:
            await RisingEdge(self.clk)
            in_reset = self.reset is not None and bool(int(self.reset.value))
            valid = self.valid is None or bool(int(self.valid.value))
            ready = self._ready_now
            if self.check_protocol and stalled_payload is not None and not in_reset:
                payload = self._payload_int()
                if not valid or payload != stalled_payload:
                    raise AssertionError(
                        f"{self.name}: stream rule broken: a stalled transfer must hold valid "
                        f"and payload until ready, but valid={int(valid)}, payload "
                        f"{stalled_payload:#x} -> {payload:#x}")
            stalled_payload = None
            if valid and not ready and not in_reset and self.check_protocol:
                stalled_payload = self._payload_int()
            if valid and ready and not in_reset:
                item = self._read()
                self.received.append(item)
                self.count += 1
                if self.callback is not None:
                    self.callback(item)
            self._drive_ready()
