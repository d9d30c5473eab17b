"""Amaranth-simulator tier of the SSNN-BP units: randomized stimulus vs the golden functions."""
import numpy as np
import pytest
from amaranth.hdl import Value

from snnforge.errors import ConfigError
from snnforge.golden_model import rng as grng
from snnforge.golden_model.ssnn_bp import units
from snnforge.hdl.ssnn_bp.encoder import InputEncoder
from snnforge.hdl.ssnn_bp.error_splitter import ErrorSplitter
from snnforge.hdl.ssnn_bp.neuron import CompositeNeuron
from snnforge.hdl.ssnn_bp.random_source import RandomDrawSource, ThreefryCore
from snnforge.hdl.ssnn_bp.weight_update import CoincidenceUpdater, pack_rows, unpack_row
from snnforge.hdl.ssnn_bp.wta import WinnerTakeAll
from snnforge.sim.amaranth_stream import run_streams, simulate
from snnforge.sim.budget import CycleBudget, stream_cycle_bound

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")


def _check_draw_source(dut, reqs, *, seed, width, lanes, r):
    """Stream the requests (stream, sample, step, base) through ``dut`` with random output
    backpressure; the draws must equal :func:`rng.random_draws` for every request, in order."""
    bound = stream_cycle_bound(len(reqs), interval=dut.interval, latency=dut.latency,
                               ready_probability=0.6)
    words = run_streams(
        dut, sources={"i_req": ([dict(stream=q[0], sample=q[1], step=q[2], base=q[3])
                                 for q in reqs], 1.0)},
        sinks={"o_draws": (len(reqs), 0.6)}, max_cycles=bound, seed=int(r.integers(1 << 16)))
    got = [[(word >> (width * l)) & ((1 << width) - 1) for l in range(lanes)]
           for word in words["o_draws"]]
    want = [grng.random_draws(seed=seed, stream=q[0], sample=q[1], step=q[2],
                              draw_index=q[3] + np.arange(lanes), width=width).tolist()
            for q in reqs]
    assert got == want


@pytest.mark.parametrize("width,lanes", [(8, 1), (8, 5), (16, 3), (16, 4)])
def test_random_source_matches_golden_for_any_lane_count(width, lanes):
    dut = RandomDrawSource(seed=0xDEADBEEF, width=width, lanes=lanes, rounds_per_stage=3)
    r = np.random.default_rng(lanes)
    reqs = [(int(r.integers(0, 1 << 16)), int(r.integers(0, 1 << 32)), int(r.integers(0, 1 << 16)),
             int(r.integers(0, 1 << 20))) for _ in range(40)]
    _check_draw_source(dut, reqs, seed=0xDEADBEEF, width=width, lanes=lanes, r=r)


def _edge_or_random(r, bits):
    """Mostly random values, sometimes the extremes 0 and 2**bits - 1 (carry/wrap paths)."""
    x = r.random()
    return 0 if x < 0.05 else (1 << bits) - 1 if x < 0.1 else int(r.integers(0, 1 << bits))


@pytest.mark.parametrize("architecture,rounds", [
    ("iterative", 1), ("iterative", 2), ("iterative", 3), ("iterative", 4), ("iterative", 5),
    ("iterative", 6), ("iterative", 7), ("iterative", 13), ("pipelined", 1), ("pipelined", 5)])
def test_threefry_core_matches_rng_blocks(architecture, rounds):
    """Blocks (x0, x1) and tags of the core equal rng.random_block over many (key, counter)
    values, with random request gaps and output backpressure; the iterative core takes one
    request per ceil(13 / rounds) + 1 cycles, the pipelined one per cycle."""
    seed = 0x9E3779B9 + rounds
    dut = ThreefryCore(seed=seed, tag_width=9, rounds_per_stage=rounds, architecture=architecture)
    r = np.random.default_rng(rounds + 100 * (architecture == "iterative"))
    n = 300 if architecture == "iterative" else 150
    reqs = [(_edge_or_random(r, 16), _edge_or_random(r, 32), _edge_or_random(r, 16),
             _edge_or_random(r, 32), i % 512) for i in range(n)]
    got, accepted = [], []
    budget = CycleBudget(stream_cycle_bound(n, interval=dut.interval, latency=dut.latency,
                                            valid_probability=0.8, ready_probability=0.7),
                         name="Threefry core")

    async def bench(ctx):
        pending = list(reqs)
        cycle = 0
        while len(got) < len(reqs):
            budget.spend(f"block {len(got)} of {len(reqs)}")
            ctx.set(dut.o_blk.ready, r.random() < 0.7)
            offer = bool(pending) and r.random() < 0.8
            if pending:
                q = pending[0]
                p = dut.i_req.payload
                ctx.set(p.stream, q[0]); ctx.set(p.sample, q[1]); ctx.set(p.step, q[2])
                ctx.set(p.block, q[3]); ctx.set(p.tag, q[4])
            ctx.set(dut.i_req.valid, offer)
            fire_in = offer and ctx.get(dut.i_req.ready)
            if ctx.get(dut.o_blk.valid) and ctx.get(dut.o_blk.ready):
                b = dut.o_blk.payload
                got.append((ctx.get(b.x0), ctx.get(b.x1), ctx.get(b.tag)))
            await ctx.tick()
            if fire_in:
                pending.pop(0)
                accepted.append(cycle)
            cycle += 1

    simulate(dut, bench)
    want = []
    for q in reqs:
        x0, x1 = grng.random_block(seed=seed, stream=q[0], sample=q[1], step=q[2],
                                   block_index=q[3])
        want.append((int(x0), int(x1), q[4]))
    assert got == want
    gaps = np.diff(accepted)
    # the iterative core registers the request, then iterates ceil(13 / rounds) times
    assert gaps.min() == dut.interval == (1 if architecture == "pipelined"
                                          else -(-13 // rounds) + 1)


@pytest.mark.parametrize("width,lanes,rounds", [(8, 3, 1), (16, 4, 4), (16, 1, 13)])
def test_iterative_random_source_matches_golden(width, lanes, rounds):
    dut = RandomDrawSource(seed=0xC0FFEE, width=width, lanes=lanes, rounds_per_stage=rounds,
                           architecture="iterative")
    r = np.random.default_rng(lanes + rounds)
    reqs = [(_edge_or_random(r, 16), _edge_or_random(r, 32), _edge_or_random(r, 16),
             _edge_or_random(r, 31)) for _ in range(60)]
    _check_draw_source(dut, reqs, seed=0xC0FFEE, width=width, lanes=lanes, r=r)


def test_encoder_matches_golden():
    dut = InputEncoder(lanes=8)
    r = np.random.default_rng(1)
    pix = r.integers(0, 256, (300, 8))
    pix[:20] = 0
    pix[20:40] = 255
    rnd = r.integers(0, 256, (300, 8))
    got = []

    async def bench(ctx):
        for p, q in zip(pix, rnd):
            for lane in range(8):
                ctx.set(dut.pixels[lane], int(p[lane]))
                ctx.set(dut.rand8[lane], int(q[lane]))
            got.append([(ctx.get(dut.spikes) >> lane) & 1 for lane in range(8)])
            await ctx.delay(1e-9)

    simulate(dut, bench)
    assert np.array_equal(np.array(got, dtype=bool), units.encode_input(pix, rnd))


@pytest.mark.parametrize("frac_bits,slope,beta", [(8, 0, 2), (5, 2, 0), (12, -3, 5),
                                                   (16, 0, 0), (1, 0, 0), (4, -1, 6),
                                                   (3, 3, 3), (10, 1, 8)])
def test_composite_neuron_matches_golden(frac_bits, slope, beta):
    acc, bb = 20, frac_bits + 4
    dut = CompositeNeuron(acc_bits=acc, b_bits=bb, frac_bits=frac_bits, slope_log2=slope,
                          beta_log2=beta)
    r = np.random.default_rng(frac_bits)
    n = 1500
    span = 1 << (frac_bits + 1 - min(slope, 0))
    u = np.concatenate([r.integers(-span, span, n - 200), r.integers(-(1 << 19), 1 << 19, 200)])
    b = r.integers(-(1 << (bb - 1)), 1 << (bb - 1), n)
    b[:50] = 0
    rf, rg = r.integers(0, 1 << 16, n), r.integers(0, 1 << 16, n)
    gate_in = r.random(n) < 0.7
    got = []

    async def bench(ctx):
        for i in range(n):
            ctx.set(dut.u, int(u[i])); ctx.set(dut.r_fwd, int(rf[i])); ctx.set(dut.b, int(b[i]))
            ctx.set(dut.r_grad, int(rg[i])); ctx.set(dut.gate_in, bool(gate_in[i]))
            got.append([ctx.get(s) for s in (dut.spike, dut.gate, dut.g_pos, dut.g_neg)])
            await ctx.delay(1e-9)

    simulate(dut, bench)
    got = np.array(got, dtype=bool)
    spike, gate = units.neuron_forward(u, rf, frac_bits=frac_bits, slope_log2=slope)
    gp, gn = units.neuron_backward(b, gate_in, rg, frac_bits=frac_bits, beta_log2=beta)
    assert np.array_equal(got, np.stack([spike, gate, gp, gn], axis=1))
    assert gate.any() and not gate.all() and gp.any() and gn.any()  # stimulus covers the cases


@pytest.mark.parametrize("n_out", [2, 10, 47])
def test_wta_matches_golden_with_ties(n_out):
    frac, ib, acc = 4, 4, 14
    dut = WinnerTakeAll(n_out=n_out, acc_bits=acc, index_bits=ib, frac_bits=frac, value_bits=8)
    r = np.random.default_rng(n_out)
    decisions = 40
    z = r.integers(-30, 30, (decisions, n_out))   # small range + coarse table: many ties
    rnd = r.integers(0, 1 << 16, (decisions, n_out))
    # a decision takes n_out candidates + 1 cycle (inhibition), plus the winner's latency
    bound = stream_cycle_bound(decisions, interval=n_out + 1 + dut.latency,
                               valid_probability=0.8, ready_probability=0.5)
    cands = [dict(z=int(z[d, k]), rand=int(rnd[d, k]))
             for d in range(decisions) for k in range(n_out)]
    got = run_streams(dut, sources={"i_cand": (cands, 0.8)},
                      sinks={"o_winner": (decisions, 0.5)}, max_cycles=bound,
                      seed=n_out)["o_winner"]
    table = units.gumbel_table(index_bits=ib, frac_bits=frac)
    assert got == units.wta(z, rnd, table, index_bits=ib).tolist()


def test_error_splitter_matches_golden():
    dut = ErrorSplitter(n_out=10)
    r = np.random.default_rng(5)
    win, lab = r.integers(0, 10, 200), r.integers(0, 10, 200)
    lab[::3] = win[::3]
    e_pos, e_neg = units.error_split(win, lab, n_out=10)
    count = int(e_pos.sum() + e_neg.sum())
    decisions = [dict(winner=int(w), label=int(y)) for w, y in zip(win, lab)]
    out = run_streams(dut, sources={"i_decision": (decisions, 1.0)},
                      sinks={"o_errors": (count, 0.5)}, max_cycles=1500, seed=5,
                      raw=False)["o_errors"]
    got = [(int(e.addr), int(e.negative)) for e in out]
    want = []
    for p, n in zip(e_pos, e_neg):
        want += [(int(k), 0) for k in np.flatnonzero(p)] + [(int(k), 1) for k in np.flatnonzero(n)]
    assert got == want


@pytest.mark.parametrize("shared_read_port,pregated,forward_writes", [
    (False, False, True), (True, False, True), (True, True, False)])
def test_weight_update_back_to_back_same_row_loses_nothing(shared_read_port, pregated,
                                                           forward_writes):
    """Every write equals the golden coincidence update; with forwarding, 60 % of the events
    hit the row written in the cycle before (without it the rows alternate, as the network's
    update passes guarantee); pregated events carry the golden gate bits instead of draws."""
    lanes, depth, wb = 3, 4, 4
    init = np.array([[7, -8, 0], [1, 2, 3], [0, 0, 0], [-1, -1, -1]])
    dut = CoincidenceUpdater(lanes=lanes, depth=depth, weight_bits=wb, gate_bits=4,
                           gate_threshold=11, init=init, shared_read_port=shared_read_port,
                           pregated=pregated, forward_writes=forward_writes)
    r = np.random.default_rng(2)
    n = 400
    if forward_writes:
        addr = r.integers(0, 2, n)      # two rows: many back-to-back hits on the same row
    else:
        addr = np.cumsum(r.integers(1, depth, n)) % depth   # never the previous row
    pos, neg = r.random((n, lanes)) < 0.5, r.random((n, lanes)) < 0.5
    rnd = r.integers(0, 1 << 16, (n, lanes))
    valid = r.random(n) < 0.85
    writes, reads = [], []

    async def bench(ctx):
        for i in range(n + 3):
            ctx.set(dut.rd_addr, int(r.integers(0, depth)))   # ignored while events come
            if i < n:
                p = dut.i_event.payload
                ctx.set(p.addr, int(addr[i]))
                ctx.set(p.pos, int(sum(int(b) << l for l, b in enumerate(pos[i]))))
                ctx.set(p.neg, int(sum(int(b) << l for l, b in enumerate(neg[i]))))
                for l in range(lanes):
                    if pregated:
                        ctx.set(p.gate[l], int(rnd[i, l] % 16 < 11))
                    else:
                        ctx.set(p.rand[l], int(rnd[i, l]))
            ctx.set(dut.i_event.valid, i < n and bool(valid[i]))
            if ctx.get(dut.o_write.valid):
                writes.append((ctx.get(dut.o_write.addr), ctx.get(Value.cast(dut.o_write.data))))
            await ctx.tick()
        for a in range(depth):              # read-back through the look-up port
            ctx.set(dut.rd_addr, a)
            await ctx.tick()
            reads.append(ctx.get(Value.cast(dut.rd_data)))

    simulate(dut, bench)
    mem = init.copy()
    want = []
    for i in np.flatnonzero(valid):
        a = addr[i]
        mem[a] = units.coincidence_update(mem[a], pre=True, post_pos=pos[i], post_neg=neg[i],
                                          rand16=rnd[i], gate_bits=4, gate_threshold=11,
                                          weight_bits=wb)
        want.append((int(a), pack_rows(mem[a][None], weight_bits=wb)[0]))
    assert writes == want
    assert reads == pack_rows(mem, weight_bits=wb)
    assert unpack_row(pack_rows(init, weight_bits=wb)[0], lanes=3, weight_bits=wb) == [7, -8, 0]


def test_bad_unit_parameters_raise_config_errors():
    with pytest.raises(ConfigError, match="n_out"):
        WinnerTakeAll(n_out=1, acc_bits=10, index_bits=4, frac_bits=4, value_bits=8)
    with pytest.raises(ConfigError, match="value_bits"):
        WinnerTakeAll(n_out=4, acc_bits=10, index_bits=8, frac_bits=8, value_bits=4)
    with pytest.raises(ConfigError, match="width"):
        RandomDrawSource(seed=0, width=12, lanes=2)
    with pytest.raises(ConfigError, match="init"):
        CoincidenceUpdater(lanes=2, depth=2, weight_bits=4, gate_bits=4, gate_threshold=3,
                         init=[[0, 9], [0, 0]])
    with pytest.raises(ConfigError, match="gate_threshold"):
        CoincidenceUpdater(lanes=2, depth=2, weight_bits=4, gate_bits=4, gate_threshold=17)
    with pytest.raises(ConfigError, match="shared_read_port must be True or False"):
        CoincidenceUpdater(lanes=2, depth=2, weight_bits=4, gate_bits=4, gate_threshold=3,
                         shared_read_port=1)
    for flag in ("pregated", "forward_writes"):
        with pytest.raises(ConfigError, match=f"{flag} must be True or False"):
            CoincidenceUpdater(lanes=2, depth=2, weight_bits=4, gate_bits=4, gate_threshold=3,
                             **{flag: "yes"})


def test_bad_random_core_parameters_raise_config_errors():
    for bad in ("Iterative", "unrolled", None, 1):
        with pytest.raises(ConfigError, match="architecture must be one of 'pipelined', "
                                              "'iterative'"):
            ThreefryCore(seed=0, architecture=bad)
        with pytest.raises(ConfigError, match="architecture must be one of"):
            RandomDrawSource(seed=0, width=16, lanes=2, architecture=bad)
    for bad in (0, 14, 2.0, True):
        with pytest.raises(ConfigError, match="rounds_per_stage must be an integer in 1..13"):
            ThreefryCore(seed=0, rounds_per_stage=bad, architecture="iterative")
    with pytest.raises(ConfigError, match="seed"):
        ThreefryCore(seed=1 << 32, architecture="iterative")
    with pytest.raises(ConfigError, match="tag_width"):
        ThreefryCore(seed=0, tag_width=0, architecture="iterative")
