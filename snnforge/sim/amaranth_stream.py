"""Amaranth-simulator helpers for ``lib.stream`` ports (Glasgow style), used by the fast test tier.

Each helper is an ``async`` function of the testbench context ``ctx`` and one stream port. A
transfer happens on the clock edge where ``valid`` and ``ready`` are both 1; the helpers sample
the handshake at that edge (``ctx.tick().sample``), so they never read a settled value
one cycle late.

* :func:`stream_put` / :func:`stream_get`: one transfer, blocking (``valid``/``ready`` held at 1
  until it happens, then dropped).
* :func:`stream_put_all` / :func:`stream_get_n`: many transfers with random gaps (the
  producer's ``valid`` or the consumer's ``ready`` is 1 with the given probability per cycle),
  the backpressure pattern of the randomised tests. Run several in parallel testbenches
  (``sim.add_testbench`` once per port) to drive many ports at once.
* :func:`run_streams`: that pattern for a whole unit: a testbench per port, a cycle bound, the
  items each output port received.

Payloads: an ``int`` is written to the port's raw bits (any layout); a mapping or a layout
constant is written as such. :func:`stream_get` and :func:`stream_get_n` return the raw bits as
an ``int`` unless ``raw=False`` (then the layout constant, e.g. ``data.Const``).
"""
from __future__ import annotations

import random
from collections.abc import Iterable

from amaranth.hdl import Value

__all__ = ["stream_put", "stream_get", "stream_put_all", "stream_get_n", "run_streams", "simulate",
           "write_row"]


def _set_payload(ctx, stream, payload) -> None:
    if isinstance(payload, int) and not isinstance(payload, bool):
        ctx.set(Value.cast(stream.payload), payload)
    else:
        ctx.set(stream.payload, payload)


def _sampled_payload(stream, raw: bool):
    return Value.cast(stream.payload) if raw else stream.payload


def _chance(rng: random.Random, probability: float) -> bool:
    return probability >= 1.0 or rng.random() < probability


def _check_probability(name: str, probability: float) -> None:
    if not 0.0 < probability <= 1.0:
        raise ValueError(f"{name} must be in (0, 1], got {probability!r}")


async def stream_put(ctx, stream, payload) -> None:
    """Offer ``payload`` on ``stream`` until the consumer takes it (one transfer)."""
    ctx.set(stream.valid, 1)
    _set_payload(ctx, stream, payload)
    while True:
        *_, ready = await ctx.tick().sample(stream.ready)
        if ready:
            break
    ctx.set(stream.valid, 0)


async def stream_get(ctx, stream, *, raw: bool = True):
    """Accept one transfer from ``stream`` and return its payload."""
    ctx.set(stream.ready, 1)
    while True:
        *_, valid, payload = await ctx.tick().sample(stream.valid, _sampled_payload(stream, raw))
        if valid:
            break
    ctx.set(stream.ready, 0)
    return payload


async def stream_put_all(ctx, stream, items: Iterable, *, valid_p: float = 1.0,
                         rng: random.Random | None = None) -> None:
    """Send every item of ``items`` in order; before each item, ``valid`` stays 0 for a random
    number of cycles (each cycle offers with probability ``valid_p``). Once offered, an item is
    held (AXI-style: valid never drops before the transfer)."""
    _check_probability("valid_p", valid_p)
    rng = rng or random.Random(0)
    for item in items:
        while not _chance(rng, valid_p):
            await ctx.tick()
        await stream_put(ctx, stream, item)


async def stream_get_n(ctx, stream, count: int, *, ready_p: float = 1.0,
                       rng: random.Random | None = None, raw: bool = True,
                       into: list | None = None) -> list:
    """Receive ``count`` transfers; each cycle ``ready`` is 1 with probability ``ready_p``.
    Payloads are appended to ``into`` (a new list by default) as they arrive, so a bench cut
    short by a deadline still sees what came."""
    _check_probability("ready_p", ready_p)
    rng = rng or random.Random(0)
    received = [] if into is None else into
    count += len(received)
    while len(received) < count:
        ready = _chance(rng, ready_p)
        ctx.set(stream.ready, ready)
        *_, valid, payload = await ctx.tick().sample(stream.valid, _sampled_payload(stream, raw))
        if ready and valid:
            received.append(payload)
    ctx.set(stream.ready, 0)
    return received


async def write_row(ctx, dut, row: int, values) -> None:
    """One host write through a weight memory's write port (``wr_addr``, ``wr_data``,
    ``wr_en``): ``values`` into row ``row`` in one cycle, ``wr_en`` low again after it."""
    ctx.set(dut.wr_addr, row)
    ctx.set(dut.wr_data, [int(v) for v in values])
    ctx.set(dut.wr_en, 1)
    await ctx.tick()
    ctx.set(dut.wr_en, 0)


def run_streams(dut, *, sources: dict, sinks: dict, max_cycles: int, seed: int = 0,
                raw: bool = True, period: float = 1e-8) -> dict[str, list]:
    """Simulate ``dut`` with one testbench per stream port and return what each sink received.

    ``sources`` maps an input port name to ``(items, valid_p)``, ``sinks`` an output port name
    to ``(count, ready_p)``. Each port gets its own random generator derived from ``seed`` and
    its position, so adding a port does not change the others' patterns. Raises
    ``AssertionError`` naming the sink and how much of it arrived when the sinks are not all
    complete after ``max_cycles`` clock cycles (a hung or lossy design fails, never hangs).
    """
    from amaranth.sim import Simulator

    received = {name: [] for name in sinks}

    def source(name, items, valid_p, rng):
        async def bench(ctx):
            await stream_put_all(ctx, getattr(dut, name), items, valid_p=valid_p, rng=rng)
        return bench

    def sink(name, count, ready_p, rng):
        async def bench(ctx):
            await stream_get_n(ctx, getattr(dut, name), count, ready_p=ready_p, rng=rng,
                               raw=raw, into=received[name])
        return bench

    sim = Simulator(dut)
    sim.add_clock(period)
    for index, (name, (items, valid_p)) in enumerate(sources.items()):
        sim.add_testbench(source(name, list(items), valid_p, random.Random(seed * 1009 + index)),
                          background=True)
    for index, (name, (count, ready_p)) in enumerate(sinks.items()):
        sim.add_testbench(sink(name, count, ready_p, random.Random(seed * 1009 + 500 + index)))
    sim.run_until(period * max_cycles)
    short = [f"{name}: {len(received[name])} of {count}" for name, (count, _) in sinks.items()
             if len(received[name]) < count]
    assert not short, f"after {max_cycles} cycles only " + ", ".join(short) + " items arrived"
    return received


def simulate(dut, *benches, period: float = 1e-8) -> None:
    """Run ``dut`` with its ``sync`` clock (``period`` seconds) and the given testbenches until
    they all return (the benches bound themselves, e.g. with :class:`~snnforge.sim.budget.CycleBudget`)."""
    from amaranth.sim import Simulator

    sim = Simulator(dut)
    sim.add_clock(period, if_exists=True)
    for bench in benches:
        sim.add_testbench(bench)
    sim.run()
