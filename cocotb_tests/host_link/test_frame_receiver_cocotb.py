"""Launches the frame receiver's cocotb testbench on Verilator, in the block-RAM shape and in
the one-address SPRAM shape (``spram=True``: the board top's ``--frame-spram``)."""
import json
from pathlib import Path

import pytest

from snnforge.hdl.host_link import FrameReceiver
from snnforge.hwsim import emit_verilog, lint, run_cocotb

HERE = Path(__file__).parent
BUFFER_BYTES = 40


@pytest.mark.parametrize("spram", [False, True], ids=["bram", "spram"])
def test_frame_receiver_stores_checks_and_reads_frames(spram):
    verilog = emit_verilog(FrameReceiver(buffer_bytes=BUFFER_BYTES, spram=spram),
                           name="frame_receiver")
    lint(verilog, top="frame_receiver")
    run_cocotb(verilog=verilog, top="frame_receiver", test_module="tb_frame_receiver",
               test_dir=HERE, extra_env={"SNNFORGE_TB_PARAMS": json.dumps(
                   {"buffer_bytes": BUFFER_BYTES, "seed": 3, "frames": 80})})
