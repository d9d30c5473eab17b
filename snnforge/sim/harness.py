"""The one Verilator build of the SSNN-BP/stream unit harness
(:class:`~snnforge.sim.ssnn_bp_unit_harness.MultiUnitHarness`), shared by the cocotb
testbenches of its units: :func:`run_harness_test` runs one cocotb test of a testbench
module on it."""
import functools
import json
from pathlib import Path

from snnforge.sim.ssnn_bp_unit_harness import DEFAULT_INSTANCES, MultiUnitHarness
from snnforge.hwsim import emit_verilog, run_cocotb

TOP = "ssnn_bp_unit_harness"


@functools.lru_cache(maxsize=2)
def multi_unit_verilog(full: bool) -> str:
    """The harness with the default instances only (fast tier) or with all of them (sweeps)."""
    return emit_verilog(MultiUnitHarness(instances=None if full else DEFAULT_INSTANCES), name=TOP)


def run_harness_test(*, test_module: str, test_dir: Path, testcase: str,
                     simulator: str = "verilator", **params) -> None:
    """Run cocotb test ``testcase`` of ``test_module`` (in folder ``test_dir``) on the cached
    harness build on ``simulator`` (``"verilator"`` or ``"icarus"``): the default instances
    only, or all of them when ``params["instance"]`` is not a default one; ``params`` reach the
    testbench as JSON in ``SNNFORGE_TB_PARAMS``."""
    full = params.get("instance") not in DEFAULT_INSTANCES
    run_cocotb(verilog=multi_unit_verilog(full), top=TOP, test_module=test_module,
               test_dir=test_dir, testcase=testcase,
               extra_env={"SNNFORGE_TB_PARAMS": json.dumps(params)}, simulator=simulator)
