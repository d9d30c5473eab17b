"""Issue 2 item 7: Amaranth -> Verilog -> Verilator -Wall lint -> cocotb on Verilator."""
import json
from pathlib import Path

import pytest
from amaranth.hdl import Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import Out

from snnforge.hdl.smoke import SaturatingAccumulator
from snnforge.hwsim import emit_verilog, lint, run_cocotb

HERE = Path(__file__).parent


def _run(params, *, in_width=8, acc_width=12):
    verilog = emit_verilog(SaturatingAccumulator(in_width=in_width, acc_width=acc_width),
                           name="smoke_acc")
    run_cocotb(verilog=verilog, top="smoke_acc", test_module="tb_smoke", test_dir=HERE,
               extra_env={"SNNFORGE_TB_PARAMS": json.dumps(
                   {"in_width": in_width, "acc_width": acc_width, **params})})


def test_smoke_verilog_lints_clean():
    lint(emit_verilog(SaturatingAccumulator(in_width=8, acc_width=12), name="smoke_acc"),
         top="smoke_acc")


@pytest.mark.parametrize("valid_probability,ready_probability", [(1.0, 1.0), (0.5, 0.3)])
def test_smoke_matches_golden_under_backpressure(valid_probability, ready_probability):
    _run({"valid_probability": valid_probability, "ready_probability": ready_probability,
          "count": 1500, "seed": 7})


def test_smoke_scoreboard_catches_a_wrong_expectation():
    with pytest.raises(AssertionError, match="random_stream_matches_golden"):
        _run({"corrupt": True, "count": 200})


class _BrokenStream(wiring.Component):
    """Offers a counter whose valid toggles every cycle, ignoring ready: breaks lib.stream."""

    o_stream: Out(stream.Signature(8))

    def elaborate(self, platform):
        m = Module()
        count = Signal(8)
        m.d.sync += count.eq(count + 1)
        m.d.comb += [self.o_stream.payload.eq(count), self.o_stream.valid.eq(count[0])]
        return m


def test_stream_sink_detects_a_protocol_violation():
    verilog = emit_verilog(_BrokenStream(), name="broken_stream")
    with pytest.raises(AssertionError, match="stream rule broken"):
        run_cocotb(verilog=verilog, top="broken_stream", test_module="tb_protocol",
                   test_dir=HERE)
