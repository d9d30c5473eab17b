"""The hidden pre-activations u in block RAM (:class:`AccumulatorRam`) against the Python
model of the accumulators: random add / clear / group-read sequences (adds to the same word
in consecutive cycles included), FWD1-shaped bursts, and its parameter errors."""
from __future__ import annotations

import random

import pytest

from snnforge.errors import ConfigError
from snnforge.hdl.ssnn_bp.accumulator_ram import (AccumulatorRam, check_dsp_adders, check_u_ram,
                                                  split_dsp_adders)
from snnforge.sim.amaranth_stream import simulate
from snnforge.sim.ssnn_bp_parts_model import AccumulatorModel

ACC_BITS, WEIGHT_BITS = 7, 4       # narrow: the sums wrap, as the model's


def _bench(dut, schedule, r):
    """A testbench driving ``schedule`` (an iterator of (add, clear, word) per cycle, a row
    and a group index drawn from ``r``) and checking every group read against the model."""
    model = AccumulatorModel(count=dut.count, acc_bits=ACC_BITS)
    lo, hi = -(1 << (WEIGHT_BITS - 1)), (1 << (WEIGHT_BITS - 1)) - 1

    async def bench(ctx):
        checked = 0
        for cycle, (add, clear, word, group_index) in enumerate(schedule):
            row = [r.randint(lo, hi) for _ in range(dut.lanes)]
            ctx.set(dut.add, add)
            ctx.set(dut.clear, clear)
            if dut.words > 1:
                ctx.set(dut.word, word)
            for lane, w in enumerate(row):
                ctx.set(dut.row[lane], w)
            ctx.set(dut.group_index, group_index)
            await ctx.tick()
            model.tick_word(add=add, clear=clear, word=word, lanes=dut.lanes, row=row)
            if not add:       # the read port was the group's
                got = [ctx.get(dut.group_value[lane]) for lane in range(dut.group)]
                assert got == model.read_group(group_index, dut.group), (cycle, group_index)
                checked += 1
        assert checked > len(schedule) // 10

    return bench


SHAPES = [(7, 3, 3), (8, 4, 2), (8, 4, 4), (6, 6, 4), (9, 2, 1), (10, 5, 1), (12, 6, 2),
          (5, 1, 1), (16, 16, 1)]


@pytest.mark.parametrize("count,lanes,group", SHAPES)
def test_random_adds_clears_and_group_reads_match_the_model(count, lanes, group):
    dut = AccumulatorRam(count=count, acc_bits=ACC_BITS, weight_bits=WEIGHT_BITS, lanes=lanes,
                         group=group)
    r = random.Random(count * 100 + lanes * 10 + group)
    groups_span = max(dut.groups, 2)
    schedule, word = [], 0
    for _ in range(600):
        add, clear = r.random() < 0.6, r.random() < 0.04
        # often the word of the previous add (forwarding), else any word
        word = word if r.random() < 0.4 else r.randrange(dut.words)
        schedule.append((add, clear, word, r.randrange(groups_span)))
    simulate(dut, _bench(dut, schedule, r))


@pytest.mark.parametrize("count,lanes,group", [(8, 4, 1), (6, 6, 2), (5, 1, 1), (10, 5, 1)])
def test_fwd1_bursts_then_hid_group_reads(count, lanes, group):
    """The top's pattern: clear, rows of words 0..W-1 back to back (W = 1: every add to
    word 0), then every group read in consecutive cycles right after the last add."""
    dut = AccumulatorRam(count=count, acc_bits=ACC_BITS, weight_bits=WEIGHT_BITS, lanes=lanes,
                         group=group)
    r = random.Random(count + lanes + group)
    schedule = []
    for _ in range(4):
        schedule.append((False, True, 0, 0))
        for _row in range(r.randrange(1, 6)):
            schedule += [(True, False, w, 0) for w in range(dut.words)]
        schedule += [(False, False, 0, gi) for gi in range(dut.groups)]
    simulate(dut, _bench(dut, schedule, r))


@pytest.mark.parametrize("count,lanes,group,dsp_lanes", [(8, 4, 2, 4), (7, 3, 3, 2)])
def test_dsp_lanes_keep_the_sums(count, lanes, group, dsp_lanes):
    """Adders in DSPAdder units (the plain sum off the iCE40 UP): the same accumulators."""
    dut = AccumulatorRam(count=count, acc_bits=ACC_BITS, weight_bits=WEIGHT_BITS, lanes=lanes,
                         group=group, dsp_lanes=dsp_lanes)
    r = random.Random(count + dsp_lanes)
    schedule = [(r.random() < 0.6, r.random() < 0.04, r.randrange(dut.words),
                 r.randrange(max(dut.groups, 2))) for _ in range(300)]
    simulate(dut, _bench(dut, schedule, r))


def test_dsp_lanes_are_sb_mac16_on_the_ice40_up():
    from amaranth.back import rtlil
    from amaranth_boards.icebreaker import ICEBreakerPlatform
    from amaranth_boards.ulx3s import ULX3S_85F_Platform

    def macs(dsp_lanes, platform):
        dut = AccumulatorRam(count=16, acc_bits=20, weight_bits=10, lanes=4,
                             dsp_lanes=dsp_lanes)
        return rtlil.convert(dut, platform=platform).count("cell \\SB_MAC16 ")

    assert macs(3, ICEBreakerPlatform()) == 3
    assert macs(0, ICEBreakerPlatform()) == 0
    assert macs(4, ULX3S_85F_Platform()) == 0
    assert macs(4, None) == 0


def test_parameters_are_validated():
    with pytest.raises(ConfigError, match="group=2 must divide lanes=3"):
        AccumulatorRam(count=7, acc_bits=8, weight_bits=4, lanes=3, group=2)
    with pytest.raises(ConfigError, match="lanes must be an integer in 1..7"):
        AccumulatorRam(count=7, acc_bits=8, weight_bits=4, lanes=8)
    with pytest.raises(ConfigError, match="acc_bits"):
        AccumulatorRam(count=7, acc_bits=1, weight_bits=4, lanes=7)
    with pytest.raises(ConfigError, match="u_ram must be True or False"):
        check_u_ram(1, n_hidden=8, w1_lanes=4, hid_lanes=1)
    with pytest.raises(ConfigError, match="hid_lanes=4 .* w1_lanes=2"):
        check_u_ram(True, n_hidden=8, w1_lanes=2, hid_lanes=4)
    assert check_u_ram(True, n_hidden=8, w1_lanes=8, hid_lanes=4) is True
    assert check_u_ram(False, n_hidden=8, w1_lanes=2, hid_lanes=4) is False
    with pytest.raises(ConfigError, match="^dsp_lanes must be an integer in 0..4, got 5$"):
        AccumulatorRam(count=8, acc_bits=8, weight_bits=4, lanes=4, dsp_lanes=5)
    with pytest.raises(ConfigError, match=r"^dsp_lanes=1: acc_bits=33 is wider than an "
                                          r"SB_MAC16 adds \(32\); use dsp_lanes=0$"):
        AccumulatorRam(count=8, acc_bits=33, weight_bits=4, lanes=4, dsp_lanes=1)


@pytest.mark.parametrize("value,kw,message", [
    (5, dict(u_ram=False, w1_lanes=4, n_out=3, acc_bits=20),
     r"^dsp_adders must be an integer in 0..3 \(adders in the iCE40 UP5K's 8 SB_MAC16: u's "
     r"with u_ram=True, z's 3\), got 5$"),
    (8, dict(u_ram=True, w1_lanes=4, n_out=3, acc_bits=20),
     r"^dsp_adders must be an integer in 0..7 \(adders in the iCE40 UP5K's 8 SB_MAC16: u's 4 "
     r"\(w1_lanes\) in block RAM, z's 3\), got 8$"),
    (9, dict(u_ram=True, w1_lanes=16, n_out=10, acc_bits=20), r"^dsp_adders must be an "
                                                               r"integer in 0..8 "),
    (True, dict(u_ram=True, w1_lanes=4, n_out=10, acc_bits=20), r"got True$"),
    (2, dict(u_ram=True, w1_lanes=4, n_out=10, acc_bits=36),
     r"^dsp_adders=2: the 36-bit accumulators are wider than an SB_MAC16 adds \(32 bits\); "
     r"use dsp_adders=0$"),
])
def test_dsp_adders_option_is_validated(value, kw, message):
    with pytest.raises(ConfigError, match=message):
        check_dsp_adders(value, **kw)
    assert check_dsp_adders(0, u_ram=False, w1_lanes=4, n_out=3, acc_bits=40) == 0
    assert check_dsp_adders(8, u_ram=True, w1_lanes=4, n_out=10, acc_bits=20) == 8


def test_dsp_adders_go_to_u_first_then_z():
    assert split_dsp_adders(8, u_ram=True, w1_lanes=4) == (4, 4)
    assert split_dsp_adders(3, u_ram=True, w1_lanes=4) == (3, 0)
    assert split_dsp_adders(3, u_ram=False, w1_lanes=4) == (0, 3)
    assert split_dsp_adders(0, u_ram=True, w1_lanes=4) == (0, 0)
