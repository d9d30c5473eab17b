"""cocotb testbenches of the SSNN-BP network top's W1-word parts on Verilator (instances of
:class:`~snnforge.sim.ssnn_bp_parts_harness.PartsHarness`), scored against the models of
:mod:`snnforge.sim.ssnn_bp_parts_model` that their Amaranth tests use
(``tests/test_hdl_ssnn_bp_accumulator_ram.py``, ``tests/test_hdl_ssnn_bp_network_w1_lanes.py``).

u in block RAM (:class:`AccumulatorRam`) gets random add / clear / group-read commands every
cycle and FWD1-shaped bursts, each group read scored the cycle after; the W1 memory in words
(:class:`WordWeights`) random word updates (held until taken), whole-row host writes and word
reads; FWD1's row expander (:class:`RowWordIssue`) random rows with random gaps, every issued
word scored in its cycle; UPD's word-event splitter (:class:`WordEventSplitter`) passes of
random row events with random valid gaps and random ``o_event`` backpressure, scored in order;
UPD's word events straight from the LR blocks (:class:`LRWordEvents`) cycles of random blocks
held until taken, under random backpressure, scored in order.
The read-back port in word mode runs :func:`tb_network_streams.weight_read_back_matches_model`.
Parameters (SNNFORGE_TB_PARAMS): as :mod:`tb_network_parts`.
"""
import cocotb
from cocotb.triggers import FallingEdge, Timer

from snnforge.hdl.stream.codec import pack, unpack
from snnforge.sim import Scoreboard, StreamSink, StreamSource, tb_params
from snnforge.sim.ssnn_bp_parts_harness import PARTS_UNITS
from snnforge.sim.ssnn_bp_parts_model import (AccumulatorModel, WordWeightsModel,
                                               block_word_events, row_word_reads,
                                               split_word_events, wrap)

from tb_network_parts import DEFAULTS, _field, _payload_shape, _port, _start, _unit


def _bits(values) -> int:
    return sum(int(bool(b)) << i for i, b in enumerate(values))


def _pack_signed(values, width: int) -> int:
    return sum((int(v) & ((1 << width) - 1)) << (width * k) for k, v in enumerate(values))


def _unpack_signed(raw: int, n: int, width: int) -> list[int]:
    return [wrap(_field(raw, k, width), width) for k in range(n)]


@cocotb.test()
async def accumulator_ram_matches_model(dut):
    """Random add / clear / group-read commands (an add often to the word of the previous
    one: the forwarded write; rows often at one end of the weight range, so sums wrap) and
    FWD1-shaped bursts (a clear, rows of words 0 .. W - 1 back to back, every group read in
    the cycles right after the last add): the group read of every cycle without an add, the
    cycle after, against :class:`AccumulatorModel`."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    model = AccumulatorModel(count=unit.count, acc_bits=p["model_acc_bits"] or unit.acc_bits)
    lanes, wb, ab, words = unit.lanes, unit.weight_bits, unit.acc_bits, unit.words
    lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
    span = max(unit.groups, 2)        # group_index values, one past the last group included

    def commands():
        word = 0
        while True:
            if r.random() < 0.15:
                yield False, True, 0, 0
                for _ in range(r.randrange(1, 6)):
                    yield from ((True, False, w, 0) for w in range(words))
                yield from ((False, False, 0, gi) for gi in range(unit.groups))
            for _ in range(r.randrange(1, 30)):
                word = word if r.random() < 0.4 else r.randrange(words)
                yield r.random() < 0.6, r.random() < 0.02, word, r.randrange(span)

    names = ["add", "clear", "row", "group_index"] + (["word"] if words > 1 else [])
    for n in names:
        port(n).value = 0
    read, checked, schedule, edge = None, 0, commands(), hi
    for cycle in range(p["cycles"]):
        await FallingEdge(tb.clk)
        if read is not None:          # the group read of the previous cycle
            got = _unpack_signed(int(port("group_value").value), unit.group, ab)
            want = model.read_group(read, unit.group)
            assert got == want, f"cycle {cycle - 1}: group {read} = {got}, model {want}"
            checked += 1
        add, clear, word, group_index = next(schedule)
        if r.random() < 0.01:         # the end of the range rows drift to
            edge = lo + hi - edge
        row = [r.choice([edge, r.randint(lo, hi)]) for _ in range(lanes)]
        port("add").value, port("clear").value = int(add), int(clear)
        port("row").value = _pack_signed(row, wb)
        port("group_index").value = group_index
        if words > 1:
            port("word").value = word
        model.tick_word(add=add, clear=clear, word=word, lanes=lanes, row=row)
        read = None if add else group_index
    assert checked > p["cycles"] // 10, f"only {checked} group reads"
    tb.log.info("%s: %d group reads checked, %d cycles, %.0f cycles/s", name, checked,
                tb.cycles, tb.speed())


@cocotb.test()
async def word_weights_match_model(dut):
    """Random word update events (held until taken: the SPRAM shape takes one every other
    cycle; the block-RAM shape never gets the word of the previous cycle's event), whole-row
    host writes of one word (padding lanes written 0) and word reads against
    :class:`WordWeightsModel` (golden coincidence_update) from the harness's initial weights."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    spram = PARTS_UNITS[name][1].get("spram", False)
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    rows, posts, lanes, wb, n_w = unit.rows, unit.posts, unit.lanes, unit.weight_bits, \
        unit.words
    model = WordWeightsModel(init=PARTS_UNITS[name][1]["init"], lanes=lanes, weight_bits=wb)
    ev_shape = _payload_shape(unit, "i_event")
    for n in ("i_event__valid", "i_event__payload", "wr_en", "wr_row", "wr_word", "wr_data",
              "rd_row", "rd_word"):
        port(n).value = 0
    last, wrote = None, False      # the word of the event taken in the previous cycle
    counts = dict.fromkeys(("event", "write", "read", "idle"), 0)
    while tb.cycles < p["cycles"]:
        kind = r.choices(list(counts), weights=[5, 1.5, 2.5, 1])[0]
        counts[kind] += 1
        await FallingEdge(tb.clk)
        port("i_event__valid").value = 0
        if kind == "event":
            row, word = r.randrange(rows), r.randrange(n_w)
            if not spram and (row, word) == last:
                row = (row + 1) % rows
            real = [word * lanes + lane < posts for lane in range(lanes)]
            pos, neg = ([r.random() < 0.5 and b for b in real] for _ in range(2))
            gate = [r.random() < 0.5 for _ in range(lanes)]
            port("i_event__payload").value = pack(ev_shape, {
                "row": row, "word": word, "pos": _bits(pos), "neg": _bits(neg),
                "gate": _bits(gate)})
            port("i_event__valid").value = 1
            while True:                # held until taken
                ready = int(port("i_event__ready").value)
                assert ready == int(not (spram and wrote)), \
                    f"cycle {tb.cycles}: i_event.ready = {ready} ({'a' if wrote else 'no'} " \
                    f"write in flight)"
                if ready:
                    break
                await FallingEdge(tb.clk)
                wrote = False
            model.update(row, word, pos, neg, gate)
            last, wrote = (row, word), True
            continue
        if wrote:
            await FallingEdge(tb.clk)  # the last event's write lands first
        last, wrote = None, False
        if kind == "write":            # one word (padding lanes offered non-zero)
            row, word = r.randrange(rows), r.randrange(n_w)
            values = [r.randrange(-(1 << (wb - 1)), 1 << (wb - 1)) for _ in range(lanes)]
            port("wr_row").value, port("wr_word").value = row, word
            port("wr_data").value = _pack_signed(values, wb)
            port("wr_en").value = 1
            await FallingEdge(tb.clk)
            port("wr_en").value = 0    # the next access comes a cycle later
            model.write(row, word, values)
        elif kind == "read":
            row, word = r.randrange(rows), r.randrange(n_w)
            port("rd_row").value, port("rd_word").value = row, word
            await FallingEdge(tb.clk)
            got = _unpack_signed(int(port("rd_data").value), lanes, wb)
            assert got == model.read(row, word), \
                f"cycle {tb.cycles}: row {row} word {word} = {got}, model {model.read(row, word)}"
    assert counts["event"] and counts["read"] and counts["write"], counts
    tb.log.info("%s: %s, %d cycles", name, counts, tb.cycles)


@cocotb.test()
async def row_word_issue_matches_model(dut):
    """Phases of random rows (the last the bias row) offered with random gaps and held until
    taken: every word issued, in its cycle, against :func:`row_word_reads`; ``o_valid``
    follows ``i_valid``."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    for n in ("i_valid", "i_row", "i_last"):
        port(n).value = 0
    phases = issued = 0
    while tb.cycles < p["cycles"]:
        offered = [r.randrange(unit.rows - 1) for _ in range(r.randrange(0, 8))] + \
            [unit.rows - 1]
        want = row_word_reads(offered, unit.words)
        got, k, holding = 0, 0, False
        for _ in range(20 * len(want) + 20):
            await FallingEdge(tb.clk)
            valid = holding or r.random() < p["valid_probability"]
            if valid:
                port("i_row").value = offered[k]
                port("i_last").value = int(k == len(offered) - 1)
            port("i_valid").value = int(valid)
            await Timer(1, "ns")
            assert int(port("o_valid").value) == int(valid), f"phase {phases}: o_valid"
            if valid:
                seen = (int(port("o_row").value), int(port("o_word").value),
                        int(port("o_first").value), int(port("o_done").value))
                assert seen == want[got], \
                    f"phase {phases}: word {got}: (row, word, first, done) = {seen}, " \
                    f"model {want[got]}"
                got += 1
                taken = int(port("i_ready").value)
                k += taken
                holding = not taken
                if k == len(offered):
                    break
        assert got == len(want), f"phase {phases}: {got} of {len(want)} words issued"
        await FallingEdge(tb.clk)
        port("i_valid").value = 0
        phases += 1
        issued += got
    tb.log.info("%s: %d phases, %d words, %d cycles", name, phases, issued, tb.cycles)


@cocotb.test()
async def word_event_splitter_matches_model(dut):
    """Passes of random row events (sparse to dense gradient masks ``pos`` / ``neg`` held
    over the pass, random gates) with random valid gaps and random ``o_event``
    backpressure: the word events, in order, against :func:`split_word_events`."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    posts, lanes = unit.posts, unit.lanes
    in_shape, out_shape = _payload_shape(unit, "i_event"), _payload_shape(unit, "o_event")
    port("pos").value = port("neg").value = 0
    board = Scoreboard(f"{name}_o_event")
    source = StreamSource(dut, f"{name}_i_event", tb.clk, rng=tb.child_rng("src"),
                          valid_probability=p["valid_probability"],
                          encode=lambda e: pack(in_shape, e), reset=tb.rst)
    StreamSink(dut, f"{name}_o_event", tb.clk, rng=tb.child_rng("sink"),
               ready_probability=p["ready_probability"],
               decode=lambda w: tuple(unpack(out_shape, w)[f]
                                      for f in ("row", "word", "pos", "neg", "gate")),
               callback=board.observe, reset=tb.rst)
    passes = rows = words = 0
    while tb.cycles < p["cycles"]:
        density = r.choice([0.0, 0.1, 0.4, 1.0])
        pos, neg = ([r.random() < density for _ in range(posts)] for _ in range(2))
        await FallingEdge(tb.clk)      # no event offered: the pass's masks change
        port("pos").value, port("neg").value = _bits(pos), _bits(neg)
        events = r.randint(1, 8)
        for _ in range(events):
            row = r.randrange(1 << unit.row_bits)
            gate = [r.random() < 0.5 for _ in range(posts)]
            source.send_nowait({"row": row, "gate": _bits(gate)})
            want = split_word_events(row, pos, neg, gate, posts=posts, lanes=lanes)
            board.expect_all(want)
            words += len(want)
        await source.wait_idle(timeout_cycles=40 * events * (unit.words + 1) + 40)
        await FallingEdge(tb.clk)      # the last row's last word went out with its take
        board.check()
        rows += events
        passes += 1
    tb.log.info("%s: %d passes, %d rows, %d word events, %d cycles", name, passes, rows,
                words, tb.cycles)


@cocotb.test()
async def lr_word_events_match_model(dut):
    """Cycles of random LR blocks (each core valid or not, a filler or a real block of a
    random word, random word gates; sparse to dense gradient masks), each held until
    ``taken``, with random gaps and random ``o_event`` backpressure: the word events, in
    order, against :func:`block_word_events`."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    cores, words, posts = unit.cores, unit.words, unit.words * 4
    tag_layout = unit.signature.members["tag"].shape.elem_shape
    out_shape = _payload_shape(unit, "o_event")
    for n in ("valid", "word_gate", "tag", "pos", "neg"):
        port(n).value = 0
    board = Scoreboard(f"{name}_o_event")
    StreamSink(dut, f"{name}_o_event", tb.clk, rng=tb.child_rng("sink"),
               ready_probability=p["ready_probability"],
               decode=lambda w: tuple(unpack(out_shape, w)[f]
                                      for f in ("row", "word", "pos", "neg", "gate")),
               callback=board.observe, reset=tb.rst)
    cycles = events = 0
    while tb.cycles < p["cycles"]:
        density = r.choice([0.0, 0.2, 0.6, 1.0])
        pos = sum(1 << i for i in range(posts) if r.random() < density)
        neg = sum(1 << i for i in range(posts) if r.random() < density) & ~pos
        row = r.randrange(1 << unit.row_bits)
        blocks = [(r.random() < 0.8, r.random() < 0.8, r.randrange(words), r.randrange(16))
                  for _ in range(cores)]
        want = block_word_events(row, blocks, pos, neg, lockstep=unit.lockstep)
        board.expect_all(want)
        await FallingEdge(tb.clk)
        port("pos").value, port("neg").value = pos, neg
        port("valid").value = _bits(v for v, _, _, _ in blocks)
        port("word_gate").value = sum(g << (4 * k) for k, (_, _, _, g) in enumerate(blocks))
        port("tag").value = sum(
            pack(tag_layout, {"phi": 0, "q": q, "end_row": 0, "last": 0, "row": row,
                              "real": int(real)}) << (k * tag_layout.size)
            for k, (_, real, q, _) in enumerate(blocks))
        for _ in range(20 * cores + 20):
            await Timer(1, "ns")
            if int(port("taken").value):
                break
            await FallingEdge(tb.clk)
        else:
            raise AssertionError(f"cycle {cycles}: the blocks were never taken")
        await FallingEdge(tb.clk)       # taken at the edge: a gap, or the next blocks
        port("valid").value = 0
        if r.random() > p["valid_probability"]:
            await FallingEdge(tb.clk)
        board.check()
        cycles += 1
        events += len(want)
    tb.log.info("%s: %d block cycles, %d word events, %d cycles", name, cycles, events,
                tb.cycles)
