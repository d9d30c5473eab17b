"""Amaranth-simulator tier of hdl/stream: event layout, FIFO, signed merge under backpressure."""
import random

import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator

from snnforge.errors import ConfigError
from snnforge.hdl.stream import (SignedSpikeMerge, SpikeEventFIFO, decode_event, encode_event,
                                   spike_event_layout)
from snnforge.sim.amaranth_stream import run_streams
from snnforge.sim.budget import CycleBudget, stream_cycle_bound

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def test_event_layout_and_codec():
    layout = spike_event_layout(addr_width=5)
    assert layout.size == 6
    assert encode_event(17, True, addr_width=5) == 17 | 32
    assert decode_event(17 | 32, addr_width=5) == (17, True)
    with pytest.raises(ConfigError, match="addr_width"):
        spike_event_layout(addr_width=0)
    with pytest.raises(ConfigError, match="does not fit"):
        encode_event(32, False, addr_width=5)


def test_bad_parameters_are_rejected():
    with pytest.raises(ConfigError, match="depth"):
        SpikeEventFIFO(addr_width=4, depth=0)
    with pytest.raises(ConfigError, match="addr_width"):
        SignedSpikeMerge(addr_width=True)


def _run(dut, sources, sink_name, *, cycles, ready_p, seed):
    """Drive each (stream name, items, valid_p) in ``sources`` from its own testbench; return
    the sink's items, received under random backpressure within ``cycles`` clock cycles."""
    expected = sum(len(items) for _, items, _ in sources)
    return run_streams(dut, sources={name: (items, p) for name, items, p in sources},
                       sinks={sink_name: (expected, ready_p)}, max_cycles=cycles,
                       seed=seed)[sink_name]


@pytest.mark.parametrize("depth", [1, 2, 5, 16])
def test_fifo_keeps_order_under_backpressure(depth):
    dut = SpikeEventFIFO(addr_width=6, depth=depth)
    rng = random.Random(depth)
    items = [encode_event(rng.randrange(64), rng.random() < 0.5, addr_width=6) for _ in range(300)]
    got = _run(dut, [("i_events", items, 0.7)], "o_events", cycles=1500, ready_p=0.5, seed=depth)
    assert got == items


@pytest.mark.parametrize("valid_p,ready_p", [(1.0, 1.0), (0.8, 0.3), (0.3, 0.9)])
def test_merge_never_drops_or_duplicates(valid_p, ready_p):
    dut = SignedSpikeMerge(addr_width=5)
    rng = random.Random(int(valid_p * 10 + ready_p * 100))
    pos = [rng.randrange(32) for _ in range(200)]
    neg = [rng.randrange(32) for _ in range(200)]
    got = _run(dut, [("i_pos", pos, valid_p), ("i_neg", neg, valid_p)], "o_events",
               cycles=3000, ready_p=ready_p, seed=3)
    events = [decode_event(p, addr_width=5) for p in got]
    assert [a for a, n in events if not n] == pos
    assert [a for a, n in events if n] == neg


def _merge_schedule(dut, pos, neg, *, ready_p, seed):
    """Both inputs always valid while they have items; per output transfer, the channel
    served (False: pos, True: neg), and the cycles from the first offer to the last transfer."""
    served, first_last = [], []
    rng = random.Random(seed)
    total = len(pos) + len(neg)
    budget = CycleBudget(stream_cycle_bound(total, latency=1, ready_probability=ready_p),
                         name="signed merge")

    async def tb(ctx):
        queues = {"i_pos": list(pos), "i_neg": list(neg)}
        cycle = 0
        while len(served) < total:
            budget.spend(f"output event {len(served)} of {total}")
            for name, q in queues.items():
                port = getattr(dut, name)
                ctx.set(port.valid, bool(q))
                if q:
                    ctx.set(port.payload, q[0])
            ctx.set(dut.o_events.ready, rng.random() < ready_p)
            taken = {name: bool(q) and ctx.get(getattr(dut, name).ready)
                     for name, q in queues.items()}
            if ctx.get(dut.o_events.valid) and ctx.get(dut.o_events.ready):
                served.append(bool(ctx.get(dut.o_events.payload.negative)))
                first_last.append(cycle)
            await ctx.tick()
            cycle += 1
            for name, t in taken.items():
                if t:
                    queues[name].pop(0)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    return served, first_last[-1] + 1


@pytest.mark.parametrize("ready_p", [1.0, 0.5])
def test_merge_with_both_inputs_always_valid_is_fair(ready_p):
    """The documented round-robin: while both inputs are valid, the input not served last goes
    next, so the output alternates strictly and neither input starves (under any
    backpressure); without backpressure one event per cycle, latency 1."""
    dut = SignedSpikeMerge(addr_width=5)
    rng = random.Random(7)
    pos = [rng.randrange(32) for _ in range(60)]
    neg = [rng.randrange(32) for _ in range(60)]
    served, cycles = _merge_schedule(dut, pos, neg, ready_p=ready_p, seed=11)
    runs = [i for i in range(1, len(served)) if served[i] == served[i - 1]]
    assert not runs, (f"unfair merge: output {runs[0]} serves the "
                      f"{'negative' if served[runs[0]] else 'positive'} input twice in a row "
                      f"while the other input waits")
    if ready_p == 1.0:
        assert cycles == len(pos) + len(neg) + 1, f"{cycles} cycles for {len(served)} events"


@pytest.mark.parametrize("depth", [2, 5])
def test_fifo_full_rate_latency_one(depth):
    """The documented timing: without gaps or backpressure one event in and one out per cycle,
    each visible at the output one cycle after it was written."""
    dut = SpikeEventFIFO(addr_width=4, depth=depth)
    items = list(range(32))
    taken_in, taken_out = [], []
    budget = CycleBudget(stream_cycle_bound(len(items), latency=1), name="FIFO")

    async def tb(ctx):
        queue, cycle = list(items), 0
        ctx.set(dut.o_events.ready, 1)
        while len(taken_out) < len(items):
            budget.spend(f"event {len(taken_out)} of {len(items)}")
            ctx.set(dut.i_events.valid, bool(queue))
            if queue:
                ctx.set(Value.cast(dut.i_events.payload), queue[0])
            if queue and ctx.get(dut.i_events.ready):
                taken_in.append(cycle)
                queue.pop(0)
            if ctx.get(dut.o_events.valid):
                taken_out.append((cycle, ctx.get(Value.cast(dut.o_events.payload))))
            await ctx.tick()
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(tb)
    sim.run()
    assert [v for _, v in taken_out] == items
    assert taken_in == list(range(len(items))), "input not accepted every cycle"
    assert [c for c, _ in taken_out] == [c + 1 for c in taken_in], "latency is not one cycle"
