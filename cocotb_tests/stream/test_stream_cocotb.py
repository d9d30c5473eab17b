"""Launches the hdl/stream cocotb testbenches on the unit-harness build, on Verilator and (when
installed) Icarus Verilog, and lints each stream unit's own Verilog with Verilator -Wall."""
from pathlib import Path

import pytest

from snnforge.hdl.stream import SignedSpikeMerge, SpikeEventFIFO
from snnforge.hwsim import emit_verilog, lint
from snnforge.sim.harness import run_harness_test

HERE = Path(__file__).parent


def _run(testcase, simulator="verilator", **params):
    run_harness_test(test_module="tb_stream", test_dir=HERE, testcase=testcase,
                     simulator=simulator, **params)


@pytest.mark.parametrize("component,top", [
    (lambda: SpikeEventFIFO(addr_width=6, depth=1), "spike_fifo_d1"),
    (lambda: SpikeEventFIFO(addr_width=6, depth=7), "spike_fifo_d7"),
    (lambda: SignedSpikeMerge(addr_width=7), "spike_merge")])
def test_stream_units_lint_clean(component, top):
    lint(emit_verilog(component(), name=top), top=top)


@pytest.mark.parametrize("instance,count", [("fifo_d5", 10000), ("fifo_d1", 3000)] + [
    pytest.param(i, 10000, marks=pytest.mark.slow) for i in ("fifo_d1", "fifo_d2", "fifo_d16")])
def test_fifo_order_under_backpressure(instance, count, simulator):
    _run("fifo_keeps_every_event_in_order", simulator, instance=instance, count=count,
         ready_probability=0.45)


@pytest.mark.parametrize("valid_probability,ready_probability", [
    (0.9, 0.4), pytest.param(0.4, 0.9, marks=pytest.mark.slow)])
def test_merge_completeness_under_backpressure(valid_probability, ready_probability, simulator):
    _run("merge_never_drops_or_duplicates", simulator, instance="merge", count=10000,
         valid_probability=valid_probability, ready_probability=ready_probability)


@pytest.mark.parametrize("ready_probability", [1.0, 0.5])
def test_merge_fair_with_both_inputs_always_valid(ready_probability, simulator):
    _run("merge_is_fair_with_both_inputs_always_valid", simulator, instance="merge", count=2000,
         ready_probability=ready_probability)
