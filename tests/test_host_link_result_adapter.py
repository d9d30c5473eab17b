"""The board's result adapter (per-step WTA winners -> per-sample prediction) against the
golden rule :func:`snnforge.golden_model.ssnn_bp.prediction.sample_prediction`, with random
gaps and backpressure, plus its Verilog lint."""
import random

import pytest
from amaranth.sim import Simulator

from snnforge import hwsim
from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.prediction import sample_prediction
from snnforge.hdl.host_link import SampleResultAdapter
from snnforge.sim.budget import CycleBudget


def test_golden_rule_ties_and_errors():
    assert sample_prediction([3, 1, 3, 1], 5) == 1          # tie: the lower class
    assert sample_prediction([4, 4, 0], 5) == 4
    assert sample_prediction([2], 3) == 2
    with pytest.raises(ConfigError, match="step_winners"):
        sample_prediction([0, 5], 5)
    with pytest.raises(ConfigError, match="step_winners"):
        sample_prediction([], 5)


@pytest.mark.parametrize("n_out,T,seed", [(10, 8, 1), (3, 5, 2), (2, 1, 3)])
def test_adapter_matches_golden(n_out, T, seed):
    rng = random.Random(seed)
    samples = [[rng.randrange(n_out) for _ in range(T)] for _ in range(40)]
    # many ties: samples drawn from two classes only
    samples += [[rng.choice((1, n_out - 1)) for _ in range(T)] for _ in range(20)]
    want = [sample_prediction(s, n_out) for s in samples]
    dut = SampleResultAdapter(n_out=n_out, max_steps=T, class_bits=max(1, (n_out - 1).bit_length()))
    got = []
    budget = CycleBudget(len(samples) * (T + n_out + 2) * 4 + 100, name="adapter")

    async def tb(ctx):
        beats = [(w, t == T - 1) for s in samples for t, w in enumerate(s)]
        while len(got) < len(samples):
            budget.spend("adapter results")
            offer = beats[0] if beats and rng.random() < 0.7 else None
            ctx.set(dut.i_step.valid, offer is not None)
            if offer is not None:
                ctx.set(dut.i_step.payload.winner, offer[0])
                ctx.set(dut.i_step.payload.last, offer[1])
            ready = rng.random() < 0.5
            ctx.set(dut.o_result.ready, ready)
            await ctx.delay(1e-9)
            took = offer is not None and ctx.get(dut.i_step.ready)
            if ready and ctx.get(dut.o_result.valid):
                got.append(ctx.get(dut.o_result.payload.winner))
            await ctx.tick()
            if took:
                beats.pop(0)

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(tb)
    sim.run()
    assert got == want


def test_adapter_lints_and_checks_parameters():
    hwsim.lint(hwsim.emit_verilog(SampleResultAdapter(n_out=10, max_steps=8, class_bits=4),
                                  name="result_adapter"), top="result_adapter")
    with pytest.raises(ConfigError, match="class_bits"):
        SampleResultAdapter(n_out=10, max_steps=8, class_bits=3)
    with pytest.raises(ConfigError, match="max_steps"):
        SampleResultAdapter(n_out=10, max_steps=0, class_bits=4)
