"""The host-link protocol fuzz (benchmarks/host_link_fuzz.py), short version: ~10^4 wire bytes
of good and bad frames through the Verilated ProtocolEngine, scored against the golden engine;
and the harness self-test (one corrupted weight write) that the scoreboard must catch.
The 10^6-byte run is the benchmark itself (`python benchmarks/host_link_fuzz.py`)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "host_link_fuzz.py"

pytestmark = pytest.mark.hw


def _fuzz(tmp_path, *extra):
    out = tmp_path / "fuzz.json"
    proc = subprocess.run([sys.executable, str(BENCH), "--bytes", "10000", "--out", str(out),
                           *extra], capture_output=True, text=True, timeout=1800)
    assert out.is_file(), proc.stderr[-3000:]
    return proc, json.loads(out.read_text())


def test_short_fuzz_every_bad_frame_nacked_or_dropped_and_the_link_recovers(tmp_path):
    proc, r = _fuzz(tmp_path)
    assert proc.returncode == 0, r
    assert r["passed"] and r["bytes"] >= 10_000 and r["bytes_fed_to_gateware"] == r["bytes"]
    assert r["response_mismatches"] == 0 and r["weights_corrupted"] == 0
    assert r["weight_checks"] >= 10
    # every kind of bad case ran, and each was followed by a good frame answered OK
    assert set(r["bad_cases"]) == {"garbage", "bad_crc", "truncated", "dropped_bytes",
                                   "wrong_seq", "bad_escape", "uart_error", "break", "too_long",
                                   "unknown_command", "bad_payload", "duplicated", "reordered"}
    assert min(r["bad_cases"].values()) >= 5
    assert r["recoveries"] == r["recovery_frames"] == r["bad_cases_total"]
    assert set(r["nacks_by_status"]) == {"NACK_CRC", "NACK_FRAMING", "NACK_LENGTH",
                                         "NACK_SEQUENCE", "NACK_COMMAND", "NACK_PAYLOAD"}
    assert r["duplicates"] > 0 and r["frames_dropped_without_answer"] > 0
    assert r["bad_frames_executed_by_golden"] == 0 and r["stalls"] == 0
    g, n = r["golden_network_actions"], r["network_actions"]
    assert (n["samples"], n["writes"], n["resets"]) == (g["sample"], g["write"], g["reset"])
    assert n["writes"] > 0 and n["samples"] > 0


def test_scoreboard_catches_a_corrupted_weight_write(tmp_path):
    proc, r = _fuzz(tmp_path, "--flip-write", "3")
    assert proc.returncode == 1
    assert not r["passed"] and r["weights_corrupted"] > 0
