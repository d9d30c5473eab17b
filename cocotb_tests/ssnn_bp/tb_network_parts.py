"""cocotb testbenches of the SSNN-BP network top's sub-components on Verilator (instances of
:class:`~snnforge.hdl.ssnn_bp.parts_harness.PartsHarness`), scored against the models of
:mod:`snnforge.hdl.ssnn_bp.network_parts_model` that their Amaranth tests use.

Register-level parts (accumulator bank, event lists, HID group adder, step record) get a
random input vector every cycle; streamed parts (draw prefetcher, sample loader, weight
read-back) random valid gaps and random backpressure, with the stream rules checked on every
output; the update phase's sequencer and gate lanes random passes under random request
backpressure (the testbench plays the random cores); the FWD1 scan random pixels and draws with
random run gaps; the weight memory random updates, host writes and reads against the golden
updater.
Parameters (SNNFORGE_TB_PARAMS): instance, cycles, valid_probability, ready_probability, seed,
model_acc_bits (accumulator bank only: score against a model of another width, to prove the
check can fail; 0 = the unit's width).
"""
import random

import cocotb
from cocotb.triggers import FallingEdge, Timer

import numpy as np

from snnforge.golden_model.ssnn_bp import units
from snnforge.hdl.ssnn_bp.lr_lanes import lr_tag_layout
from snnforge.hdl.ssnn_bp.network_parts_model import (AccumulatorModel, StepRecordModel, wrap,
                                                      lr_gate, lr_lane_requests,
                                                      prefetch_requests, prefetch_word)
from snnforge.hdl.ssnn_bp.parts_harness import BANKED_INIT, PARTS_UNITS, WEIGHTS_INIT
from snnforge.hdl.stream.codec import pack, unpack
from snnforge.sim import Scoreboard, StreamSink, StreamSource, TB, tb_params

DEFAULTS = {"instance": "", "cycles": 2000, "valid_probability": 0.7, "ready_probability": 0.6,
            "seed": 1, "model_acc_bits": 0}


def _unit(instance):
    cls, params = PARTS_UNITS[instance]
    return cls(**params)


def _port(dut, instance, name):
    return getattr(dut, f"{instance}_{name}")


def _field(value, k, width):
    """Element ``k`` of an array port of ``width``-bit elements."""
    return (value >> (k * width)) & ((1 << width) - 1)


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
        group = r.randrange(unit.groups)
        _port(dut, name, "group_index").value = group
        await Timer(1, "ns")
        got = _port(dut, name, "value").value.to_signed()
        assert got == model.read(index), f"cycle {cycle}: u[{index}] = {got}, model " \
                                         f"{model.read(index)}"
        raw = int(_port(dut, name, "group_value").value)
        ab = unit.acc_bits
        got_group = [wrap(_field(raw, k, ab), ab) for k in range(unit.group)]
        assert got_group == model.read_group(group, unit.group), f"cycle {cycle}: group {group}"
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
async def group_event_list_matches_model(dut):
    """Random groups of up to ``lanes`` events per cycle (random masks, random idle cycles),
    then every position read back in random order; clear wins over append."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    port = {n: _port(dut, name, n) for n in ("clear", "append", "values", "rd_addr")}
    for n in port.values():
        n.value = 0
    n, width, events = unit.lanes, unit.width, 0
    while tb.cycles < p["cycles"]:
        want = []
        while True:
            mask = [int(r.random() < r.choice([0.0, 0.4, 1.0])) for _ in range(n)]
            if len(want) + sum(mask) > unit.depth:
                break
            values = [r.randrange(1 << width) for _ in range(n)]
            await FallingEdge(tb.clk)
            port["append"].value = sum(b << k for k, b in enumerate(mask))
            port["values"].value = sum(v << (width * k) for k, v in enumerate(values))
            want += [v for v, b in zip(values, mask) if b]
        await FallingEdge(tb.clk)
        port["append"].value = 0
        assert int(_port(dut, name, "count").value) == len(want)
        if want:
            assert int(_port(dut, name, "last").value) == want[-1]
        order = r.sample(range(len(want)), len(want))
        for k, i in enumerate(order + [None]):
            if k:                              # synchronous read: data of the last address
                got = int(_port(dut, name, "rd_data").value)
                assert got == want[order[k - 1]], f"entry {order[k - 1]}: {got}"
            if i is not None:
                port["rd_addr"].value = i
                await FallingEdge(tb.clk)
        port["clear"].value, port["append"].value = 1, (1 << n) - 1    # clear wins
        await FallingEdge(tb.clk)
        port["clear"].value, port["append"].value = 0, 0
        assert int(_port(dut, name, "count").value) == 0
        events += len(want)
    tb.log.info("%s: %d events, %d cycles, %.0f cycles/s", name, events, tb.cycles, tb.speed())


@cocotb.test()
async def row_group_sum_matches_model(dut):
    """A random mask and random rows (often at the weight range's ends) every cycle: the
    masked sum of each lane one cycle later, with ``sum_valid``."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    tb, r = await _start(dut, p)
    rows, lanes, wb, sb = unit.rows, unit.lanes, unit.weight_bits, unit.sum_bits
    lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
    expect = None
    for cycle in range(p["cycles"]):
        await FallingEdge(tb.clk)
        if expect is not None:
            valid, want = expect
            assert int(_port(dut, name, "sum_valid").value) == valid, f"cycle {cycle}"
            got = int(_port(dut, name, "sum").value)
            assert [wrap(_field(got, k, sb), sb) for k in range(lanes)] == want, f"cycle {cycle}"
        valid, mask = r.random() < 0.7, r.randrange(1 << rows)
        data = [[r.choice([lo, hi, r.randint(lo, hi)]) for _ in range(lanes)]
                for _ in range(rows)]
        _port(dut, name, "valid").value = int(valid)
        _port(dut, name, "mask").value = mask
        _port(dut, name, "rows_in").value = sum(
            (w & ((1 << wb) - 1)) << (wb * (i * lanes + k))
            for i, row in enumerate(data) for k, w in enumerate(row))
        expect = (int(valid), [sum(data[i][k] for i in range(rows) if (mask >> i) & 1)
                               for k in range(lanes)])
    tb.log.info("%s: %d cycles, %.0f cycles/s", name, tb.cycles, tb.speed())


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
                     g_index=r.randrange(unit.n_hidden + 1),
                     h_group_set=int(r.random() < 0.3), h_group=r.randrange(unit.groups),
                     h_group_spikes=r.randrange(1 << unit.group),
                     h_group_gates=r.randrange(1 << unit.group),
                     g_group_set=int(r.random() < 0.3), g_group=r.randrange(unit.groups),
                     g_group_pos=r.randrange(1 << unit.group),
                     g_group_neg=r.randrange(1 << unit.group))
        for n, v in drive.items():
            _port(dut, name, n).value = v
        model.tick(**drive)
    tb.log.info("%s: %d cycles, %.0f cycles/s", name, tb.cycles, tb.speed())


@cocotb.test()
async def draw_prefetcher_matches_model(dut):
    """Steps with random learn flags: each cycle's requests (consecutive slots, one per core)
    in slot order under random ``req_ready``, each cycle's blocks answered together after
    random delays, every slot's word read back after ``done``."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    cores, slot_bits = unit.cores, unit.slot_bits
    tb, r = await _start(dut, p)
    req_shape = unit.signature.members["req"].shape.elem_shape
    port = lambda n: _port(dut, name, n)  # noqa: E731
    for n in ("run", "learn", "req_ready", "blk_valid", "blk_tag", "blk_x0", "blk_x1"):
        port(n).value = 0
    steps = requests = 0
    while tb.cycles < p["cycles"]:
        learn = r.randint(0, 1)
        want = prefetch_requests(unit.sizes, learn)
        words = [(r.getrandbits(32), r.getrandbits(32)) for _ in want]
        got, pending = [], []
        await FallingEdge(tb.clk)
        port("run").value, port("learn").value = 1, learn
        answered, done = 0, False
        for _ in range(40 * len(want) + 50):
            ready = r.random() < p["ready_probability"]
            port("req_ready").value = int(ready)
            respond = bool(pending) and r.random() < 0.5
            group = pending.pop(0) if respond else []
            valid = tag = x0 = x1 = 0
            for k, slot in enumerate(group):
                valid |= 1 << k
                tag |= slot << (slot_bits * k)
                x0 |= words[slot][0] << (32 * k)
                x1 |= words[slot][1] << (32 * k)
            port("blk_valid").value, port("blk_tag").value = valid, tag
            port("blk_x0").value, port("blk_x1").value = x0, x1
            answered += len(group)
            await Timer(1, "ns")
            req_valid = int(port("req_valid").value)
            if ready and req_valid:
                raw = int(port("req").value)
                issued = []
                for k in range(cores):
                    if (req_valid >> k) & 1:
                        q = unpack(req_shape, _field(raw, k, req_shape.size))
                        got.append(q)
                        issued.append(q["tag"])
                pending.append(issued)
            done = bool(int(port("done").value))
            assert done == (respond and answered == len(want)), f"step {steps}: done={done}"
            await FallingEdge(tb.clk)
            if done:
                break
        assert done, f"step {steps}: {answered} of {len(want)} blocks answered"
        assert [(q["stream"], q["block"]) for q in got] == want
        assert [q["tag"] for q in got] == list(range(len(want)))
        requests += len(got)
        port("run").value, port("blk_valid").value = 0, 0
        for slot in r.sample(range(len(want)), len(want)):
            port("rd_addr").value = slot
            await FallingEdge(tb.clk)
            assert int(port("rd_data").value) == prefetch_word(*words[slot]), f"slot {slot}"
        steps += 1
    tb.log.info("%s: %d steps, %d requests, %d cycles, %.0f cycles/s", name, steps, requests,
                tb.cycles, tb.speed())


@cocotb.test()
async def sample_loader_matches_model(dut):
    """Samples streamed back to back with random valid gaps and random ``accept``
    (backpressure) into the two slots while the run slot's sample is read and released after a
    random time: the samples run in load order, each with its first beat's fields and every
    pixel (read back in random order); at most two are held; ``pending`` and ``busy`` follow."""
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
    groups = -(-c.n_in // 8)
    queued = []
    ran = 0
    port("release").value = 0
    while tb.cycles < p["cycles"]:
        while len(queued) < 3:           # keep the host ahead of the engine
            label, learn, key = r.randrange(c.n_out), r.randint(0, 1), r.getrandbits(32)
            pixels = [r.randrange(256) for _ in range(c.n_in)]
            # later beats carry noise in label/learn/key: only the first beat's fields count
            source.extend(dict(pixel=px, label=label if i == 0 else r.randrange(c.n_out),
                               learn=learn if i == 0 else r.randint(0, 1),
                               key=key if i == 0 else r.getrandbits(32))
                          for i, px in enumerate(pixels))
            queued.append((label, learn, key, pixels))
        loaded = False
        for _ in range(40 * c.n_in):
            await FallingEdge(tb.clk)
            port("accept").value = int(r.random() < p["ready_probability"])
            await Timer(1, "ns")
            if int(port("loaded").value):
                loaded = True
                break
        assert loaded, f"sample {ran}: not loaded, {source.sent} beats taken"
        label, learn, key, pixels = queued.pop(0)
        assert int(port("busy").value) == 1
        fields = (int(port("label").value), int(port("learn").value), int(port("key").value))
        assert fields == (label, learn, key), f"sample {ran}: fields {fields}"
        padded = pixels + [0] * (8 * groups - c.n_in)      # bytes past n_in read 0
        for g in r.sample(range(groups), groups):
            port("group_addr").value = g
            port("accept").value = int(r.random() < p["ready_probability"])
            await FallingEdge(tb.clk)
            word = int(port("pixels").value)
            got = [(word >> (8 * b)) & 255 for b in range(8)]
            assert got == padded[8 * g:8 * g + 8], f"sample {ran}: pixel group {g}"
        # the next sample has had time to load: with two held, the load slot is full
        if int(port("pending").value):
            assert int(port("i_sample__ready").value) == 0, f"sample {ran}: a third taken"
        port("release").value = 1
        await FallingEdge(tb.clk)
        port("release").value = 0
        ran += 1
    tb.log.info("%s: %d samples, %d cycles, %.0f cycles/s", name, ran, tb.cycles, tb.speed())


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
async def lr_lanes_match_model(dut):
    """Random W1 and W2 passes: every issue cycle's requests (lr_lane_requests) under random
    ``req_ready``, the blocks returned LATENCY cycles later with random draws, and each row's
    event gating every active column with its own draw."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    sizes, cores = unit.sizes, unit.cores
    c = sizes.config
    layout = lr_tag_layout(sizes)
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    latency = 3
    for n in ("s_start", "s_run", "s_req_ready", "g_valid", "g_x0", "g_x1", "g_tag"):
        port(n).value = 0
    passes = 0
    while tb.cycles < p["cycles"]:
        w1 = r.randint(0, 1)
        n_pre, n_post = (c.n_in, c.n_hidden) if w1 else (c.n_hidden, c.n_out)
        rows = sorted(r.sample(range(n_pre), r.randint(0, n_pre))) + [n_pre]
        if w1:
            cols = sorted(r.sample(range(n_post), r.randint(1, n_post)))
            pos, neg = 0, 0
        else:
            pos, neg = r.sample(range(n_post), 2)
            cols = sorted((pos, neg))
        want = lr_lane_requests(rows, cols, n_post, cores)
        await FallingEdge(tb.clk)
        port("s_w1").value = w1
        port("s_grad_mask").value = sum(1 << col for col in cols) if w1 else 0
        port("s_col_pos").value, port("s_col_neg").value = pos, neg
        port("s_in_count").value = len(rows) if w1 else 0
        port("s_hid_count").value = 0 if w1 else len(rows)
        port("s_start").value = 1
        await Timer(1, "ns")
        addr = int(port("s_row_addr").value)
        issued, blocks, events, flight = [], {}, [], []
        for cycle in range(40 * len(want) + 40):
            await FallingEdge(tb.clk)
            port("s_start").value, port("s_run").value = 0, 1
            port("s_in_row" if w1 else "s_hid_row").value = rows[addr] if addr < len(rows) else 0
            ready = r.random() < p["ready_probability"]
            port("s_req_ready").value = int(ready)
            arriving = flight.pop(0)[1] if flight and flight[0][0] == cycle else {}
            valid = x0 = x1 = tags = 0
            for k, (blk, tag) in arriving.items():
                valid |= 1 << k
                x0 |= (blk & 0xFFFFFFFF) << (32 * k)
                x1 |= (blk >> 32) << (32 * k)
                tags |= tag << (layout.size * k)
            port("g_valid").value, port("g_x0").value, port("g_x1").value = valid, x0, x1
            port("g_tag").value = tags
            await Timer(1, "ns")
            req_valid = int(port("s_req_valid").value)
            got, data = {}, {}
            for k in range(cores):
                if (req_valid >> k) & 1:
                    raw = _field(int(port("s_req_tag").value), k, layout.size)
                    t = unpack(layout, raw)
                    got[k] = (_field(int(port("s_req_block").value), k, 32), t["phi"], t["q"],
                              t["end_row"], t["last"], t["row"])
                    data[k] = (r.getrandbits(64), raw)
                    blocks[(t["row"], t["q"])] = data[k][0]
            if ready and got:
                issued.append(got)
                flight.append((cycle + latency, data))
            elif not ready:      # nothing was taken: the draws drawn above are not used
                for k, (_, _, q, _, _, row) in got.items():
                    blocks.pop((row, q))
            if int(port("g_event").value):
                events.append((int(port("g_row").value), int(port("g_gate").value)))
                if int(port("g_last").value):
                    break
            addr = int(port("s_row_addr").value)
        await FallingEdge(tb.clk)
        port("s_run").value = port("g_valid").value = 0
        assert issued == want, f"pass {passes}: requests differ from lr_lane_requests"
        assert [row for row, _ in events] == rows, f"pass {passes}: events of rows"
        for row, gate in events:
            phi = row * n_post % 4
            for col in cols:
                q, w = (phi + col) // 4, (phi + col) % 4
                want_gate = lr_gate(blocks[(row, q)], w, gate_bits=c.lr_gate_bits,
                                    threshold=c.lr_gate_threshold)
                assert (gate >> col) & 1 == want_gate, f"pass {passes}: row {row} col {col}"
        passes += 1
    tb.log.info("%s: %d passes, %d cycles, %.0f cycles/s", name, passes, tb.cycles, tb.speed())


@cocotb.test()
async def input_scan_matches_model(dut):
    """Random pixels (sparse to dense) and draws, random ``run`` gaps: the issued rows are the
    spiking pixels of golden encode_input in order, then the bias row with ``done``."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    n_in, groups = unit.n_in, unit.groups
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    for n in ("start", "run", "pixels", "draws"):
        port(n).value = 0
    samples = 0
    while tb.cycles < p["cycles"]:
        density = r.random()
        pixels = [r.randrange(256) if r.random() < density else 0 for _ in range(n_in)]
        draws = [r.randrange(256) for _ in range(8 * groups)]
        spikes = units.encode_input(np.array(pixels, np.uint8), np.array(draws[:n_in]))
        want = [int(i) for i in np.flatnonzero(spikes)] + [n_in]
        padded = pixels + [0] * (8 * groups - n_in)
        word = lambda v, g: sum(x << (8 * b) for b, x in enumerate(v[8 * g:8 * g + 8]))  # noqa
        await FallingEdge(tb.clk)
        port("start").value = 1
        await FallingEdge(tb.clk)
        port("start").value = 0
        rows, addr = [], None
        for _ in range(20 * (groups + n_in) + 20):
            run = r.random() < p["valid_probability"]
            port("run").value = int(run)
            if addr is not None:
                port("pixels").value = word(padded, addr)
                port("draws").value = word(draws, addr)
            await Timer(1, "ns")
            done = int(port("done").value)
            if int(port("row_valid").value):
                assert run, "a row issued without run"
                rows.append(int(port("row").value))
            addr = int(port("group_addr").value)
            await FallingEdge(tb.clk)
            if done:
                break
        port("run").value = 0
        assert rows == want, f"sample {samples}: rows {rows}, encode_input {want}"
        samples += 1
    tb.log.info("%s: %d samples, %d cycles, %.0f cycles/s", name, samples, tb.cycles, tb.speed())


@cocotb.test()
async def network_weights_match_model(dut):
    """Random update events (never one row twice in a row), host writes and reads against
    golden coincidence_update from the harness's initial weights."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    lanes, depth, wb = unit.lanes, unit.depth, unit.weight_bits
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    model = np.array(WEIGHTS_INIT, dtype=np.int64)
    lo, hi = -(1 << (wb - 1)), 1 << (wb - 1)
    pack_row = lambda v: sum((int(x) & ((1 << wb) - 1)) << (wb * i) for i, x in enumerate(v))  # noqa
    for n in ("i_event__valid", "wr_en", "rd_addr", "wr_addr", "wr_data", "i_event__payload"):
        port(n).value = 0
    checks, last_row = 0, None
    bits = lambda v: sum(int(b) << i for i, b in enumerate(v))  # noqa: E731
    ev_shape = _payload_shape(unit, "i_event")
    while tb.cycles < p["cycles"]:
        kind = r.choice(["event", "event", "write", "read"])
        await FallingEdge(tb.clk)
        port("i_event__valid").value = port("wr_en").value = 0
        if kind == "event":
            row = r.randrange(depth)
            if row == last_row:
                row = (row + 1) % depth
            pos, neg, gate = ([r.random() < 0.5 for _ in range(lanes)] for _ in range(3))
            port("i_event__payload").value = pack(ev_shape, {
                "addr": row, "pos": bits(pos), "neg": bits(neg), "gate": bits(gate)})
            port("i_event__valid").value = 1
            model[row] = units.coincidence_update(
                model[row], pre=True, post_pos=np.array(pos), post_neg=np.array(neg),
                rand16=np.where(gate, 0, 1 << 15), gate_bits=16, gate_threshold=1 << 15,
                weight_bits=wb)
            last_row = row
            continue
        if last_row is not None:              # the last event's write lands first
            last_row = None
            await FallingEdge(tb.clk)
        if kind == "write":
            row, values = r.randrange(depth), [r.randrange(lo, hi) for _ in range(lanes)]
            port("wr_addr").value, port("wr_data").value = row, pack_row(values)
            port("wr_en").value = 1
            model[row] = values
            await FallingEdge(tb.clk)
            port("wr_en").value = 0
        else:
            row = r.randrange(depth)
            port("rd_addr").value = row
            await FallingEdge(tb.clk)
            word = int(port("rd_data").value)
            got = [((word >> (wb * i)) & ((1 << wb) - 1)) for i in range(lanes)]
            got = [v - (1 << wb) if v >> (wb - 1) else v for v in got]
            assert got == model[row].tolist(), f"read {checks}: row {row}"
            checks += 1
    tb.log.info("%s: %d reads checked, %d cycles", name, checks, tb.cycles)


@cocotb.test()
async def banked_weights_match_model(dut):
    """Random update events (never one row twice in a row), host writes, row reads and group
    reads of the banked memory against golden coincidence_update from its initial weights."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    unit = _unit(name)
    lanes, rows, banks = unit.lanes, unit.rows, unit.banks
    wb = unit.units[0].weight_bits
    tb, r = await _start(dut, p)
    port = lambda n: _port(dut, name, n)  # noqa: E731
    model = np.zeros((unit.depth * banks, lanes), dtype=np.int64)
    model[:rows] = BANKED_INIT
    lo, hi = -(1 << (wb - 1)), 1 << (wb - 1)
    pack_row = lambda v: sum((int(x) & ((1 << wb) - 1)) << (wb * i) for i, x in enumerate(v))  # noqa
    unpack_rows = lambda word, n: [[(lambda v: v - (1 << wb) if v >> (wb - 1) else v)(  # noqa
        (word >> (wb * (lanes * k + i))) & ((1 << wb) - 1)) for i in range(lanes)]
        for k in range(n)]
    bits = lambda v: sum(int(b) << i for i, b in enumerate(v))  # noqa: E731
    ev_shape = _payload_shape(unit, "i_event")
    for n in ("i_event__valid", "i_event__payload", "wr_en", "wr_addr", "wr_data", "rd_row",
              "group_mode", "rd_group"):
        port(n).value = 0
    checks, last_row = 0, None
    while tb.cycles < p["cycles"]:
        kind = r.choice(["event", "event", "write", "row", "group"])
        await FallingEdge(tb.clk)
        port("i_event__valid").value = port("wr_en").value = port("group_mode").value = 0
        if kind == "event":
            row = r.randrange(rows)
            if row == last_row:
                row = (row + 1) % rows
            pos, neg, gate = ([r.random() < 0.5 for _ in range(lanes)] for _ in range(3))
            port("i_event__payload").value = pack(ev_shape, {
                "addr": row, "pos": bits(pos), "neg": bits(neg), "gate": bits(gate)})
            port("i_event__valid").value = 1
            model[row] = units.coincidence_update(
                model[row], pre=True, post_pos=np.array(pos), post_neg=np.array(neg),
                rand16=np.where(gate, 0, 1 << 15), gate_bits=16, gate_threshold=1 << 15,
                weight_bits=wb)
            last_row = row
            continue
        if last_row is not None:              # the last event's write lands first
            last_row = None
            await FallingEdge(tb.clk)
        if kind == "write":
            row, values = r.randrange(rows), [r.randrange(lo, hi) for _ in range(lanes)]
            port("wr_addr").value, port("wr_data").value = row, pack_row(values)
            port("wr_en").value = 1
            model[row] = values
            await FallingEdge(tb.clk)
            port("wr_en").value = 0
        elif kind == "row":
            row = r.randrange(rows)
            port("rd_row").value = row
            await FallingEdge(tb.clk)
            got = unpack_rows(int(port("rd_data").value), 1)[0]
            assert got == model[row].tolist(), f"read {checks}: row {row}"
            checks += 1
        else:
            g = r.randrange(unit.depth)
            port("group_mode").value, port("rd_group").value = 1, g
            await FallingEdge(tb.clk)
            port("group_mode").value = 0
            got = unpack_rows(int(port("group_data").value), banks)
            assert got == model[g * banks:(g + 1) * banks].tolist(), f"read {checks}: group {g}"
            checks += 1
    tb.log.info("%s: %d reads checked, %d cycles", name, checks, tb.cycles)
