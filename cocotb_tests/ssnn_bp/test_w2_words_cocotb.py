"""Launches the cocotb testbench of the W2 memory in words (:class:`W2Words`, ``w2_words``) on
Verilator (its own small build) and lints its Verilog; a wrong model must fail it."""
import json
import random
from pathlib import Path

import pytest

from snnforge.hdl.ssnn_bp.w2_words import W2Words
from snnforge.hwsim import emit_verilog, lint, run_cocotb

HERE = Path(__file__).parent
TOP = "ssnn_bp_w2_words"


def _init(rows, posts, wb, seed):
    r = random.Random(seed)
    lo, hi = -(1 << (wb - 1)), (1 << (wb - 1)) - 1
    return [[r.choice([lo, hi, r.randint(lo, hi)]) for _ in range(posts)] for _ in range(rows)]


def _run(*, rows, posts, wb, seed=1, model_weight_bits=None):
    init = _init(rows, posts, wb, seed)
    verilog = emit_verilog(W2Words(rows=rows, posts=posts, weight_bits=wb, init=init), name=TOP)
    lint(verilog, top=TOP)
    params = {"rows": rows, "posts": posts, "weight_bits": model_weight_bits or wb,
              "init": init, "cycles": 3000, "seed": seed}
    run_cocotb(verilog=verilog, top=TOP, test_module="tb_w2_words", test_dir=HERE,
               testcase="w2_words_match_model",
               extra_env={"SNNFORGE_TB_PARAMS": json.dumps(params)})


@pytest.mark.parametrize("rows,posts,wb", [(9, 10, 4), (6, 5, 3)])   # even / odd n_out
def test_w2_words_on_verilator(rows, posts, wb):
    _run(rows=rows, posts=posts, wb=wb)


def test_scoreboard_catches_a_wrong_model():
    """The 4-bit memory scored against a 5-bit model (they differ once a weight saturates)."""
    with pytest.raises(AssertionError):
        _run(rows=9, posts=10, wb=4, model_weight_bits=5)
