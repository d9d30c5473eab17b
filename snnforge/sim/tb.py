"""A testbench base class in the style of cocotbext-axi's tests: owns the clock and the reset.

Parameters reach the cocotb module from pytest as JSON in ``SNNFORGE_TB_PARAMS`` (passed by
``run_cocotb(extra_env=...)``); read them with :func:`tb_params`.
"""
from __future__ import annotations

import json
import logging
import os
import random
import time

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

PARAMS_ENV = "SNNFORGE_TB_PARAMS"


def tb_params(defaults: dict | None = None) -> dict:
    """The testbench parameters: ``defaults`` updated with the JSON object in
    ``$SNNFORGE_TB_PARAMS`` (unknown keys are rejected when ``defaults`` is given)."""
    params = dict(defaults or {})
    raw = os.environ.get(PARAMS_ENV, "")
    if raw:
        given = json.loads(raw)
        if not isinstance(given, dict):
            raise ValueError(f"{PARAMS_ENV} must hold a JSON object, got {raw!r}")
        if defaults is not None:
            unknown = sorted(set(given) - set(defaults))
            if unknown:
                raise ValueError(f"unknown testbench parameter(s) {unknown}; "
                                 f"known: {sorted(defaults)}")
        params.update(given)
    return params


class TB:
    """Clock, reset and a seeded RNG around a DUT with Amaranth's ``clk``/``rst`` ports.

    ``period_ns``: clock period in ns. ``seed``: seed of :attr:`rng` (drivers derive their own
    RNGs from it, so a run is reproducible). :attr:`cycles` counts rising edges since start;
    :meth:`speed` gives simulated cycles per wall-clock second.

    ``rst`` is driven low from the start, so no process ever samples it undriven (Icarus
    leaves an undriven input at ``Z``, Verilator at 0).
    """

    def __init__(self, dut, *, period_ns: int = 10, seed: int = 0, clock: str = "clk",
                 reset: str | None = "rst"):
        if not isinstance(period_ns, int) or period_ns < 2 or period_ns % 2:
            raise ValueError(f"period_ns must be an even integer >= 2, got {period_ns!r}")
        self.dut = dut
        self.log = logging.getLogger(f"cocotb.tb.{dut._name}")
        self.log.setLevel(logging.INFO)
        self.seed = seed
        self.rng = random.Random(seed)
        self.clk = getattr(dut, clock)
        self.rst = getattr(dut, reset) if reset is not None else None
        if self.rst is not None:
            self.rst.value = 0
        self.cycles = 0
        self._t0 = time.perf_counter()
        cocotb.start_soon(Clock(self.clk, period_ns, unit="ns").start())
        cocotb.start_soon(self._count())

    async def _count(self) -> None:
        while True:
            await RisingEdge(self.clk)
            self.cycles += 1

    def child_rng(self, name: str) -> random.Random:
        """An independent RNG for one driver, keyed by (seed, name)."""
        return random.Random(f"{self.seed}/{name}")

    async def reset(self, cycles: int = 2) -> None:
        """Hold ``rst`` high for ``cycles`` rising edges, then release it."""
        if self.rst is None:
            return
        self.rst.value = 1
        await ClockCycles(self.clk, cycles)
        self.rst.value = 0
        await RisingEdge(self.clk)

    async def wait(self, cycles: int) -> None:
        await ClockCycles(self.clk, cycles)

    def speed(self) -> float:
        """Simulated clock cycles per wall-clock second since the TB was created."""
        return self.cycles / max(time.perf_counter() - self._t0, 1e-9)
