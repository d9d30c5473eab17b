"""Protocol fuzz of the host-link engine gateware: >= 10^6 wire bytes of good and bad frames
through the Verilated ProtocolEngine, scored against the golden ProtocolEngineModel.

    python benchmarks/host_link_fuzz.py [--bytes 1000000] [--seed 1] [--w1-lanes 3] [--out FILE]

The byte stream is built in Python by cases, each fed at once to the golden engine
(snnforge.host.engine.ProtocolEngineModel with its StandInNetwork): good frames of every command,
and bad ones -- random garbage, corrupted CRCs, truncated, duplicated and reordered frames, wrong
sequence numbers, dropped bytes, bad SLIP escapes, UART framing errors and breaks (bytes with
the receiver's error flag), over-long frames, unknown commands and invalid payloads. After every
bad case a good frame with the expected sequence number follows (the recovery). Every batch of
cases ends with a weight dump. The stream then runs through the C++ harness
(benchmarks/host_link_fuzz.cpp, a cached Verilator build; no Python per cycle) and the
scoreboard checks: every response byte-identical to the golden one (READ_COUNTERS' cycle field
aside: the gateware's measurement), every bad frame NACKed or dropped and none reaching the
network, every recovery frame answered OK, the network's weights equal to the golden model's at
every dump, no stall. Writes benchmarks/results/host_link_fuzz.json (counts by case, NACKs by
status, recoveries, weights corrupted); exits 1 if any check fails.

The cases and the golden stream are built by ``Fuzz`` in benchmarks/host_link_fuzz_cases.py; this
script builds the harness, runs it and scores its output.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from snnforge import toolchain
from snnforge.host import protocol as P

from host_link_fuzz_cases import CONFIG_HASH, SIZES, Fuzz  # the sibling module of this script

ROOT = Path(__file__).resolve().parent
HARNESS = ROOT / "host_link_fuzz.cpp"
DEFAULT_OUT = ROOT / "results" / "host_link_fuzz.json"
QUIET_CYCLES = 40


# ------------------------------------------------------------------------- harness build
def engine_component(w1_lanes: int | None = None):
    from snnforge.hdl.host_link import ProtocolEngine
    return ProtocolEngine(**SIZES, config_hash=CONFIG_HASH, w1_lanes=w1_lanes)


def build_harness(engine) -> Path:
    """The harness executable, built once per (Verilog, harness, Verilator, flags) and cached
    (:mod:`snnforge.sim.harness_build`)."""
    from snnforge.hwsim import emit_verilog
    from snnforge.sim.harness_build import build_verilated_harness

    top = "host_link_fuzz_engine"
    return build_verilated_harness(emit_verilog(engine, name=top), top=top,
                                   kind="host_link_fuzz", harness=HARNESS, timeout=3600)


def harness_args(engine) -> dict:
    s = engine.o_sample.payload.shape()
    w = engine.o_write.payload.shape()
    z = engine.sizes
    assert z.beat_lanes * SIZES["weight_bits"] <= 64, "the harness packs a beat into 64 bits"
    return dict(**SIZES, pix_lo=s["pixel"].offset, label_lo=s["label"].offset,
                label_len=s["label"].width, learn_lo=s["learn"].offset, key_lo=s["key"].offset,
                layer_lo=w["layer"].offset, row_lo=w["row"].offset, row_len=w["row"].width,
                word_lo=w["word"].offset, word_len=w["word"].width,
                weights_lo=w["weights"].offset, w1_lanes=z.w1_lanes, w1_words=z.w1_words,
                beat_lanes=z.beat_lanes)


# ---------------------------------------------------------------------------- scoreboard
def same(got: bytes, want: bytes) -> bool:
    """A gateware response equals the golden one (READ_COUNTERS: samples and errors; its
    cycle count is the gateware's own measurement)."""
    if got == want:
        return True
    try:
        rg, rw = P.parse_response(got), P.parse_response(want)
    except P.ProtocolError:
        return False
    if (rw.command == P.Command.READ_COUNTERS and rw.status == P.Status.OK
            and (rg.seq, rg.status, rg.command) == (rw.seq, rw.status, rw.command)):
        cg, cw = P.parse_counters(rg.payload), P.parse_counters(rw.payload)
        return (cg.samples, cg.errors) == (cw.samples, cw.errors)
    return False


def score(fuzz: Fuzz, out_bytes: bytes, weights: np.ndarray) -> dict:
    got = P.SlipDecoder().feed(out_bytes)
    bad_frames = sum(1 for _, ok in got if not ok)
    bodies = [b for b, ok in got if ok]
    mismatches = [i for i, (g, w) in enumerate(zip(bodies, fuzz.expected)) if not same(g, w)]
    missing = abs(len(bodies) - len(fuzz.expected))
    lanes = max(SIZES["n_hidden"], SIZES["n_out"])
    snaps = np.stack(fuzz.snapshots)
    got_w = weights.reshape(-1, snaps.shape[1], lanes) if weights.size else np.zeros((0,) + snaps.shape[1:])
    corrupted = sum(1 for i in range(len(snaps))
                    if i >= len(got_w) or not np.array_equal(got_w[i], snaps[i]))
    bad_at = set(mismatches)
    recovered = sum(1 for i in fuzz.recovery_index
                    if i < len(bodies) and i not in bad_at
                    and P.parse_response(bodies[i]).status == P.Status.OK)
    statuses = Counter(P.Status(P.parse_response(b).status).name for b in fuzz.expected)
    first = None
    if mismatches:
        i = mismatches[0]
        first = {"response": i, "gateware": bodies[i].hex(), "golden": fuzz.expected[i].hex()}
    return {"responses": len(fuzz.expected), "responses_received": len(bodies),
            "response_mismatches": len(mismatches) + missing, "first_mismatch": first,
            "corrupt_response_frames": bad_frames, "responses_by_status": dict(sorted(statuses.items())),
            "recoveries": recovered, "recovery_frames": len(fuzz.recovery_index),
            "weight_checks": len(snaps), "weights_corrupted": corrupted}


def run(args) -> dict:
    engine = engine_component(args.w1_lanes)
    t0 = time.perf_counter()
    exe = build_harness(engine)
    build_s = time.perf_counter() - t0
    fuzz = Fuzz(args.seed, engine.buffer_bytes)
    t0 = time.perf_counter()
    fuzz.build(args.bytes, batch=args.batch)
    gen_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="snnforge-fuzz-") as tmp:
        d = Path(tmp)
        np.asarray(fuzz.records, dtype="<u2").tofile(d / "in.bin")
        hargs = {**harness_args(engine), "dir": d, "quiet": QUIET_CYCLES, "max_wait": 20000,
                 "ready_percent": args.ready_percent, "seed": args.seed,
                 "flip_write": args.flip_write}
        import subprocess
        t0 = time.perf_counter()
        proc = subprocess.run([str(exe)] + [f"{k}={v}" for k, v in hargs.items()],
                              env={**os.environ, **toolchain.tool_env()}, capture_output=True,
                              text=True, check=False)
        sim_s = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"fuzz harness failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
        stats = json.loads((d / "stats.json").read_text())
        out_bytes = (d / "out.bin").read_bytes()
        weights = np.fromfile(d / "weights.bin", dtype="<i4")
    t0 = time.perf_counter()
    result = score(fuzz, out_bytes, weights)
    score_s = time.perf_counter() - t0
    golden_counts = fuzz.model.counts
    result.update({
        "command": shlex.join(["python", "benchmarks/host_link_fuzz.py", *sys.argv[1:]]),
        "bytes": fuzz.wire_bytes, "bytes_fed_to_gateware": stats["bytes_in"],
        "sizes": SIZES, "w1_lanes": engine.sizes.w1_lanes,
        "buffer_bytes": engine.buffer_bytes, "seed": args.seed,
        "bad_cases": dict(sorted(fuzz.cases.items())), "bad_cases_total": sum(fuzz.cases.values()),
        "good_frames": dict(sorted(fuzz.frames.items())),
        "frames_dropped_without_answer": golden_counts.get("dropped", 0),
        "nacks_by_status": {k: v for k, v in result["responses_by_status"].items()
                            if k.startswith("NACK")},
        "duplicates": result["responses_by_status"].get("DUPLICATE", 0),
        "bad_frames_executed_by_golden": fuzz.bad_executed,
        "golden_recovery_failures": fuzz.recovery_failures,
        "network_actions": {"samples": stats["samples"], "writes": stats["writes"],
                            "reads": stats["reads"], "resets": stats["resets"]},
        "golden_network_actions": {k: sum(1 for e in fuzz.net.log if e[0] == k)
                                   for k in ("sample", "write", "reset")},
        "stalls": stats["stalls"], "lane_violations": stats["lane_violations"],
        "cycles": stats["cycles"], "longest_wait_cycles": stats["longest_wait_cycles"],
        "seconds": {"build": round(build_s, 2), "generate_and_golden": round(gen_s, 2),
                    "gateware": round(sim_s, 2), "gateware_cpu": stats["cpu_seconds"],
                    "score": round(score_s, 2)},
        "flip_write": args.flip_write,
    })
    g, n = result["golden_network_actions"], result["network_actions"]
    result["passed"] = bool(
        result["response_mismatches"] == 0 and result["weights_corrupted"] == 0
        and result["recoveries"] == result["recovery_frames"] == result["bad_cases_total"]
        and fuzz.bad_executed == 0 and fuzz.recovery_failures == 0 and stats["stalls"] == 0
        and stats["lane_violations"] == 0 and result["corrupt_response_frames"] == 0
        and (n["samples"], n["writes"], n["resets"]) == (g["sample"], g["write"], g["reset"]))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bytes", type=int, default=1_000_000,
                        help="wire bytes to generate (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=16,
                        help="bad cases between weight checks (default: %(default)s)")
    parser.add_argument("--ready-percent", type=int, default=70,
                        help="chance (%%) per cycle that o_bytes, o_sample, o_read_req and "
                             "o_write are ready (default: %(default)s)")
    parser.add_argument("--w1-lanes", type=int, default=3,
                        help="W1 weights per network beat (default: %(default)s: a W1 row of "
                             "8 is 3 words, the last padded; 8 = a whole row per beat)")
    parser.add_argument("--flip-write", type=int, default=-1,
                        help="harness self-test: corrupt the K-th weight write (default: none)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.bytes < 1 or args.batch < 1 or not 1 <= args.ready_percent <= 100:
        parser.error("--bytes and --batch must be >= 1, --ready-percent in 1..100")
    result = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("bytes", "bad_cases_total", "nacks_by_status",
                                             "recoveries", "response_mismatches",
                                             "weights_corrupted", "passed")}))
    print(f"report: {args.out}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
