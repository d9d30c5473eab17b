"""cocotb testbenches of the SSNN-BP units on Verilator (instances of the unit harness,
:mod:`snnforge.sim.ssnn_bp_unit_harness`), each scored against its golden function from
:mod:`snnforge.golden_model.ssnn_bp.units` / :mod:`snnforge.golden_model.rng`.

Combinational units (encoder, composite neuron) are checked every cycle; streamed units every
transaction with random valid gaps and random backpressure, plus their cycle-exact latency.
Parameters (SNNFORGE_TB_PARAMS): instance, golden_instance (neuron only: score against
another instance's parameters, to prove the check can fail), cycles, valid_probability, ready_probability, seed.
"""
import numpy as np

import cocotb
from cocotb.triggers import FallingEdge, RisingEdge, Timer

from snnforge.sim import Scoreboard, StreamSink, StreamSource, TB, tb_params
from snnforge.golden_model import rng as grng
from snnforge.golden_model.ssnn_bp import units
from snnforge.sim.ssnn_bp_unit_harness import HARNESS_UNITS, harness_params
from snnforge.hdl.stream import decode_event
from snnforge.hdl.stream.codec import pack, unpack
from snnforge.hdl.ssnn_bp.weight_update import pack_rows
from snnforge.hdl.ssnn_bp.wta import WinnerTakeAll

WTA_LATENCY = WinnerTakeAll.latency

DEFAULTS = {"instance": "", "golden_instance": "", "cycles": 10000, "valid_probability": 0.7,
            "ready_probability": 0.6, "seed": 1}


def _port(dut, instance, name):
    return getattr(dut, f"{instance}_{name}")


def _layout(instance, port):
    unit_cls, params = HARNESS_UNITS[instance]
    member = unit_cls(**params).signature.members[port]
    return member.signature.members["payload"].shape


def _bits(word, n):
    return np.array([(int(word) >> i) & 1 for i in range(n)], dtype=bool)


@cocotb.test()
async def random_source_matches_golden(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    u = harness_params(name)
    tb = TB(dut, seed=p["seed"])
    r = np.random.default_rng(p["seed"])
    req_layout = _layout(name, "i_req")
    n = p["cycles"] // 2
    reqs = [dict(stream=int(r.integers(0, 1 << 16)), sample=int(r.integers(0, 1 << 32)),
                 step=int(r.integers(0, 1 << 16)), base=int(r.integers(0, 1 << 31)))
            for _ in range(n)]
    board = Scoreboard(f"{name}_o_draws")
    for q in reqs:
        board.expect(grng.random_draws(seed=u["seed"], stream=q["stream"], sample=q["sample"],
                                       step=q["step"], draw_index=q["base"] + np.arange(u["lanes"]),
                                       width=u["width"]).tolist())
    draws_layout = _layout(name, "o_draws")
    source = StreamSource(dut, f"{name}_i_req", tb.clk, rng=tb.child_rng("src"),
                          valid_probability=p["valid_probability"],
                          encode=lambda q: pack(req_layout, q), reset=tb.rst)
    sink = StreamSink(dut, f"{name}_o_draws", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"],
                      decode=lambda w: unpack(draws_layout, w), callback=board.observe,
                      reset=tb.rst)
    await tb.reset()
    source.extend(reqs)
    await sink.wait_count(n, timeout_cycles=50 * n + 100)
    await tb.wait(20)
    board.check()
    # cycle-exact latency without backpressure (the unit's latency attribute)
    sink.ready_probability = 1.0
    await tb.wait(2)
    valid, ready = _port(dut, name, "i_req__valid"), _port(dut, name, "o_draws__ready")
    out_valid = _port(dut, name, "o_draws__valid")
    await FallingEdge(tb.clk)
    _port(dut, name, "i_req__payload").value = pack(req_layout, reqs[0])
    valid.value = 1
    await RisingEdge(tb.clk)
    await FallingEdge(tb.clk)
    valid.value = 0
    latency = 0
    while not int(out_valid.value):
        await RisingEdge(tb.clk)
        await FallingEdge(tb.clk)
        latency += 1
        assert latency < 20, "no output"
    # ceil(13 / rounds) cycles, + 1: both cores first register the raw request
    want = -(-13 // u["rounds_per_stage"]) + 1
    assert want == HARNESS_UNITS[name][0](**u).latency
    assert latency + 1 == want, f"latency {latency + 1} cycles, expected {want}"
    assert int(ready.value) == 1
    tb.log.info("%s: %d requests, %d cycles, %.0f cycles/s", name, n, tb.cycles, tb.speed())


async def _comb_vectors(dut, tb, count, drive, check):
    """Drive one random input vector per clock cycle and check the outputs in that cycle."""
    for i in range(count):
        await FallingEdge(tb.clk)
        expected = drive(i)
        await Timer(1, "ns")
        check(i, expected)


@cocotb.test()
async def encoder_matches_golden(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    lanes = harness_params(name)["lanes"]
    tb = TB(dut, seed=p["seed"])
    r = np.random.default_rng(p["seed"])
    n = p["cycles"]
    pix = r.integers(0, 256, (n, lanes))
    pix[: n // 20] = 0
    pix[n // 20: n // 10] = 255
    rnd = r.integers(0, 256, (n, lanes))
    want = units.encode_input(pix, rnd)
    pixels, rand8, spikes = (_port(dut, name, s) for s in ("pixels", "rand8", "spikes"))

    def drive(i):
        pixels.value = sum(int(v) << (8 * k) for k, v in enumerate(pix[i]))
        rand8.value = sum(int(v) << (8 * k) for k, v in enumerate(rnd[i]))

    def check(i, _):
        got = _bits(spikes.value.to_unsigned(), lanes)
        assert np.array_equal(got, want[i]), f"cycle {i}: spikes {got} != golden {want[i]}"

    await _comb_vectors(dut, tb, n, drive, check)
    tb.log.info("%s: %d cycles, %.0f cycles/s", name, tb.cycles, tb.speed())


@cocotb.test()
async def composite_neuron_matches_golden(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    u_ = harness_params(p["golden_instance"] or name)   # (another instance: a must-fail check)
    tb = TB(dut, seed=p["seed"])
    r = np.random.default_rng(p["seed"])
    n = p["cycles"]
    fb, s, acc, bb = u_["frac_bits"], u_["slope_log2"], u_["acc_bits"], u_["b_bits"]
    span = min(1 << (fb + 1 - min(s, 0)), 1 << (acc - 1))
    uu = np.where(r.random(n) < 0.85, r.integers(-span, span, n),
                  r.integers(-(1 << (acc - 1)), 1 << (acc - 1), n))
    bspan = min((1 << fb) >> u_["beta_log2"], 1 << (bb - 1)) + 2
    b = np.where(r.random(n) < 0.8, r.integers(-bspan, bspan, n),
                 r.integers(-(1 << (bb - 1)), 1 << (bb - 1), n))
    rf, rg = r.integers(0, 1 << 16, n), r.integers(0, 1 << 16, n)
    gate_in = r.random(n) < 0.7
    spike, gate = units.neuron_forward(uu, rf, frac_bits=fb, slope_log2=s)
    gp, gn = units.neuron_backward(b, gate_in, rg, frac_bits=fb, beta_log2=u_["beta_log2"])
    want = np.stack([spike, gate, gp, gn], axis=1)
    ports = {k: _port(dut, name, k) for k in ("u", "r_fwd", "b", "gate_in", "r_grad", "spike",
                                             "gate", "g_pos", "g_neg")}

    def drive(i):
        ports["u"].value = int(uu[i]) & ((1 << len(ports["u"])) - 1)
        ports["b"].value = int(b[i]) & ((1 << len(ports["b"])) - 1)
        ports["r_fwd"].value = int(rf[i])
        ports["r_grad"].value = int(rg[i])
        ports["gate_in"].value = int(gate_in[i])

    def check(i, _):
        got = [bool(int(ports[k].value)) for k in ("spike", "gate", "g_pos", "g_neg")]
        assert got == want[i].tolist(), (f"cycle {i}: u={uu[i]} b={b[i]} (spike, gate, g+, g-) "
                                         f"= {got}, golden {want[i].tolist()}")

    await _comb_vectors(dut, tb, n, drive, check)
    assert want.any(axis=0).all() and not want[:, 1].all(), "stimulus misses a case"
    tb.log.info("%s: %d cycles, %.0f cycles/s", name, tb.cycles, tb.speed())


@cocotb.test()
async def wta_matches_golden(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    u = harness_params(name)
    C, ib, fb = u["n_out"], u["index_bits"], u["frac_bits"]
    tb = TB(dut, seed=p["seed"])
    r = np.random.default_rng(p["seed"])
    decisions = max(p["cycles"] // (C + 1), 10)
    span = 3 << fb                      # z comparable to the noise: every class can win
    z = r.integers(-span, span, (decisions, C))
    z[: decisions // 4] = z[: decisions // 4, :1]   # equal z: ties decided by the table
    rnd = r.integers(0, 1 << 16, (decisions, C))
    table = units.gumbel_table(index_bits=ib, frac_bits=fb)
    want = units.wta(z, rnd, table, index_bits=ib).tolist()
    board = Scoreboard(f"{name}_o_winner")
    board.expect_all(want)
    cand_layout = _layout(name, "i_cand")
    cands = [dict(z=int(z[d, k]), rand=int(rnd[d, k])) for d in range(decisions) for k in range(C)]
    source = StreamSource(dut, f"{name}_i_cand", tb.clk, rng=tb.child_rng("src"),
                          valid_probability=p["valid_probability"],
                          encode=lambda c: pack(cand_layout, c), reset=tb.rst)
    # own sink loop: a 1-bit payload (C = 2) reads as a cocotb Logic, not a LogicArray
    out_valid, out_ready = _port(dut, name, "o_winner__valid"), _port(dut, name, "o_winner__ready")
    out_payload = _port(dut, name, "o_winner__payload")
    sink_rng = tb.child_rng("sink")
    out_ready.value = 0
    await tb.reset()
    source.extend(cands)
    received = 0
    while received < decisions:
        ready = int(sink_rng.random() < p["ready_probability"])
        out_ready.value = ready
        await RisingEdge(tb.clk)
        if ready and int(out_valid.value):
            board.observe(int(out_payload.value))
            received += 1
        assert tb.cycles < 20 * len(cands) + 100, f"{received} of {decisions} winners"
    out_ready.value = 1
    await tb.wait(10)
    assert not int(out_valid.value), "an extra winner"
    board.check()
    assert len(set(want)) == C or C > 20 and len(set(want)) > C // 2, "winners not diverse"
    # cycle-exact timing without gaps or backpressure: the winner is valid exactly
    # WinnerTakeAll.latency cycles after its last candidate is taken, and a decision occupies
    # C + 1 cycles (inhibition blocks the next candidate while the winner is offered; see below
    # for C = 2)
    burst = 6
    z2 = r.integers(-span, span, (burst, C))
    rnd2 = r.integers(0, 1 << 16, (burst, C))
    want2 = units.wta(z2, rnd2, table, index_bits=ib).tolist()
    in_valid, in_ready = _port(dut, name, "i_cand__valid"), _port(dut, name, "i_cand__ready")
    source.valid_probability = 1.0
    source.extend(dict(z=int(z2[d, k]), rand=int(rnd2[d, k])) for d in range(burst) for k in range(C))
    taken, last_taken, seen = 0, [], []
    for _ in range(burst * (C + 1) + 20):
        await RisingEdge(tb.clk)
        if int(in_valid.value) and int(in_ready.value):
            taken += 1
            if taken % C == 0:
                last_taken.append(tb.cycles)
        if int(out_valid.value):
            seen.append((tb.cycles, int(out_payload.value)))
    assert [w for _, w in seen] == want2, f"burst winners {seen}, golden {want2}"
    gaps = [c - t for (c, _), t in zip(seen, last_taken)]
    assert gaps == [WTA_LATENCY] * burst, f"winner latency {gaps} cycles, expected {WTA_LATENCY}"
    period = [b - a for a, b in zip(last_taken, last_taken[1:])]
    # n_out = 2: the next decision's last candidate waits for the winner (latency + 1 cycles)
    want_period = max(C + 1, WTA_LATENCY + 1)
    assert period == [want_period] * (burst - 1), \
        f"cycles per decision {period}, expected {want_period}"
    tb.log.info("%s: %d decisions, %d cycles, %.0f cycles/s", name, decisions, tb.cycles,
                tb.speed())


@cocotb.test()
async def error_splitter_matches_golden(dut):
    p = tb_params(DEFAULTS)
    name = p["instance"]
    C = harness_params(name)["n_out"]
    tb = TB(dut, seed=p["seed"])
    r = np.random.default_rng(p["seed"])
    n = p["cycles"] // 2
    win, lab = r.integers(0, C, n), r.integers(0, C, n)
    lab[::3] = win[::3]
    e_pos, e_neg = units.error_split(win, lab, n_out=C)
    board = Scoreboard(f"{name}_o_errors")
    for pos, neg in zip(e_pos, e_neg):
        board.expect_all([(int(k), False) for k in np.flatnonzero(pos)]
                         + [(int(k), True) for k in np.flatnonzero(neg)])
    aw = max((C - 1).bit_length(), 1)
    dec_layout = _layout(name, "i_decision")
    source = StreamSource(dut, f"{name}_i_decision", tb.clk, rng=tb.child_rng("src"),
                          valid_probability=p["valid_probability"],
                          encode=lambda d: pack(dec_layout, d), reset=tb.rst)
    sink = StreamSink(dut, f"{name}_o_errors", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"],
                      decode=lambda w: decode_event(w, addr_width=aw), callback=board.observe,
                      reset=tb.rst)
    await tb.reset()
    source.extend(dict(winner=int(w), label=int(l)) for w, l in zip(win, lab))
    expected = int(e_pos.sum() + e_neg.sum())
    await sink.wait_count(expected, timeout_cycles=20 * n + 100)
    await source.wait_idle(timeout_cycles=20 * n + 100)
    await tb.wait(20)
    board.check()
    tb.log.info("%s: %d decisions, %d cycles, %.0f cycles/s", name, n, tb.cycles, tb.speed())


@cocotb.test()
async def weight_update_matches_golden(dut):
    """Random events (many back-to-back on the same row); each write checked in the cycle it
    happens (one cycle after the event), then every row read back."""
    p = tb_params(DEFAULTS)
    name = p["instance"]
    u = harness_params(name)
    lanes, depth, wb = u["lanes"], u["depth"], u["weight_bits"]
    tb = TB(dut, seed=p["seed"])
    r = np.random.default_rng(p["seed"])
    n = p["cycles"]
    hot = r.integers(0, depth, 2)
    addr = np.where(r.random(n) < 0.6, hot[r.integers(0, 2, n)], r.integers(0, depth, n))
    pos, neg = r.random((n, lanes)) < 0.4, r.random((n, lanes)) < 0.4
    rnd = r.integers(0, 1 << 16, (n, lanes))
    valid = r.random(n) < p["valid_probability"]
    ev_layout = _layout(name, "i_event")
    ev_valid, ev_payload = _port(dut, name, "i_event__valid"), _port(dut, name, "i_event__payload")
    write_port = _port(dut, name, "o_write")
    unit_cls, unit_params = HARNESS_UNITS[name]
    write_layout = unit_cls(**unit_params).signature.members["o_write"].shape
    mem = np.zeros((depth, lanes), dtype=np.int64)
    pending = None
    hit_lo = hit_hi = False
    ev_valid.value, ev_payload.value = 0, 0  # driven from the start (Icarus: Z otherwise)
    await tb.reset()
    checked = 0
    for i in range(n + 2):
        await FallingEdge(tb.clk)
        # the write of the event accepted at the previous rising edge is visible now
        write = unpack(write_layout, int(write_port.value))
        if pending is None:
            assert not write["valid"], f"cycle {i}: unexpected write"
        else:
            a, new = pending
            assert write["valid"] and write["addr"] == a, f"cycle {i}: write of row {a} missing"
            assert write["data"] == new.tolist(), \
                f"cycle {i}: row {a} written {write['data']}, golden {new.tolist()}"
            checked += 1
        pending = None
        if i < n:
            ev_payload.value = pack(ev_layout, dict(
                addr=int(addr[i]), pos=int(sum(int(b) << k for k, b in enumerate(pos[i]))),
                neg=int(sum(int(b) << k for k, b in enumerate(neg[i]))),
                rand=[int(v) for v in rnd[i]]))
            ev_valid.value = int(valid[i])
            if valid[i]:
                a = int(addr[i])
                mem[a] = units.coincidence_update(mem[a], pre=True, post_pos=pos[i],
                                                  post_neg=neg[i], rand16=rnd[i],
                                                  gate_bits=u["gate_bits"],
                                                  gate_threshold=u["gate_threshold"],
                                                  weight_bits=wb)
                pending = (a, mem[a].copy())
                hit_lo |= bool((mem[a] == -(1 << (wb - 1))).any())
                hit_hi |= bool((mem[a] == (1 << (wb - 1)) - 1).any())
        else:
            ev_valid.value = 0
    rd_addr, rd_data = _port(dut, name, "rd_addr"), _port(dut, name, "rd_data")
    for a in range(depth):
        await FallingEdge(tb.clk)
        rd_addr.value = a
        await FallingEdge(tb.clk)
        assert int(rd_data.value) == pack_rows(mem[a][None], weight_bits=wb)[0], f"row {a} read back"
    assert checked == int(valid.sum())
    assert (hit_lo and hit_hi) or wb > 6, "saturation at both limits not exercised"
    tb.log.info("%s: %d events, %d cycles, %.0f cycles/s", name, checked, tb.cycles, tb.speed())
