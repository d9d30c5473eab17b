"""Amaranth-simulator tier of the network top's sub-components: the draw prefetcher, the
accumulator bank, the event lists and the HID group adder (the update phase's parts:
test_hdl_ssnn_bp_network_lr_lanes.py), for layer shapes including n_hidden > n_in, n_hidden = 1,
n_out = 47; Verilator lint of the engine's parts."""
import random

import pytest
from amaranth.hdl import Module, Signal, signed
from amaranth.sim import Simulator

from snnforge.errors import ConfigError
from snnforge.golden_model.rng import Stream
from snnforge.hdl.ssnn_bp.accumulator_bank import AccumulatorBank
from snnforge.hdl.ssnn_bp.draw_prefetcher import DrawPrefetcher
from snnforge.hdl.ssnn_bp.event_list import EventList, GroupEventList
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.sim.ssnn_bp_parts_model import (AccumulatorModel, prefetch_requests,
                                                      prefetch_word)
from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes
from snnforge.hdl.ssnn_bp.mux import select
from snnforge.hdl.ssnn_bp.row_group_sum import RowGroupSum
from snnforge.hdl.ssnn_bp.sample_loader import SampleLoader
from snnforge.hdl.ssnn_bp.slot_memory import slot_address, slot_stride

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


@pytest.mark.parametrize("dsp_lanes", [0, 3])     # 3: DSPAdder units (plain sums here)
def test_accumulator_bank_adds_rows_and_wraps_like_its_width(dsp_lanes):
    dut = AccumulatorBank(count=5, acc_bits=7, weight_bits=4, lanes=6, group=2,
                          dsp_lanes=dsp_lanes)
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
            group = r.randrange(3)                        # group 2: accumulator 4, then 0
            ctx.set(dut.group_index, group)
            assert list(ctx.get(dut.group_value)) == model.read_group(group, 2), cycle
            await ctx.tick()
            model.tick(add=add, clear=clear, row=row)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    with pytest.raises(ConfigError, match="lanes"):
        AccumulatorBank(count=5, acc_bits=8, weight_bits=4, lanes=4)
    with pytest.raises(ConfigError, match="^dsp_lanes must be an integer in 0..5, got 6$"):
        AccumulatorBank(count=5, acc_bits=8, weight_bits=4, lanes=6, dsp_lanes=6)


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


@pytest.mark.parametrize("learn,cores", [(1, 1), (0, 1), (1, 3), (0, 4)])
def test_draw_prefetcher_requests_a_steps_blocks_and_stores_them_by_slot(learn, cores):
    sizes = NetworkSizes(small_network_config(n_in=13, n_hidden=7, n_out=5))
    dut = DrawPrefetcher(sizes=sizes, cores=cores)
    train = [(Stream.INPUT, 2), (Stream.HIDDEN, 2), (Stream.WTA, 2), (Stream.GRAD, 2)]
    evaluate = [(Stream.EVAL_INPUT, 2), (Stream.EVAL_HIDDEN, 2), (Stream.EVAL_WTA, 2)]
    want = [(int(st), b) for st, n in (train if learn else evaluate) for b in range(n)]
    assert prefetch_requests(sizes, learn) == want
    r = random.Random(learn + 10 * cores)

    async def bench(ctx):
        for step in range(2):                       # the counters restart after each step
            # step h's blocks go to draw-RAM half h
            ctx.set(dut.run, 1); ctx.set(dut.learn, learn); ctx.set(dut.wr_half, step)
            got, pending, done_at = [], [], None
            for cycle in range(400):
                ready = r.random() < 0.7
                ctx.set(dut.req_ready, ready)
                # the cores answer one issue cycle at a time, all of its blocks together
                respond = bool(pending) and r.random() < 0.5
                group = pending.pop(0) if respond else []
                for k in range(cores):
                    slot = group[k] if k < len(group) else None
                    ctx.set(dut.blk_valid[k], slot is not None)
                    if slot is not None:
                        ctx.set(dut.blk_tag[k], slot)
                        ctx.set(dut.blk_x0[k], 1000 * step + slot)
                        ctx.set(dut.blk_x1[k], 7 * slot + 1)
                valid = ctx.get(dut.req_valid)
                if valid and ready:
                    issued = []
                    for k in range(cores):
                        if (valid >> k) & 1:
                            q = ctx.get(dut.req[k])
                            got.append((q.stream, q.block)); issued.append(q.tag)
                    assert issued == list(range(issued[0], issued[0] + len(issued)))
                    pending.append(issued)
                done = ctx.get(dut.done)
                await ctx.tick()                    # the last block is written at this edge
                if done:
                    done_at = cycle
                    assert respond and not pending and len(got) == len(want)
                    break
            assert got == want and done_at is not None
            ctx.set(dut.run, 0)
            for k in range(cores):
                ctx.set(dut.blk_valid[k], 0)
            await ctx.tick()
        for step in r.sample(range(2), 2):          # each half keeps its own step's blocks
            ctx.set(dut.rd_half, step)
            for slot in r.sample(range(len(want)), len(want)):
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


@pytest.mark.parametrize("depth,stride", [(1, 2), (2, 2), (3, 4), (98, 128), (128, 128),
                                          (133, 256), (200, 256), (300, 300), (600, 600),
                                          (700, 700), (1000, 1024)])
def test_slot_stride_rounds_to_a_power_of_two_only_within_the_blocks(depth, stride):
    assert slot_stride(depth) == stride
    assert -(-2 * stride // 256) == -(-2 * depth // 256)


@pytest.mark.parametrize("depth", [1, 3, 98, 133, 300])
def test_slot_address_is_slot_times_stride_plus_offset(depth):
    slot, offset = Signal(), Signal(range(max(depth, 2)))
    out = Signal(16)
    m = Module()
    m.d.comb += out.eq(slot_address(slot, offset, depth))
    stride = slot_stride(depth)

    async def bench(ctx):
        for s in (0, 1):
            for o in range(depth):
                ctx.set(slot, s)
                ctx.set(offset, o)
                assert ctx.get(out) == s * stride + o, (s, o)

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()


def test_slot_stride_refuses_an_empty_slot():
    with pytest.raises(ConfigError, match="depth"):
        slot_stride(0)


@pytest.mark.parametrize("lanes", [1, 2, 4, 8])
def test_group_event_list_appends_groups_in_lane_order_and_reads_back(lanes):
    depth = 23
    dut = GroupEventList(width=5, depth=depth, lanes=lanes)
    r = random.Random(lanes)

    async def bench(ctx):
        for _ in range(6):
            ctx.set(dut.clear, 1)
            await ctx.tick()
            ctx.set(dut.clear, 0)
            want = []
            while True:
                density = r.choice([0.0, 0.3, 1.0])
                mask = [int(r.random() < density) for _ in range(lanes)]
                if len(want) + sum(mask) > depth:
                    break
                values = [r.randrange(32) for _ in range(lanes)]
                ctx.set(dut.append, sum(b << k for k, b in enumerate(mask)))
                for k, v in enumerate(values):
                    ctx.set(dut.values[k], v)
                await ctx.tick()
                want += [v for v, b in zip(values, mask) if b]
                assert ctx.get(dut.count) == len(want)
                if want:
                    assert ctx.get(dut.last) == want[-1]
            ctx.set(dut.append, 0)
            for pos in r.sample(range(len(want)), len(want)):
                ctx.set(dut.rd_addr, pos)
                await ctx.tick()
                assert ctx.get(dut.rd_data) == want[pos], pos

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    with pytest.raises(ConfigError, match="lanes"):
        GroupEventList(width=4, depth=8, lanes=3)


@pytest.mark.parametrize("rows,lanes,weight_bits", [(1, 3, 4), (2, 5, 6), (3, 2, 3), (4, 10, 10)])
def test_row_group_sum_adds_the_masked_rows_one_cycle_later(rows, lanes, weight_bits):
    dut = RowGroupSum(rows=rows, lanes=lanes, weight_bits=weight_bits)
    r = random.Random(rows * 100 + lanes)
    lo, hi = -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1
    assert dut.sum_bits == weight_bits + (rows - 1).bit_length()

    async def bench(ctx):
        for cycle in range(300):
            valid = r.random() < 0.7
            mask = r.randrange(1 << rows)
            # extremes often: every row at the most negative or positive weight
            pick = r.choice([lambda: lo, lambda: hi, lambda: r.randint(lo, hi)])
            data = [[pick() for _ in range(lanes)] for _ in range(rows)]
            ctx.set(dut.valid, valid)
            ctx.set(dut.mask, mask)
            for i, row in enumerate(data):
                for lane, w in enumerate(row):
                    ctx.set(dut.rows_in[i][lane], w)
            await ctx.tick()
            assert ctx.get(dut.sum_valid) == valid, cycle
            got = [ctx.get(dut.sum[lane]) for lane in range(lanes)]
            want = [sum(data[i][lane] for i in range(rows) if (mask >> i) & 1)
                    for lane in range(lanes)]
            assert got == want, cycle

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    with pytest.raises(ConfigError, match="rows"):
        RowGroupSum(rows=0, lanes=2, weight_bits=4)


@pytest.mark.hw
@pytest.mark.parametrize("make", [
    lambda: RowGroupSum(rows=4, lanes=10, weight_bits=10),
    lambda: GroupEventList(width=9, depth=257, lanes=4),
    lambda: GroupEventList(width=3, depth=5, lanes=1),
    lambda: SampleLoader(config=small_network_config()),
], ids=["row_group_sum", "group_event_list4", "group_event_list1", "sample_loader"])
def test_engine_parts_lint_clean(make):
    from snnforge.hwsim import emit_verilog, lint

    lint(emit_verilog(make(), name="part"), top="part")
