"""Cycle budgets for testbench waits: a hung design fails with the step it waited for.

Used by the Amaranth-simulator benches (``tests/test_hdl_*``) and the cocotb stream drivers;
no cocotb import.
"""
from __future__ import annotations

__all__ = ["CycleBudget", "stream_cycle_bound"]


def stream_cycle_bound(items: int, *, interval: int = 1, latency: int = 0,
                       valid_probability: float = 1.0, ready_probability: float = 1.0,
                       margin: int = 4) -> int:
    """Cycles a working stream unit needs at most (with ``margin``-fold slack for random
    stalls) to pass ``items`` transfers: each costs ``interval`` cycles (the unit's accept
    interval) stretched by the random valid gaps and backpressure, plus the pipeline
    ``latency`` and a fixed 100 cycles for reset and flush."""
    if not 0 < valid_probability <= 1 or not 0 < ready_probability <= 1:
        raise ValueError("valid_probability and ready_probability must be in (0, 1]")
    per_item = interval / (valid_probability * ready_probability)
    return int(margin * items * per_item) + latency + 100


class CycleBudget:
    """Counts bench cycles against a limit: :meth:`spend` once per clock cycle raises
    ``AssertionError`` naming ``what`` (the step the bench waited for) past ``limit`` cycles."""

    def __init__(self, limit: int, *, name: str = "bench"):
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"cycle limit must be a positive integer, got {limit!r}")
        self.limit = limit
        self.name = name
        self.used = 0

    def spend(self, what: str, cycles: int = 1) -> None:
        self.used += cycles
        if self.used > self.limit:
            raise AssertionError(f"{self.name}: hung waiting for {what} "
                                 f"(cycle bound {self.limit} exceeded)")
