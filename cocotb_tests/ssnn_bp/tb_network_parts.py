"""cocotb testbenches of the SSNN-BP network top's sub-components on Verilator (instances of
:class:`~snnforge.hdl.ssnn_bp.parts_harness.PartsHarness`), scored against the models of
:mod:`snnforge.hdl.ssnn_bp.network_parts_model` that their Amaranth tests use.

Register-level parts (accumulator bank, event list, step record) get a random input vector
every cycle; streamed parts (update sequencer, draw prefetcher, sample loader, weight read-back)
random valid gaps and random backpressure, with the stream rules checked on every output; the
LR gate collector random blocks with random gaps, checked every cycle.
Parameters (SNNFORGE_TB_PARAMS): instance, cycles, valid_probability, ready_probability, seed,
model_acc_bits (accumulator bank only: score against a model of another width, to prove the
check can fail; 0 = the unit's width).
"""
import random

import cocotb
from cocotb.triggers import FallingEdge, Timer

from snnforge.hdl.ssnn_bp.network_parts_model import (AccumulatorModel, LRGateModel,
                                                      StepRecordModel, lr_block_requests,
                                                      prefetch_requests, prefetch_word)
from snnforge.hdl.ssnn_bp.parts_harness import PARTS_UNITS
from snnforge.hdl.stream.codec import pack, unpack
from snnforge.sim import Scoreboard, StreamSink, StreamSource, TB, tb_params

DEFAULTS = {"instance": "", "cycles": 2000, "valid_probability": 0.7, "ready_probability": 0.6,
            "seed": 1, "model_acc_bits": 0}


def _unit(instance):
    cls, params = PARTS_UNITS[instance]
    return cls(**params)


def _port(dut, instance, name):
    return getattr(dut, f"{instance}_{name}")


def _payload_shape(unit, port):
    return unit.signature.members[port].signature.members["payload"].shape


async def _start(dut, p):
    tb = TB(dut, seed=p["seed"])
    await tb.reset()
    return tb, random.Random(p["seed"])


@cocotb.test()
async def accumulator_bank_matches_model(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    model = AccumulatorModel(count=unit.count, acc_bits=p["model_acc_bits"] or unit.acc_bits)
    lanes, wb = unit.lanes, unit.weight_bits
    row_port = _port(dut, name, "row")
    for cycle in range(p["cycles"]):
        await FallingEdge(tb.clk)
        add, clear = r.random() < 0.6, r.random() < 0.05
        row = [r.randrange(-(1 << (wb - 1)), 1 << (wb - 1)) for _ in range(lanes)]
        index = r.randrange(unit.count + 1)
        _port(dut, name, "add").value = int(add)
        _port(dut, name, "clear").value = int(clear)
        row_port.value = sum((w & ((1 << wb) - 1)) << (wb * k) for k, w in enumerate(row))
        _port(dut, name, "index").value = index
        await Timer(1, "ns")
        got = _port(dut, name, "value").value.to_signed()
        assert got == model.read(index), f"cycle {cycle}: u[{index}] = {got}, model " \
                                         f"{model.read(index)}"
        model.tick(add=add, clear=clear, row=row)
    tb.log.info("%s: %d cycles, %.0f cycles/s", name, tb.cycles, tb.speed())


@cocotb.test()
async def event_list_matches_model(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    port = {n: _port(dut, name, n) for n in ("clear", "append", "value", "rd_addr")}
    for n in port.values():
        n.value = 0
    events = 0
    while tb.cycles < p["cycles"]:
        values = [r.randrange(1 << unit.width) for _ in range(r.randint(1, unit.depth))]
        for v in values:                      # appends with random idle cycles between them
            await FallingEdge(tb.clk)
            while r.random() < 0.3:
                port["append"].value = 0
                await FallingEdge(tb.clk)
            port["append"].value, port["value"].value = 1, v
        await FallingEdge(tb.clk)
        port["append"].value = 0
        assert int(_port(dut, name, "count").value) == len(values)
        assert int(_port(dut, name, "last").value) == values[-1]
        order = r.sample(range(len(values)), len(values))
        for k, i in enumerate(order + [None]):
            if k:                              # synchronous read: data of the last address
                got = int(_port(dut, name, "rd_data").value)
                assert got == values[order[k - 1]], f"entry {order[k - 1]}: {got}"
            if i is not None:
                port["rd_addr"].value = i
                await FallingEdge(tb.clk)
        port["clear"].value, port["append"].value = 1, 1          # clear wins over append
        await FallingEdge(tb.clk)
        port["clear"].value, port["append"].value = 0, 0
        assert int(_port(dut, name, "count").value) == 0
        events += len(values)
    tb.log.info("%s: %d events, %d cycles, %.0f cycles/s", name, events, tb.cycles, tb.speed())


@cocotb.test()
async def step_record_matches_model(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    model = StepRecordModel(n_in=unit.n_in, n_hidden=unit.n_hidden)
    for cycle in range(p["cycles"]):
        await FallingEdge(tb.clk)
        for mask, want in model.masks.items():
            got = int(_port(dut, name, mask).value)
            assert got == want, f"cycle {cycle}: {mask} = {got:#x}, model {want:#x}"
        drive = dict(clear=int(r.random() < 0.05), s0_set=r.randint(0, 1),
                     s0_index=r.randrange(unit.n_in + 1), h_spike=r.randint(0, 1),
                     h_gate=r.randint(0, 1), h_index=r.randrange(unit.n_hidden + 1),
                     g_pos_set=r.randint(0, 1), g_neg_set=r.randint(0, 1),
                     g_index=r.randrange(unit.n_hidden + 1))
        for n, v in drive.items():
            _port(dut, name, n).value = v
        model.tick(**drive)
    tb.log.info("%s: %d cycles, %.0f cycles/s", name, tb.cycles, tb.speed())


@cocotb.test()
async def update_sequencer_matches_model(dut):
    """Random W1 and W2 passes; the pre-row / column lists answer like synchronous memories;
    every accepted LR block request is scored in order, ``o_req`` under random backpressure."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    c = unit.sizes.config
    tb, r = await _start(dut, p)
    board = Scoreboard(f"{name}_o_req")
    req_shape = _payload_shape(unit, "o_req")

    def decode(word):
        q = unpack(req_shape, word)
        t = q["tag"]
        return (q["block"], t["phi"], t["q"], t["end_row"], t["last"], t["row"])

    sink = StreamSink(dut, f"{name}_o_req", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"], decode=decode,
                      callback=board.observe, reset=tb.rst)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    passes = 0
    while tb.cycles < p["cycles"]:
        w1 = r.randint(0, 1)
        if w1:
            rows = sorted(r.sample(range(c.n_in), r.randint(0, c.n_in))) + [c.n_in]
            cols = sorted(r.sample(range(c.n_hidden), r.randint(1, c.n_hidden)))
            want = lr_block_requests(rows, cols, c.n_hidden, 0)
        else:
            rows = sorted(r.sample(range(c.n_hidden), r.randint(0, c.n_hidden))) + [c.n_hidden]
            cols = r.sample(range(c.n_out), 2)
            want = lr_block_requests(rows, cols, c.n_out, c.n_in + 1)
        board.expect_all(want)
        expected = sink.count + len(want)
        await FallingEdge(tb.clk)
        port("w1").value = w1
        port("in_count").value = len(rows) if w1 else 0
        port("hid_count").value = 0 if w1 else len(rows)
        port("grad_count").value = len(cols) if w1 else 0
        port("grad_last").value = cols[-1] if w1 else 0
        port("col_pos").value = 0 if w1 else cols[0]
        port("col_neg").value = 0 if w1 else cols[1]
        port("start").value, port("run").value = 1, 0
        budget = 30 * len(want) + 50
        for _ in range(budget):
            await Timer(1, "ns")       # the addresses after this cycle's inputs and ready
            row_addr, col_addr = int(port("row_addr").value), int(port("col_addr").value)
            await FallingEdge(tb.clk)
            port("start").value, port("run").value = 0, 1
            row = rows[row_addr] if row_addr < len(rows) else 0
            port("in_row" if w1 else "hid_row").value = row
            port("grad_col").value = cols[col_addr] if w1 and col_addr < len(cols) else 0
            if sink.count >= expected:
                break
        assert sink.count == expected, f"pass {passes}: {sink.count} of {expected} requests " \
                                       f"within {budget} cycles"
        port("run").value = 0
        passes += 1
    await tb.wait(5)
    board.check()
    tb.log.info("%s: %d passes, %d cycles, %.0f cycles/s", name, passes, tb.cycles, tb.speed())


@cocotb.test()
async def draw_prefetcher_matches_model(dut):
    """Steps with random learn flags: the requests in slot order under backpressure, blocks
    answered after random delays, every slot's word read back after ``done``."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    req_shape = _payload_shape(unit, "o_req")
    got = []
    sink = StreamSink(dut, f"{name}_o_req", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"],
                      decode=lambda w: unpack(req_shape, w), callback=got.append, reset=tb.rst)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    steps = 0
    while tb.cycles < p["cycles"]:
        learn = r.randint(0, 1)
        want = prefetch_requests(unit.sizes, learn)
        words = [(r.getrandbits(32), r.getrandbits(32)) for _ in want]
        got.clear()
        await FallingEdge(tb.clk)
        port("run").value, port("learn").value = 1, learn
        answered, done = 0, False
        for _ in range(40 * len(want) + 50):
            respond = answered < len(got) and r.random() < 0.5
            port("blk_valid").value = int(respond)
            if respond:
                slot = got[answered]["tag"]
                port("blk_tag").value = slot
                port("blk_x0").value, port("blk_x1").value = words[slot]
                answered += 1
            await Timer(1, "ns")
            done = bool(int(port("done").value))
            assert done == (respond and answered == len(want)), f"step {steps}: done={done}"
            await FallingEdge(tb.clk)
            if done:
                break
        assert done, f"step {steps}: {answered} of {len(want)} blocks answered"
        assert [(q["stream"], q["block"]) for q in got] == want
        assert [q["tag"] for q in got] == list(range(len(want)))
        port("run").value, port("blk_valid").value = 0, 0
        for slot in r.sample(range(len(want)), len(want)):
            port("rd_addr").value = slot
            await FallingEdge(tb.clk)
            assert int(port("rd_data").value) == prefetch_word(*words[slot]), f"slot {slot}"
        steps += 1
    tb.log.info("%s: %d steps, %d requests, %d cycles, %.0f cycles/s", name, steps, sink.count,
                tb.cycles, tb.speed())


@cocotb.test()
async def sample_loader_matches_model(dut):
    """Samples with random valid gaps and random ``accept`` (backpressure): the first beat's
    fields and every pixel, read back in random order."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    c = unit.config
    tb, r = await _start(dut, p)
    shape = _payload_shape(unit, "i_sample")
    source = StreamSource(dut, f"{name}_i_sample", tb.clk, rng=tb.child_rng("src"),
                          valid_probability=p["valid_probability"],
                          encode=lambda b: pack(shape, b), reset=tb.rst)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    samples = 0
    while tb.cycles < p["cycles"]:
        label, learn, key = r.randrange(c.n_out), r.randint(0, 1), r.getrandbits(32)
        pixels = [r.randrange(256) for _ in range(c.n_in)]
        # later beats carry noise in label/learn/key: only the first beat's fields count
        source.extend(dict(pixel=px, label=label if i == 0 else r.randrange(c.n_out),
                           learn=learn if i == 0 else r.randint(0, 1),
                           key=key if i == 0 else r.getrandbits(32))
                      for i, px in enumerate(pixels))
        loaded = False
        for _ in range(40 * c.n_in):
            await FallingEdge(tb.clk)
            port("accept").value = int(r.random() < p["ready_probability"])
            await Timer(1, "ns")
            if int(port("loaded").value):
                loaded = True
                await FallingEdge(tb.clk)
                break
        assert loaded, f"sample {samples}: not loaded, {source.sent} beats taken"
        port("accept").value = 0
        assert int(port("busy").value) == 1
        fields = (int(port("label").value), int(port("learn").value), int(port("key").value))
        assert fields == (label, learn, key), f"sample {samples}: fields {fields}"
        for i in r.sample(range(c.n_in), c.n_in):
            port("pix_addr").value = i
            await FallingEdge(tb.clk)
            assert int(port("pixel").value) == pixels[i], f"sample {samples}: pixel {i}"
        port("release").value = 1
        await FallingEdge(tb.clk)
        port("release").value = 0
        assert int(port("busy").value) == 0 and source.idle()
        samples += 1
    tb.log.info("%s: %d samples, %d cycles, %.0f cycles/s", name, samples, tb.cycles, tb.speed())


@cocotb.test()
async def weight_read_back_matches_model(dut):
    """Random W1/W2 row requests with valid gaps, random ``allow`` and random ``o_read``
    backpressure: each answered with its memory row, in order."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    c = unit.config
    tb, r = await _start(dut, p)
    req_shape, row_shape = _payload_shape(unit, "i_read"), _payload_shape(unit, "o_read")
    board = Scoreboard(f"{name}_o_read")
    source = StreamSource(dut, f"{name}_i_read", tb.clk, rng=tb.child_rng("src"),
                          valid_probability=p["valid_probability"],
                          encode=lambda q: pack(req_shape, q), reset=tb.rst)
    sink = StreamSink(dut, f"{name}_o_read", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"],
                      decode=lambda w: unpack(row_shape, w), callback=board.observe,
                      reset=tb.rst)
    n = max(p["cycles"] // 8, 1)
    for _ in range(n):
        layer = r.randint(0, 1)
        row = r.randrange((c.n_hidden if layer else c.n_in) + 1)
        source.send_nowait(dict(layer=layer, row=row))
        board.expect([int(w) for w in unit.init[row + (c.n_in + 1 if layer else 0)]])
    while sink.count < n:
        await FallingEdge(tb.clk)
        _port(dut, name, "allow").value = int(r.random() < 0.8)
        assert tb.cycles < 40 * n + 100, f"{sink.count} of {n} rows read back"
    board.check()
    tb.log.info("%s: %d reads, %d cycles, %.0f cycles/s", name, n, tb.cycles, tb.speed())


@cocotb.test()
async def lr_gate_collector_matches_model(dut):
    """W1 passes over random rows and columns: the LR blocks of each row (lr_block_requests)
    with random gaps and random draws; gate, event, last and row checked every cycle."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    c = unit.sizes.config
    tb, r = await _start(dut, p)
    model = LRGateModel(lanes=unit.sizes.row_lanes, gate_bits=c.lr_gate_bits,
                        threshold=c.lr_gate_threshold)
    tag_shape = unit.signature.members["tag"].shape
    port = lambda n: _port(dut, name, n)  # noqa: E731
    port("valid").value = 0
    blocks = 0
    while tb.cycles < p["cycles"]:
        rows = sorted(r.sample(range(c.n_in), r.randint(0, c.n_in))) + [c.n_in]
        cols = sorted(r.sample(range(c.n_hidden), r.randint(1, c.n_hidden)))
        for _, phi, q, end_row, last, row in lr_block_requests(rows, cols, c.n_hidden, 0):
            tag = dict(phi=phi, q=q, end_row=end_row, last=last, row=row)
            idle = dict(phi=0, q=0, end_row=0, last=0, row=0)
            while True:
                await FallingEdge(tb.clk)
                valid = r.random() < p["valid_probability"]
                x0, x1 = r.getrandbits(32), r.getrandbits(32)
                drive = tag if valid else idle
                port("valid").value = int(valid)
                port("x0").value, port("x1").value = x0, x1
                port("tag").value = pack(tag_shape, drive)
                out = model.outputs(valid=valid, x0=x0, x1=x1, **drive)
                await Timer(1, "ns")
                for n in ("gate", "event", "last", "row"):
                    got = int(port(n).value)
                    assert got == out[n], f"block {blocks} {tag}: {n} = {got:#x}, model " \
                                          f"{out[n]:#x}"
                model.tick(out, valid=valid)
                if valid:
                    blocks += 1
                    break
    tb.log.info("%s: %d blocks, %d cycles, %.0f cycles/s", name, blocks, tb.cycles, tb.speed())
