"""cocotb testbench of the W2 memory in words (:class:`~snnforge.hdl.ssnn_bp.w2_words.W2Words`,
the network top's ``w2_words``) on Verilator, scored against
:class:`~snnforge.sim.ssnn_bp_parts_model.W2WordsModel` (golden ``coincidence_update`` per
word), the model of its Amaranth test (``tests/test_hdl_ssnn_bp_w2_words.py``): random row
events held until taken (``i_event.ready`` in the cycle of the last word with a gated active
lane, at once without one), host writes of one word and word reads.
Parameters (SNNFORGE_TB_PARAMS): ``rows``, ``posts``, ``weight_bits``, ``init`` (rows x posts
weights), ``cycles``, ``seed``.
"""
import random

import cocotb
from cocotb.triggers import FallingEdge, Timer

from snnforge.sim import TB, tb_params
from snnforge.sim.ssnn_bp_parts_model import W2WordsModel

DEFAULTS = {"rows": 0, "posts": 0, "weight_bits": 0, "init": [], "cycles": 3000, "seed": 1}


def _bits(values) -> int:
    return sum(int(bool(b)) << i for i, b in enumerate(values))


def _pack_signed(values, width: int) -> int:
    return sum((int(v) & ((1 << width) - 1)) << (width * k) for k, v in enumerate(values))


def _unpack_signed(raw: int, n: int, width: int) -> list[int]:
    out = []
    for k in range(n):
        v = (raw >> (k * width)) & ((1 << width) - 1)
        out.append(v - (1 << width) if v >> (width - 1) else v)
    return out


@cocotb.test()
async def w2_words_match_model(dut):
    p = tb_params(DEFAULTS)
    rows, posts, wb = p["rows"], p["posts"], p["weight_bits"]
    tb = TB(dut, seed=p["seed"])
    await tb.reset()
    r = random.Random(p["seed"])
    lanes = -(-posts // 2)
    model = W2WordsModel(init=p["init"], lanes=lanes, weight_bits=wb)
    row_bits = max((rows - 1).bit_length(), 1)
    lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
    for n in ("i_event__valid", "i_event__payload", "wr_en", "wr_row", "wr_word", "wr_data",
              "rd_row", "rd_word"):
        getattr(dut, n).value = 0
    counts = dict.fromkeys(("event", "write", "read"), 0)
    two_words, last_row = 0, None
    while tb.cycles < p["cycles"]:
        kind = r.choices(list(counts), weights=[5, 1, 3])[0]
        counts[kind] += 1
        await FallingEdge(tb.clk)
        dut.i_event__valid.value = 0
        if kind == "event":
            row = r.randrange(rows)
            if row == last_row:          # the top never updates a row twice in a row
                row = (row + 1) % rows
            pos = [r.random() < 0.3 for _ in range(posts)]
            neg = [r.random() < 0.3 and not q for q in pos]
            gate = [r.random() < 0.6 for _ in range(posts)]
            dut.i_event__payload.value = (row | (_bits(pos) << row_bits)
                                          | (_bits(neg) << (row_bits + posts))
                                          | (_bits(gate) << (row_bits + 2 * posts)))
            dut.i_event__valid.value = 1
            want, held = model.event(row, pos, neg, gate), 1
            await Timer(1, "ns")          # the inputs settle
            while not int(dut.i_event__ready.value):
                assert held < want, f"cycle {tb.cycles}: row {row}'s event not taken"
                await FallingEdge(tb.clk)
                await Timer(1, "ns")
                held += 1
            assert held == want, f"cycle {tb.cycles}: row {row} held {held}, model {want}"
            two_words += held == 2
            last_row = row
            continue
        if last_row is not None:         # the last event's write lands first
            await FallingEdge(tb.clk)
            last_row = None
        row, word = r.randrange(rows), r.randrange(2)
        if kind == "write":
            values = [r.randint(lo, hi) for _ in range(lanes)]
            dut.wr_row.value, dut.wr_word.value = row, word
            dut.wr_data.value = _pack_signed(values, wb)
            dut.wr_en.value = 1
            await FallingEdge(tb.clk)
            dut.wr_en.value = 0
            model.write(row, word, values)
        else:
            dut.rd_row.value, dut.rd_word.value = row, word
            await FallingEdge(tb.clk)
            got = _unpack_signed(int(dut.rd_data.value), lanes, wb)
            assert got == model.read(row, word), \
                f"cycle {tb.cycles}: row {row} word {word} = {got}, model {model.read(row, word)}"
    assert all(counts.values()) and two_words > 10, (counts, two_words)
    tb.log.info("w2_words: %s, %d two-word events, %d cycles", counts, two_words, tb.cycles)
