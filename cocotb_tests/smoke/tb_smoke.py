"""cocotb testbench of the smoke unit (hdl/smoke.py): random stream in, random backpressure
out, every output scored against ``saturating_running_sums``.

Parameters (``SNNFORGE_TB_PARAMS``): in_width, acc_width (must match the Verilog), count
(transfers), valid_probability, ready_probability, seed, corrupt (expect a wrong first value:
proves the scoreboard can fail), report (optional path: write cycles and cycles/s as JSON).
"""
import json

import cocotb

from snnforge.sim import Scoreboard, StreamSink, StreamSource, TB, tb_params
from snnforge.hdl.smoke import saturating_running_sums

DEFAULTS = {"in_width": 8, "acc_width": 12, "count": 2000, "valid_probability": 0.7,
            "ready_probability": 0.6, "seed": 1, "corrupt": False, "report": None}


@cocotb.test()
async def random_stream_matches_golden(dut):
    p = tb_params(DEFAULTS)
    tb = TB(dut, seed=p["seed"])
    lo, hi = -(1 << (p["in_width"] - 1)), (1 << (p["in_width"] - 1)) - 1
    rng = tb.child_rng("values")
    # long runs of one sign drive the sum into both saturation limits
    values = []
    while len(values) < p["count"]:
        bias = rng.choice((lo, hi, 0))
        for _ in range(rng.randint(1, 60)):
            values.append(max(lo, min(hi, bias + rng.randint(lo // 2, hi // 2))))
    values = values[: p["count"]]
    expected = saturating_running_sums(values, in_width=p["in_width"],
                                       acc_width=p["acc_width"]).tolist()
    if p["corrupt"]:
        expected[0] += 1
    board = Scoreboard("o_stream")
    board.expect_all(expected)
    source = StreamSource(dut, "i_stream", tb.clk, rng=tb.child_rng("source"),
                          valid_probability=p["valid_probability"], reset=tb.rst)
    sink = StreamSink(dut, "o_stream", tb.clk, rng=tb.child_rng("sink"),
                      ready_probability=p["ready_probability"], signed=True,
                      callback=board.observe, reset=tb.rst)
    await tb.reset()
    source.extend(values)
    await sink.wait_count(p["count"], timeout_cycles=50 * p["count"] + 100)
    await tb.wait(20)  # nothing extra may come out
    board.check()
    assert source.sent == p["count"], f"source sent {source.sent} of {p['count']}"
    tb.log.info("%d transfers in %d cycles, %.0f cycles/s", p["count"], tb.cycles, tb.speed())
    if p["report"]:
        with open(p["report"], "w") as handle:
            json.dump({"transfers": p["count"], "cycles": tb.cycles,
                       "cycles_per_second": tb.speed()}, handle)
