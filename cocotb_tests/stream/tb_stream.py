"""cocotb testbenches of hdl/stream on Verilator (instances of the unit harness,
:mod:`snnforge.sim.ssnn_bp_unit_harness`): FIFO order and signed-merge completeness under random
valid gaps and random backpressure, every transfer scored; the merge's round-robin fairness with
both inputs always valid.

Parameters (SNNFORGE_TB_PARAMS): instance, count, valid_probability, ready_probability, seed.
"""
import cocotb

from snnforge.sim import Scoreboard, StreamSink, StreamSource, TB, tb_params
from snnforge.sim.budget import stream_cycle_bound
from snnforge.sim.ssnn_bp_unit_harness import harness_params
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


@cocotb.test()
async def merge_is_fair_with_both_inputs_always_valid(dut):
    """The documented round-robin: both inputs valid every cycle (valid_probability 1), the
    output must alternate between them (neither starves); with ready_probability 1 it also
    carries one event per cycle."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    aw = harness_params(name)["addr_width"]
    tb = TB(dut, seed=p["seed"])
    rng = tb.child_rng("events")
    half = p["count"] // 2
    pos = [rng.randrange(1 << aw) for _ in range(half)]
    neg = [rng.randrange(1 << aw) for _ in range(half)]
    got, cycles = [], []

    def observe(word):
        got.append(decode_event(word, addr_width=aw))
        cycles.append(tb.cycles)

    sources = [StreamSource(dut, f"{name}_i_{ch}", tb.clk, rng=tb.child_rng(ch),
                            valid_probability=1.0, reset=tb.rst) for ch in ("pos", "neg")]
    sink = StreamSink(dut, f"{name}_o_events", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"], callback=observe, reset=tb.rst)
    await tb.reset()
    sources[0].extend(pos)
    sources[1].extend(neg)
    await sink.wait_count(2 * half, timeout_cycles=stream_cycle_bound(
        2 * half, latency=1, ready_probability=p["ready_probability"]))
    assert [a for a, n in got if not n] == pos and [a for a, n in got if n] == neg
    twice = [i for i in range(1, len(got)) if got[i][1] == got[i - 1][1]]
    assert not twice, (f"unfair merge: event {twice[0]} serves the "
                       f"{'negative' if got[twice[0]][1] else 'positive'} input twice in a row "
                       f"while the other input is valid")
    if p["ready_probability"] == 1.0:
        span = cycles[-1] - cycles[0] + 1
        assert span == len(got), f"{len(got)} events took {span} cycles (one per cycle promised)"
    tb.log.info("%d events alternate, %d cycles", len(got), tb.cycles)
