"""Simulation and verification machinery that users run: testbench support, golden traces and
the Verilator paths that check generated RTL against the golden model.

In a cocotb test module::

    from snnforge.sim import TB, StreamSource, StreamSink, Scoreboard, tb_params

- :mod:`.tb`: :class:`TB` (clock, reset, seeded RNG) and :func:`tb_params` (JSON parameters
  from ``$SNNFORGE_TB_PARAMS``);
- :mod:`.stream`: :class:`StreamSource` / :class:`StreamSink` drivers of Amaranth
  ``lib.stream`` ports with seeded random valid gaps and backpressure;
- :mod:`.scoreboard`: :class:`Scoreboard`, in-order expected-vs-observed comparison;
- :mod:`.cache`: the Verilator build cache (``~/.cache/snnforge/verilator``);
- :mod:`.network`: runs the SSNN-BP network top on Verilator against the golden model
  (the cocotb module :mod:`.tb_network`);
- :mod:`.harness`: runs a unit testbench on the shared SSNN-BP/stream unit-harness build;
- the SpikeGrad references and driver: :mod:`.spikegrad_unit_reference` (the units' golden
  transactions and random stimulus), :mod:`.spikegrad_network_reference` (what the network
  top must produce), :mod:`.spikegrad_network_amaranth` (the Amaranth-simulator driver).

The names above are imported on first use, so ``import snnforge.sim`` does not import cocotb.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "TB": "tb",
    "tb_params": "tb",
    "StreamSource": "stream",
    "StreamSink": "stream",
    "Scoreboard": "scoreboard",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
