"""Amaranth-simulator tier of the network top's sub-components: the draw prefetcher, the
accumulator bank, the event lists and the update sequencer (random passes with random request backpressure against a
Python model of the LR blocks each row needs), for layer shapes including n_hidden > n_in,
n_hidden = 1, n_out = 47."""
import random

import pytest
from amaranth.hdl import Module, Signal, signed
from amaranth.sim import Simulator

from snnforge.errors import ConfigError
from snnforge.golden_model.rng import Stream
from snnforge.hdl.ssnn_bp.accumulator_bank import AccumulatorBank
from snnforge.hdl.ssnn_bp.draw_prefetcher import DrawPrefetcher
from snnforge.hdl.ssnn_bp.event_list import EventList
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.hdl.ssnn_bp.network_parts_model import (AccumulatorModel, lr_block_requests,
                                                      prefetch_requests, prefetch_word)
from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes
from snnforge.hdl.ssnn_bp.params import select
from snnforge.hdl.ssnn_bp.update_sequencer import UpdateSequencer

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def test_accumulator_bank_adds_rows_and_wraps_like_its_width():
    dut = AccumulatorBank(count=5, acc_bits=7, weight_bits=4, lanes=6)
    r = random.Random(5)
    model = AccumulatorModel(count=5, acc_bits=7)

    async def bench(ctx):
        for cycle in range(200):
            add, clear = r.random() < 0.6, r.random() < 0.05
            row = [r.randint(-8, 7) for _ in range(6)]
            ctx.set(dut.add, add); ctx.set(dut.clear, clear)
            for j, w in enumerate(row):
                ctx.set(dut.row[j], w)
            index = r.randrange(6)                        # 5: beyond count, reads 0
            ctx.set(dut.index, index)
            assert ctx.get(dut.value) == model.read(index), cycle
            await ctx.tick()
            model.tick(add=add, clear=clear, row=row)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    with pytest.raises(ConfigError, match="lanes"):
        AccumulatorBank(count=5, acc_bits=8, weight_bits=4, lanes=4)


def test_event_list_appends_clears_and_reads_back():
    dut = EventList(width=5, depth=7)
    r = random.Random(3)

    async def bench(ctx):
        for _ in range(3):
            values = [r.randrange(32) for _ in range(r.randint(1, 7))]
            for v in values:
                ctx.set(dut.append, 1); ctx.set(dut.value, v)
                await ctx.tick()
            ctx.set(dut.append, 0)
            assert ctx.get(dut.count) == len(values) and ctx.get(dut.last) == values[-1]
            for i, v in enumerate(values):
                ctx.set(dut.rd_addr, i)
                await ctx.tick()
                assert ctx.get(dut.rd_data) == v
            ctx.set(dut.clear, 1); ctx.set(dut.append, 1)     # clear wins over append
            await ctx.tick()
            ctx.set(dut.clear, 0); ctx.set(dut.append, 0)
            assert ctx.get(dut.count) == 0

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    with pytest.raises(ConfigError, match="depth"):
        EventList(width=4, depth=0)


def run_pass(sizes, *, w1, rows, cols, seed):
    """Run one pass of the sequencer against synchronous-read lists; the accepted requests."""
    dut = UpdateSequencer(sizes=sizes)
    r = random.Random(seed)
    got = []
    bound = 50 * (len(rows) * max(len(cols), 1) + 4)

    async def bench(ctx):
        ctx.set(dut.w1, w1)
        if w1:
            ctx.set(dut.in_count, len(rows)); ctx.set(dut.grad_count, len(cols))
            ctx.set(dut.grad_last, cols[-1])
        else:
            ctx.set(dut.hid_count, len(rows))
            ctx.set(dut.col_pos, cols[0]); ctx.set(dut.col_neg, cols[1])
        ctx.set(dut.start, 1)
        for cycle in range(bound):
            ready = r.random() < 0.6
            ctx.set(dut.o_req.ready, ready)
            row_addr, col_addr = ctx.get(dut.row_addr), ctx.get(dut.col_addr)   # after ready
            if ctx.get(dut.o_req.valid) and ready:
                t = ctx.get(dut.o_req.payload.tag)
                got.append((ctx.get(dut.o_req.payload.block), t.phi, t.q, t.end_row, t.last,
                            t.row))
                if t.last:
                    return
            await ctx.tick()
            ctx.set(dut.start, 0); ctx.set(dut.run, 1)
            # the lists answer one cycle after the address (synchronous read ports)
            row = rows[row_addr] if row_addr < len(rows) else 0
            ctx.set(dut.in_row if w1 else dut.hid_row, row)
            if w1:
                ctx.set(dut.grad_col, cols[col_addr] if col_addr < len(cols) else 0)
        raise AssertionError(f"no last request within {bound} cycles")

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return got


@pytest.mark.parametrize("n_in,n_hidden,n_out", [(4, 12, 2), (4, 10, 2), (4, 1, 3), (13, 7, 5),
                                                 (3, 5, 47), (9, 30, 10)])
def test_update_sequencer_requests_each_rows_blocks_in_order(n_in, n_hidden, n_out):
    sizes = NetworkSizes(small_network_config(n_in=n_in, n_hidden=n_hidden, n_out=n_out))
    r = random.Random(n_in * 1000 + n_hidden * 10 + n_out)
    for trial in range(3):
        # W1 pass: input-spike rows (+ bias n_in), ascending gradient columns
        rows = sorted(r.sample(range(n_in), r.randint(0, n_in))) + [n_in]
        cols = sorted(r.sample(range(n_hidden), r.randint(1, n_hidden)))
        want = lr_block_requests(rows, cols, n_hidden, 0)
        assert run_pass(sizes, w1=1, rows=rows, cols=cols, seed=trial) == want
        # W2 pass: every hidden row can spike (+ bias n_hidden), columns e+ then e-
        rows = sorted(r.sample(range(n_hidden), r.randint(0, n_hidden))) + [n_hidden]
        cols = r.sample(range(n_out), 2)
        want = lr_block_requests(rows, cols, n_out, n_in + 1)
        assert run_pass(sizes, w1=0, rows=rows, cols=cols, seed=trial) == want


@pytest.mark.parametrize("learn", [1, 0])
def test_draw_prefetcher_requests_a_steps_blocks_and_stores_them_by_slot(learn):
    sizes = NetworkSizes(small_network_config(n_in=13, n_hidden=7, n_out=5))
    dut = DrawPrefetcher(sizes=sizes)
    train = [(Stream.INPUT, 2), (Stream.HIDDEN, 2), (Stream.WTA, 2), (Stream.GRAD, 2)]
    evaluate = [(Stream.EVAL_INPUT, 2), (Stream.EVAL_HIDDEN, 2), (Stream.EVAL_WTA, 2)]
    want = [(int(st), b) for st, n in (train if learn else evaluate) for b in range(n)]
    assert prefetch_requests(sizes, learn) == want
    r = random.Random(learn)

    async def bench(ctx):
        for step in range(2):                       # the counters restart after each step
            ctx.set(dut.run, 1); ctx.set(dut.learn, learn)
            got, pending, done_at = [], [], None
            for cycle in range(400):
                ctx.set(dut.o_req.ready, r.random() < 0.7)
                respond = bool(pending) and r.random() < 0.5
                if respond:
                    slot = pending.pop(0)
                    ctx.set(dut.blk_tag, slot)
                    ctx.set(dut.blk_x0, 1000 * step + slot); ctx.set(dut.blk_x1, 7 * slot + 1)
                ctx.set(dut.blk_valid, respond)
                if ctx.get(dut.o_req.valid) and ctx.get(dut.o_req.ready):
                    p = ctx.get(dut.o_req.payload)
                    got.append((p.stream, p.block)); pending.append(p.tag)
                done = ctx.get(dut.done)
                await ctx.tick()                    # the last block is written at this edge
                if done:
                    done_at = cycle
                    assert respond and not pending and len(got) == len(want)
                    break
            assert got == want and done_at is not None
            ctx.set(dut.run, 0); ctx.set(dut.blk_valid, 0)
            await ctx.tick()
            for slot in range(len(want)):
                ctx.set(dut.rd_addr, slot)
                await ctx.tick()
                assert ctx.get(dut.rd_data) == prefetch_word(1000 * step + slot, 7 * slot + 1)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


@pytest.mark.parametrize("n,index_width", [(1, 1), (3, 2), (4, 1), (13, 3), (47, 6), (300, 9)])
def test_select_is_values_at_index_or_zero(n, index_width):
    values = [Signal(signed(7), name=f"v{i}") for i in range(n)]
    index, out = Signal(index_width), Signal(signed(7))
    m = Module()
    m.d.comb += out.eq(select(values, index))
    r = random.Random(n)

    async def bench(ctx):
        for _ in range(3):
            drawn = [r.randint(-64, 63) for _ in range(n)]
            for v, x in zip(values, drawn):
                ctx.set(v, x)
            for i in range(1 << index_width):
                ctx.set(index, i)
                assert ctx.get(out) == (drawn[i] if i < n else 0), i

    sim = Simulator(m)     # 300 values: a mux chain this deep exceeds the recursion limit
    sim.add_testbench(bench)
    sim.run()
