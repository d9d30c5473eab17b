"""The W2 memory in words (:class:`W2Words`, the network top's ``w2_words``) in the Amaranth
simulator against :class:`W2WordsModel` (golden ``coincidence_update`` per word): random row
events held until taken (one cycle per word with a gated active lane, at least one), host
writes of one word and word reads; its parameters are validated."""
import random

import numpy as np
import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator

from snnforge.errors import ConfigError
from snnforge.hdl.ssnn_bp.w2_words import W2Words, check_w2_words, w2_word_lanes
from snnforge.sim.budget import CycleBudget
from snnforge.sim.ssnn_bp_parts_model import W2WordsModel

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _pack(values, width):
    return sum((int(v) & ((1 << width) - 1)) << (width * k) for k, v in enumerate(values))


def _unpack(raw, n, width):
    out = []
    for k in range(n):
        v = (raw >> (k * width)) & ((1 << width) - 1)
        out.append(v - (1 << width) if v >> (width - 1) else v)
    return out


def _bits(values):
    return sum(int(bool(b)) << i for i, b in enumerate(values))


@pytest.mark.parametrize("rows,posts,wb,seed", [(9, 10, 4, 1), (6, 5, 3, 2), (5, 2, 8, 3)])
def test_w2_words_match_model(rows, posts, wb, seed):
    r = random.Random(seed)
    lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
    init = np.array([[r.choice([lo, hi, r.randint(lo, hi)]) for _ in range(posts)]
                     for _ in range(rows)])
    dut = W2Words(rows=rows, posts=posts, weight_bits=wb, init=init)
    lanes, words = dut.lanes, dut.words
    assert (lanes, words) == (w2_word_lanes(posts), 2)
    model = W2WordsModel(init=init, lanes=lanes, weight_bits=wb)
    counts = dict.fromkeys(("event", "write", "read"), 0)
    multi = [0]          # events that took two cycles

    async def bench(ctx):
        budget = CycleBudget(600 * 3, name="W2Words bench")
        last_row = None      # the row of an event taken in the previous cycle
        for _ in range(600):
            kind = r.choices(list(counts), weights=[5, 1, 3])[0]
            counts[kind] += 1
            if kind == "event":
                row = r.randrange(rows)
                if row == last_row:
                    row = (row + 1) % rows
                pos = [r.random() < 0.3 for _ in range(posts)]
                neg = [r.random() < 0.3 and not p for p in pos]
                gate = [r.random() < 0.6 for _ in range(posts)]
                ctx.set(dut.i_event.payload, {"addr": row, "pos": _bits(pos),
                                               "neg": _bits(neg), "gate": _bits(gate)})
                ctx.set(dut.i_event.valid, 1)
                want = model.event(row, pos, neg, gate)
                held = 1
                while not ctx.get(dut.i_event.ready):
                    await ctx.tick()
                    budget.spend("a row event taken")
                    held += 1
                assert held == want, f"event on row {row} held {held} cycles, model {want}"
                multi[0] += held > 1
                await ctx.tick()
                budget.spend("the next command")
                ctx.set(dut.i_event.valid, 0)
                last_row = row
                continue
            if last_row is not None:      # the last event's write lands first
                await ctx.tick()
                budget.spend("the next command")
                last_row = None
            row, word = r.randrange(rows), r.randrange(words)
            if kind == "write":
                values = [r.randint(lo, hi) for _ in range(lanes)]
                ctx.set(dut.wr_row, row); ctx.set(dut.wr_word, word)
                ctx.set(Value.cast(dut.wr_data), _pack(values, wb)); ctx.set(dut.wr_en, 1)
                await ctx.tick()
                budget.spend("the next command")
                ctx.set(dut.wr_en, 0)
                model.write(row, word, values)
            else:
                ctx.set(dut.rd_row, row); ctx.set(dut.rd_word, word)
                await ctx.tick()
                budget.spend("the next command")
                got = _unpack(ctx.get(Value.cast(dut.rd_data)), lanes, wb)
                assert got == model.read(row, word), f"row {row} word {word}: {got}"

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert all(counts.values()) and multi[0] > 10, (counts, multi)


def test_w2_words_parameters_are_validated():
    with pytest.raises(ConfigError, match="posts"):
        W2Words(rows=4, posts=1, weight_bits=4)
    with pytest.raises(ConfigError, match="lanes"):
        W2Words(rows=4, posts=6, weight_bits=4, lanes=7)
    with pytest.raises(ConfigError, match="w2_words must be True or False"):
        check_w2_words("yes", hid_lanes=1)
    with pytest.raises(ConfigError, match=r"w2_words=True \(--w2-words\).*hid_lanes=4"):
        check_w2_words(True, hid_lanes=4)
    assert check_w2_words(False, hid_lanes=4) is False
    assert [w2_word_lanes(n) for n in (2, 5, 10, 47)] == [1, 3, 5, 24]
