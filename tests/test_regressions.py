"""Short versions of benchmarks/regressions.py: every stream unit for 10^5 cycles of seeded
random stimulus in the transaction-level unit harness (snnforge.sim.fast_unit), scored against
the golden model; the scoring catches a corrupted, dropped or reordered output; the benchmark
script end to end with a few digits through the network top."""
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.sim.fast_unit import StreamPorts, build_unit_harness, ports_header, run_unit
from snnforge.sim.fast_unit_checks import UNITS, phased_mask, run_regression

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "regressions.py"


@pytest.mark.parametrize("name", list(UNITS))
def test_unit_regression_short(name):
    r = run_regression(name, cycles=100_000, seed=3)
    assert r["passed"], r["failures"]
    assert r["input_transfers"] > 10_000 and r["output_transfers"] > 500


def test_same_seed_same_stimulus():
    unit = UNITS["merge"]
    a, _ = unit.stimulus(np.random.default_rng([5, 1]), 5000)
    b, _ = unit.stimulus(np.random.default_rng([5, 1]), 5000)
    assert all((x == y).all() for x, y in zip(a.payloads + a.offer, b.payloads + b.offer))
    assert (a.ready == b.ready).all()
    mask = phased_mask(np.random.default_rng(0), 100_000)
    assert 0.2 < mask.mean() < 0.9      # phases of different rates, not one constant rate


@pytest.mark.parametrize("name", ["merge", "wta_c10", "spikegrad_if"])
def test_scoring_catches_wrong_outputs(name):
    unit = UNITS[name]
    exe = build_unit_harness(unit.make(), unit.ports, top=f"reg_{unit.name}")
    stim, ctx = unit.stimulus(np.random.default_rng([9, 9]), 20_000)
    run = run_unit(exe, unit.ports, stim)
    assert unit.check(run, stim, ctx) == []
    flipped = run.out_payload.copy()
    flipped[len(flipped) // 2] ^= np.uint64(1)
    dropped = np.delete(run.out_payload, 3)
    swapped = run.out_payload.copy()
    i = int(np.flatnonzero(swapped[:-1] != swapped[1:])[0])
    swapped[[i, i + 1]] = swapped[[i + 1, i]]
    for bad in (flipped, dropped, swapped):
        broken = dataclasses.replace(run, out_payload=bad, out_cycle=run.out_cycle[:len(bad)])
        assert unit.check(broken, stim, ctx), f"{name}: a wrong output passed the check"


def test_merge_fairness_check_fails_on_a_repeat():
    unit = UNITS["merge"]
    exe = build_unit_harness(unit.make(), unit.ports, top="reg_merge")
    stim, ctx = unit.stimulus(np.random.default_rng([2, 2]), 20_000)
    run = run_unit(exe, unit.ports, stim)
    both = np.flatnonzero(run.acc_holding[1:] == 3) + 1
    assert len(both) > 100     # the stimulus has both inputs valid often
    unfair = dataclasses.replace(run, acc_input=run.acc_input.copy())
    unfair.acc_input[both[5]] = unfair.acc_input[both[5] - 1]
    assert any("unfair" in f for f in unit.check(unfair, stim, ctx))


def test_bad_ports_and_cycles_are_config_errors():
    from snnforge.hdl.stream import SignedSpikeMerge

    dut = SignedSpikeMerge(addr_width=4)
    with pytest.raises(ConfigError, match="no stream port 'i_nope'"):
        ports_header(dut, StreamPorts(("i_nope",), "o_events"))
    with pytest.raises(ConfigError, match="cycles"):
        run_regression("merge", cycles=0, seed=1)
    with pytest.raises(ConfigError, match="unknown regression unit"):
        run_regression("nope", cycles=10, seed=1)


def test_benchmark_script_with_the_network_top(tmp_path):
    out = tmp_path / "regressions.json"
    proc = subprocess.run([sys.executable, str(BENCH), "--cycles", "100000", "--units",
                           "fifo_d5", "--digits", "4", "--eval-digits", "3", "--out", str(out)],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["passed"] and report["units"][0]["cycles"] == 100_000
    net = report["network"]
    assert net["passed"] and net["bit_identical"] and net["n_train"] == 4
    assert net["seed"] == 1 and "--digits 4" in report["command"]
