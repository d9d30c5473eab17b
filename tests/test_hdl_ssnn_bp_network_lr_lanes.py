"""Amaranth-simulator tier of the update phase's multi-core parts (:mod:`snnforge.hdl.ssnn_bp.lr_lanes`):
the sequencer issues, for every active pre row, exactly the LR blocks its active columns need,
core k the blocks q = k mod cores, lowest first, under random backpressure (``req_ready``); the
gate lanes turn the blocks (returned a fixed latency later) into each row's event whose gates
are every active column's own draw; in ``lockstep`` (W1 in words) every core gets a request in
every issue cycle and the fillers gate nothing."""
import random

import pytest
from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.sim import Simulator

from snnforge.errors import ConfigError
from snnforge.hdl.ssnn_bp.lr_lanes import LRBlockSequencer, LRGateLanes
from snnforge.hdl.ssnn_bp.network_config import small_network_config
from snnforge.sim.ssnn_bp_parts_model import lr_gate, lr_lane_requests
from snnforge.hdl.ssnn_bp.network_sizes import NetworkSizes

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")

LATENCY = 3


class LanesBench(wiring.Component):
    """The sequencer and the gate lanes side by side (the testbench plays the cores)."""

    def __init__(self, sizes, cores, lockstep=False):
        self.seq = LRBlockSequencer(sizes=sizes, cores=cores, lockstep=lockstep)
        self.lanes = LRGateLanes(sizes=sizes, cores=cores, lockstep=lockstep)
        super().__init__({})

    def elaborate(self, platform):
        m = Module()
        m.submodules.seq = self.seq
        m.submodules.lanes = self.lanes
        return m


@pytest.mark.parametrize("shape,cores,w1,lockstep", [
    ("wide", 1, True, False), ("wide", 3, True, False), ("mixed", 2, True, False),
    ("mixed", 4, False, False), ("classes", 3, False, False), ("classes", 1, True, False),
    ("wide", 3, True, True), ("mixed", 4, True, True), ("mixed", 2, False, True),
    ("long", 2, True, True)])
def test_sequencer_and_lanes_gate_every_active_column_with_its_own_draw(shape, cores, w1,
                                                                         lockstep):
    config = {"wide": small_network_config(n_in=4, n_hidden=12, n_out=2),
              "mixed": small_network_config(n_in=13, n_hidden=7, n_out=5),
              "classes": small_network_config(n_in=3, n_hidden=5, n_out=47),
              # rows of up to 6 blocks: with 2 cores a row often has a filler after core 0's
              # last block, which must not overwrite that block's gates
              "long": small_network_config(n_in=5, n_hidden=21, n_out=3)}[shape]
    sizes = NetworkSizes(config)
    dut = LanesBench(sizes, cores, lockstep)
    seq, lanes = dut.seq, dut.lanes
    r = random.Random(cores * 31 + len(shape) + w1)
    n_pre = config.n_in if w1 else config.n_hidden
    n_post = config.n_hidden if w1 else config.n_out
    passes = []
    for _ in range(3):
        rows = sorted(r.sample(range(n_pre), r.randint(0, n_pre))) + [n_pre]   # + bias row
        if w1:
            cols = sorted(r.sample(range(n_post), r.randint(1, n_post)))
            if lockstep:      # column 0 (block 0, core 0's first) active: a later filler of
                cols = sorted(set(cols) | {0})   # core 0 must not overwrite its gate
            pos_neg = (0, 0)
        else:
            pos_neg = tuple(r.sample(range(n_post), 2))
            cols = sorted(pos_neg)
        passes.append((rows, cols, pos_neg))

    async def bench(ctx):
        for rows, cols, (col_pos, col_neg) in passes:
            want = lr_lane_requests(rows, cols, n_post, cores)
            ctx.set(seq.w1, int(w1))
            mask = sum(1 << c for c in cols) if w1 else 0
            ctx.set(seq.grad_mask, mask)
            ctx.set(seq.col_pos, col_pos)
            ctx.set(seq.col_neg, col_neg)
            ctx.set(seq.in_count if w1 else seq.hid_count, len(rows))
            ctx.set(seq.start, 1)
            addr = ctx.get(seq.row_addr)
            await ctx.tick()
            ctx.set(seq.start, 0)
            ctx.set(seq.run, 1)
            issued, blocks, events, in_flight = [], {}, [], []
            for cycle in range(40 * len(want) + 40):
                row_now = rows[addr] if addr < len(rows) else 0
                ctx.set(seq.in_row if w1 else seq.hid_row, row_now)
                ready = r.random() < 0.7
                ctx.set(seq.req_ready, ready)
                valid = ctx.get(seq.req_valid)
                if lockstep:      # all cores or none
                    assert valid in (0, (1 << cores) - 1), valid
                got, fillers = {}, []
                for k in range(cores):
                    if (valid >> k) & 1:
                        t = ctx.get(seq.req_tag[k])
                        if lockstep and not t["real"]:
                            fillers.append(k)
                            continue
                        got[k] = (ctx.get(seq.req_block[k]), t["phi"], t["q"], t["end_row"],
                                  t["last"], t["row"])
                if ready and got:
                    issued.append(got)
                    data = {}
                    for k, (_, _, q, _, _, row) in got.items():
                        blk = r.getrandbits(64)
                        blocks[(row, q)] = blk
                        data[k] = (blk, ctx.get(seq.req_tag[k]))
                    for k in fillers:     # a filler's block must gate nothing
                        data[k] = (r.getrandbits(64), ctx.get(seq.req_tag[k]))
                    in_flight.append([cycle + LATENCY, data])
                # the cores' answers, all of one issue cycle together
                arriving = in_flight[0][1] if in_flight and in_flight[0][0] == cycle else {}
                if arriving:
                    in_flight.pop(0)
                for k in range(cores):
                    blk, tag = arriving.get(k, (0, None))
                    ctx.set(lanes.valid[k], k in arriving)
                    ctx.set(lanes.x0[k], blk & 0xFFFFFFFF)
                    ctx.set(lanes.x1[k], blk >> 32)
                    if tag is not None:
                        ctx.set(lanes.tag[k], tag)
                if ctx.get(lanes.event):
                    events.append((ctx.get(lanes.row), ctx.get(lanes.gate)))
                    if ctx.get(lanes.last):
                        break
                addr = ctx.get(seq.row_addr)
                await ctx.tick()
            ctx.set(seq.run, 0)
            for k in range(cores):
                ctx.set(lanes.valid[k], 0)
            assert issued == want
            assert [row for row, _ in events] == rows
            for row, gate in events:
                phi = row * n_post % 4
                for c in cols:
                    q, w = (phi + c) // 4, (phi + c) % 4
                    want_gate = lr_gate(blocks[(row, q)], w, gate_bits=config.lr_gate_bits,
                                        threshold=config.lr_gate_threshold)
                    assert (gate >> c) & 1 == want_gate, (row, c)

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def test_cores_are_validated():
    sizes = NetworkSizes(small_network_config())
    for bad in (0, 33, 2.0):
        with pytest.raises(ConfigError, match="cores"):
            LRBlockSequencer(sizes=sizes, cores=bad)


@pytest.mark.parametrize("w1,cores", [(False, 4), (True, 3), (True, 1)])
def test_sequencer_started_three_cycles_ahead_issues_every_run_cycle(w1, cores):
    """Started three cycles before ``run`` (the top starts it during BWD / UPD_END), the
    sequencer has read its rows ahead: with the cores always ready, it issues
    lr_lane_requests' cycles back to back from run's first cycle, and nothing before it."""
    config = small_network_config(n_in=13, n_hidden=7, n_out=5)
    sizes = NetworkSizes(config)
    dut = LanesBench(sizes, cores)
    seq = dut.seq
    r = random.Random(7 + cores + w1)
    n_pre, n_post = (config.n_in, config.n_hidden) if w1 else (config.n_hidden, config.n_out)

    async def bench(ctx):
        for _ in range(4):
            rows = sorted(r.sample(range(n_pre), r.randint(0, n_pre))) + [n_pre]
            if w1:
                cols = sorted(r.sample(range(n_post), r.randint(1, n_post)))
                col_pos = col_neg = 0
            else:
                col_pos, col_neg = r.sample(range(n_post), 2)
                cols = sorted((col_pos, col_neg))
            want = lr_lane_requests(rows, cols, n_post, cores)
            ctx.set(seq.w1, int(w1))
            ctx.set(seq.grad_mask, sum(1 << c for c in cols) if w1 else 0)
            ctx.set(seq.col_pos, col_pos)
            ctx.set(seq.col_neg, col_neg)
            ctx.set(seq.in_count if w1 else seq.hid_count, len(rows))
            ctx.set(seq.req_ready, 1)
            ctx.set(seq.start, 1)
            issued = []
            for cycle in range(2 + len(want)):
                addr = ctx.get(seq.row_addr)
                await ctx.tick()
                ctx.set(seq.start, 0)
                ctx.set(seq.run, int(cycle >= 2))
                ctx.set(seq.in_row if w1 else seq.hid_row, rows[addr] if addr < len(rows) else 0)
                valid = ctx.get(seq.req_valid)
                if cycle < 2:
                    assert valid == 0, cycle
                    continue
                assert valid != 0, (cycle, "a bubble")
                issued.append({k: (ctx.get(seq.req_block[k]), ctx.get(seq.req_tag[k].phi),
                                   ctx.get(seq.req_tag[k].q), ctx.get(seq.req_tag[k].end_row),
                                   ctx.get(seq.req_tag[k].last), ctx.get(seq.req_tag[k].row))
                               for k in range(cores) if (valid >> k) & 1})
            assert issued == want
            await ctx.tick()
            ctx.set(seq.run, 0)
            assert ctx.get(seq.req_valid) == 0
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()


def test_row_phases_are_the_phases_a_pass_can_have():
    from snnforge.hdl.ssnn_bp.lr_lanes import pass_phases, row_phases
    assert row_phases(785, 64) == (0,)          # W1 of 784-64-10: every row at phase 0
    assert row_phases(65, 10) == (0, 2)
    assert row_phases(14, 7) == (0, 1, 2, 3)
    assert row_phases(2, 3) == (0, 3)           # two rows only
    assert pass_phases(NetworkSizes(small_network_config(n_in=784, n_hidden=64,
                                                         n_out=10))) == (0, 2)
    sizes = NetworkSizes(small_network_config(n_in=4, n_hidden=12, n_out=2))
    for bad in ((), (4,), (0, -1)):
        with pytest.raises(ConfigError, match="phases"):
            LRGateLanes(sizes=sizes, cores=1, phases=bad)
