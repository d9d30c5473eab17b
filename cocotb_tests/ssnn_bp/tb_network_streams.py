"""cocotb testbenches of the SSNN-BP network top's streamed sub-components on Verilator
(instances of :class:`~snnforge.sim.ssnn_bp_parts_harness.PartsHarness`), scored against the
models of :mod:`snnforge.sim.ssnn_bp_parts_model`.

Streamed parts (draw prefetcher, sample loader, weight read-back) get random valid gaps and
random backpressure, with the stream rules checked on every output; the FWD1 scan random
pixels and draws with random run gaps. The update-phase parts are in
:mod:`tb_network_update`.
Parameters (SNNFORGE_TB_PARAMS): as :mod:`tb_network_parts`.
"""
import cocotb
from cocotb.triggers import FallingEdge, Timer

import numpy as np

from snnforge.golden_model.ssnn_bp import units
from snnforge.sim.ssnn_bp_parts_model import prefetch_requests, prefetch_word
from snnforge.hdl.stream.codec import pack, unpack
from snnforge.sim import Scoreboard, StreamSink, StreamSource, tb_params

from tb_network_parts import DEFAULTS, _field, _payload_shape, _port, _start, _unit


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
    backpressure: each answered with its row's beats (W1 words of ``w1_lanes``, or the W2
    row), in order."""
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
    n, beats = max(p["cycles"] // 8, 1), 0
    for _ in range(n):
        layer = r.randint(0, 1)
        row = r.randrange((c.n_hidden if layer else c.n_in) + 1)
        source.send_nowait(dict(layer=layer, row=row))
        for beat in unit.beats(layer, row):
            board.expect(beat)
            beats += 1
    while sink.count < beats:
        await FallingEdge(tb.clk)
        _port(dut, name, "allow").value = int(r.random() < 0.8)
        assert tb.cycles < 40 * beats + 100, f"{sink.count} of {beats} beats read back"
    board.check()
    tb.log.info("%s: %d reads, %d cycles, %.0f cycles/s", name, n, tb.cycles, tb.speed())


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
