"""Unit promises that random stimulus hit too rarely, each found by a surviving mutant of
benchmarks/mutation.py (named in each test): the composite neuron at the exact edges of its
derivative gate and of its spike and gradient probabilities, and the SpikeGrad weight-update
stage's documented rate of one update per cycle."""
import numpy as np
import pytest
from amaranth.hdl import Value
from amaranth.sim import Simulator

from snnforge.golden_model.spikegrad.units import weight_update
from snnforge.golden_model.ssnn_bp import units
from snnforge.hdl.spikegrad.weight_update import GradientWeightUpdate
from snnforge.sim.ssnn_bp_unit_harness import HARNESS_UNITS
from snnforge.sim.budget import CycleBudget

pytestmark = pytest.mark.filterwarnings("ignore:.*created but never used")
R16 = np.arange(1 << 16)


def _edges(values: np.ndarray, flags: np.ndarray, *, around: int = 2) -> np.ndarray:
    """The values within ``around`` of every place ``flags`` changes along ``values``."""
    change = np.flatnonzero(flags[1:] != flags[:-1])
    near = (values[change][:, None] + np.arange(-around, around + 2)[None, :]).reshape(-1)
    return np.unique(near[(near >= values[0]) & (near <= values[-1])])


def _threshold(spike_of_r: np.ndarray) -> int:
    """p with spike(r) == (r < p) over r = 0 .. 65535 (a Bernoulli compare)."""
    p = int(spike_of_r.sum())
    assert spike_of_r[:p].all() and not spike_of_r[p:].any()
    return p


def _around(p: int) -> list[int]:
    return sorted({v for v in (0, p - 1, p, p + 1, 65535) if 0 <= v <= 65535})


@pytest.mark.parametrize("instance", ["neuron_a", "neuron_b", "neuron_c"])
def test_composite_neuron_at_every_edge(instance):
    """Mutants neuron_gate_low_gt, neuron_spike_le (and neuron_grad_scale): the gate's
    two edges and each probability compare at r = p - 1, p, p + 1 (p = 0 included)."""
    cls, params = HARNESS_UNITS[instance]
    dut = cls(**params)
    frac, slope, beta = params["frac_bits"], params["slope_log2"], params["beta_log2"]
    span = (1 << (frac + 1)) << max(-slope, 0)
    u_all = np.arange(-span, span)
    _, gate = units.neuron_forward(u_all, np.zeros_like(u_all), frac_bits=frac,
                                   slope_log2=slope)
    u_edges = _edges(u_all, gate)
    assert len(u_edges) >= 8      # both gate edges are inside the window
    fwd = []
    for u in u_edges:
        spikes, _ = units.neuron_forward(np.full(R16.shape, u), R16, frac_bits=frac,
                                         slope_log2=slope)
        fwd += [(int(u), r) for r in _around(_threshold(spikes))]
    b_lim = 1 << (params["b_bits"] - 1)
    b_all = np.arange(-b_lim, b_lim)
    sat = (np.abs(b_all) << beta) >= (1 << frac)
    b_vals = np.unique(np.concatenate([_edges(b_all, sat), [-b_lim, -1, 0, 1, b_lim - 1]]))
    bwd = []
    for b in b_vals:
        gp, gn = units.neuron_backward(np.full(R16.shape, b), np.ones(R16.shape, bool), R16,
                                       frac_bits=frac, beta_log2=beta)
        for r in _around(_threshold(gp | gn)):
            bwd += [(int(b), 1, r), (int(b), 0, r)]
    n = max(len(fwd), len(bwd))
    fwd = [fwd[i % len(fwd)] for i in range(n)]
    bwd = [bwd[i % len(bwd)] for i in range(n)]
    got = []

    async def bench(ctx):
        for (u, rf), (b, g, rg) in zip(fwd, bwd):
            ctx.set(dut.u, u); ctx.set(dut.r_fwd, rf); ctx.set(dut.b, b)
            ctx.set(dut.gate_in, g); ctx.set(dut.r_grad, rg)
            await ctx.delay(1e-9)
            got.append([ctx.get(s) for s in (dut.spike, dut.gate, dut.g_pos, dut.g_neg)])

    sim = Simulator(dut)
    sim.add_testbench(bench)
    sim.run()
    u, rf = np.array(fwd).T
    b, g, rg = np.array(bwd).T
    spike, gate = units.neuron_forward(u, rf, frac_bits=frac, slope_log2=slope)
    gp, gn = units.neuron_backward(b, g.astype(bool), rg, frac_bits=frac, beta_log2=beta)
    want = np.stack([spike, gate, gp, gn], axis=1)
    got = np.array(got, dtype=bool)
    bad = np.flatnonzero((got != want).any(axis=1))
    assert not len(bad), (f"{instance}: first difference u={fwd[bad[0]]}, (b, gate, r)="
                          f"{bwd[bad[0]]}: RTL {got[bad[0]].tolist()} golden "
                          f"{want[bad[0]].tolist()}")


def test_spikegrad_weight_update_takes_one_update_per_cycle():
    """Mutant sgwu_ready_ignores_output: with the input always valid and the output always
    ready, one update is accepted every cycle and each result leaves one cycle later."""
    dut = GradientWeightUpdate(weight_bits=8, error_bits=6, count_bits=4, lr_mult=3, lr_shift=4)
    rng = np.random.default_rng(4)
    n = 64
    w, e, c = rng.integers(-128, 128, n), rng.integers(-32, 32, n), rng.integers(0, 16, n)
    taken, out = [], []
    budget = CycleBudget(n + 8, name="spikegrad weight update")

    async def bench(ctx):
        i, cycle = 0, 0
        ctx.set(dut.o_weight.ready, 1)
        while len(out) < n:
            budget.spend(f"result {len(out)} of {n}")
            ctx.set(dut.i_update.valid, i < n)
            if i < n:
                ctx.set(Value.cast(dut.i_update.payload),
                        (int(w[i]) & 0xFF) | ((int(e[i]) & 0x3F) << 8) | (int(c[i]) << 14))
            accept = i < n and ctx.get(dut.i_update.ready)
            if ctx.get(dut.o_weight.valid):
                out.append((cycle, ctx.get(dut.o_weight.payload)))
            await ctx.tick()
            if accept:
                taken.append(cycle)
                i += 1
            cycle += 1

    sim = Simulator(dut)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    assert taken == list(range(n)), "an update was refused with the output always ready"
    assert [cy for cy, _ in out] == [cy + 1 for cy in taken]
    assert [v for _, v in out] == weight_update(w, e, c, lr_mult=3, lr_shift=4,
                                                weight_bits=8).tolist()
