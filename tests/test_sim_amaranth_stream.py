"""The Amaranth-simulator stream helpers (snnforge.sim.amaranth_stream) on the event FIFO."""
import random

import pytest
from amaranth.sim import Simulator

from snnforge.hdl.stream import SpikeEventFIFO, encode_event
from snnforge.sim.amaranth_stream import (run_streams, stream_get, stream_get_n, stream_put,
                                          stream_put_all)

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _simulate(dut, *benches, cycles=2000):
    sim = Simulator(dut)
    sim.add_clock(1e-8)
    for bench in benches:
        sim.add_testbench(bench)
    sim.run_until(1e-8 * cycles)


def test_put_and_get_transfer_one_item_each():
    dut = SpikeEventFIFO(addr_width=4, depth=2)
    got = []

    async def bench(ctx):
        await stream_put(ctx, dut.i_events, encode_event(9, True, addr_width=4))
        assert ctx.get(dut.i_events.valid) == 0, "valid must drop after the transfer"
        await stream_put(ctx, dut.i_events, {"addr": 3, "negative": 0})
        got.append(await stream_get(ctx, dut.o_events))
        event = await stream_get(ctx, dut.o_events, raw=False)
        got.append((int(event.addr), int(event.negative)))
        assert ctx.get(dut.o_events.ready) == 0, "ready must drop after the transfer"

    _simulate(dut, bench)
    assert got == [encode_event(9, True, addr_width=4), (3, 0)]


def test_put_holds_the_item_until_the_consumer_takes_it():
    """A depth-1 FIFO fills after one item: the second put must wait, with valid held, for the
    consumer, and no item may be lost or repeated."""
    dut = SpikeEventFIFO(addr_width=4, depth=1)
    items = list(range(12))
    got, offered_while_full = [], []

    async def producer(ctx):
        await stream_put_all(ctx, dut.i_events, items)

    async def consumer(ctx):
        for _ in range(5):          # let the producer stall on a full FIFO
            *_, valid, ready = await ctx.tick().sample(dut.i_events.valid, dut.i_events.ready)
            offered_while_full.append((valid, ready))
        await stream_get_n(ctx, dut.o_events, len(items), ready_p=0.5,
                           rng=random.Random(1), into=got)

    _simulate(dut, producer, consumer)
    assert got == items
    assert offered_while_full[-1] == (1, 0), "the producer dropped valid while stalled"


@pytest.mark.parametrize("option,value", [("valid_p", 0.0), ("valid_p", 1.5), ("ready_p", -0.1)])
def test_probabilities_out_of_range_are_refused(option, value):
    dut = SpikeEventFIFO(addr_width=4, depth=2)
    caught = []

    async def bench(ctx):
        try:
            if option == "valid_p":
                await stream_put_all(ctx, dut.i_events, [1], valid_p=value)
            else:
                await stream_get_n(ctx, dut.o_events, 1, ready_p=value)
        except ValueError as error:
            caught.append(str(error))

    _simulate(dut, bench, cycles=10)
    assert caught and option in caught[0]


def test_run_streams_names_the_sink_that_falls_short():
    dut = SpikeEventFIFO(addr_width=4, depth=2)
    with pytest.raises(AssertionError, match=r"o_events: 3 of 4"):
        run_streams(dut, sources={"i_events": ([1, 2, 3], 1.0)},
                    sinks={"o_events": (4, 1.0)}, max_cycles=50)
