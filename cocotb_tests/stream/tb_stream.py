"""cocotb testbenches of hdl/stream on Verilator (instances of the unit harness,
:mod:`snnforge.hdl.ssnn_bp.harness`): FIFO order and signed-merge completeness under random
valid gaps and random backpressure, every transfer scored.

Parameters (SNNFORGE_TB_PARAMS): instance, count, valid_probability, ready_probability, seed.
"""
import cocotb

from snnforge.sim import Scoreboard, StreamSink, StreamSource, TB, tb_params
from snnforge.hdl.ssnn_bp.harness import harness_params
from snnforge.hdl.stream import decode_event, encode_event

DEFAULTS = {"instance": "fifo_d2", "count": 6000, "valid_probability": 0.7,
            "ready_probability": 0.5, "seed": 1}


@cocotb.test()
async def fifo_keeps_every_event_in_order(dut):
    p = tb_params(DEFAULTS)
    unit = harness_params(p["instance"])
    name, aw, depth = p["instance"], unit["addr_width"], unit["depth"]
    tb = TB(dut, seed=p["seed"])
    rng = tb.child_rng("events")
    events = [encode_event(rng.randrange(1 << aw), rng.random() < 0.5, addr_width=aw)
              for _ in range(p["count"])]
    board = Scoreboard(f"{name}_o_events")
    board.expect_all(events)
    source = StreamSource(dut, f"{name}_i_events", tb.clk, rng=tb.child_rng("src"),
                          valid_probability=p["valid_probability"], reset=tb.rst)
    sink = StreamSink(dut, f"{name}_o_events", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"], callback=board.observe,
                      reset=tb.rst)
    level = getattr(dut, f"{name}_level")
    await tb.reset()
    source.extend(events)
    level_max = 0
    while sink.count < len(events):
        await tb.wait(1)
        level_max = max(level_max, int(level.value))
        assert int(level.value) <= depth, f"level {int(level.value)} above depth {depth}"
        assert tb.cycles < 20 * len(events) + 100, "FIFO stalled"
    await tb.wait(20)
    board.check()
    assert level_max == depth, f"FIFO never filled (max level {level_max} of {depth})"
    tb.log.info("%d events, %d cycles, %.0f cycles/s", len(events), tb.cycles, tb.speed())


@cocotb.test()
async def merge_never_drops_or_duplicates(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    aw = harness_params(name)["addr_width"]
    tb = TB(dut, seed=p["seed"])
    rng = tb.child_rng("events")
    pos = [rng.randrange(1 << aw) for _ in range(p["count"] // 2)]
    neg = [rng.randrange(1 << aw) for _ in range(p["count"] // 2)]
    got = []
    src_pos = StreamSource(dut, f"{name}_i_pos", tb.clk, rng=tb.child_rng("pos"),
                           valid_probability=p["valid_probability"], reset=tb.rst)
    src_neg = StreamSource(dut, f"{name}_i_neg", tb.clk, rng=tb.child_rng("neg"),
                           valid_probability=p["valid_probability"], reset=tb.rst)
    sink = StreamSink(dut, f"{name}_o_events", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"],
                      callback=lambda w: got.append(decode_event(w, addr_width=aw)), reset=tb.rst)
    await tb.reset()
    src_pos.extend(pos)
    src_neg.extend(neg)
    await sink.wait_count(len(pos) + len(neg), timeout_cycles=20 * p["count"] + 100)
    await tb.wait(20)
    assert len(got) == len(pos) + len(neg), f"{len(got)} events out, {len(pos) + len(neg)} in"
    assert [a for a, n in got if not n] == pos, "positive channel: lost, duplicated or reordered"
    assert [a for a, n in got if n] == neg, "negative channel: lost, duplicated or reordered"
    tb.log.info("%d events, %d cycles, %.0f cycles/s", len(got), tb.cycles, tb.speed())
