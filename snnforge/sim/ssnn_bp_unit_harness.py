"""Verification harness: many unit instances (several parameter sets each) in one Verilog top,
so the cocotb tier needs one Verilator build for all units instead of one per parameter set.

Each instance's ports appear as ``<instance>_<port>`` (streams: ``<instance>_<port>__valid``
...). :data:`HARNESS_UNITS` maps instance names to (class, parameters); testbenches read the
parameters from it, so the scoreboard and the RTL can never disagree on them.
"""
from __future__ import annotations

from amaranth.hdl import Module
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from snnforge.hdl.stream import SignedSpikeMerge, SpikeEventFIFO

from snnforge.hdl.ssnn_bp.encoder import InputEncoder
from snnforge.hdl.ssnn_bp.error_splitter import ErrorSplitter
from snnforge.hdl.ssnn_bp.neuron import CompositeNeuron
from snnforge.hdl.ssnn_bp.random_source import RandomDrawSource
from snnforge.hdl.ssnn_bp.weight_update import CoincidenceUpdater
from snnforge.hdl.ssnn_bp.wta import WinnerTakeAll

__all__ = ["HARNESS_UNITS", "DEFAULT_INSTANCES", "MultiUnitHarness", "harness_params"]

HARNESS_UNITS = {
    "fifo_d1": (SpikeEventFIFO, {"addr_width": 3, "depth": 1}),
    "fifo_d2": (SpikeEventFIFO, {"addr_width": 6, "depth": 2}),
    "fifo_d5": (SpikeEventFIFO, {"addr_width": 9, "depth": 5}),
    "fifo_d16": (SpikeEventFIFO, {"addr_width": 6, "depth": 16}),
    "merge": (SignedSpikeMerge, {"addr_width": 7}),
    "rand8_l3": (RandomDrawSource, {"seed": 0x1234567, "width": 8, "lanes": 3,
                                    "rounds_per_stage": 1}),
    "rand16_l4": (RandomDrawSource, {"seed": 42, "width": 16, "lanes": 4,
                                     "rounds_per_stage": 4}),
    "rand16_l1": (RandomDrawSource, {"seed": 0xFFFFFFFF, "width": 16, "lanes": 1,
                                     "rounds_per_stage": 13}),
    "rand16_l2_it1": (RandomDrawSource, {"seed": 0xA5A5A5A5, "width": 16, "lanes": 2,
                                         "rounds_per_stage": 1, "architecture": "iterative"}),
    "rand8_l3_it4": (RandomDrawSource, {"seed": 7, "width": 8, "lanes": 3,
                                        "rounds_per_stage": 4, "architecture": "iterative"}),
    "rand16_l1_it13": (RandomDrawSource, {"seed": 0, "width": 16, "lanes": 1,
                                          "rounds_per_stage": 13, "architecture": "iterative"}),
    "enc": (InputEncoder, {"lanes": 8}),
    "neuron_a": (CompositeNeuron, {"acc_bits": 16, "b_bits": 9, "frac_bits": 6,
                                   "slope_log2": 0, "beta_log2": 2}),
    "neuron_b": (CompositeNeuron, {"acc_bits": 24, "b_bits": 11, "frac_bits": 8,
                                   "slope_log2": -2, "beta_log2": 5}),
    "neuron_c": (CompositeNeuron, {"acc_bits": 20, "b_bits": 14, "frac_bits": 12,
                                   "slope_log2": 3, "beta_log2": 0}),
    "wta_c2": (WinnerTakeAll, {"n_out": 2, "acc_bits": 12, "index_bits": 4, "frac_bits": 3,
                               "value_bits": 8}),
    "wta_c10": (WinnerTakeAll, {"n_out": 10, "acc_bits": 18, "index_bits": 8, "frac_bits": 6,
                                "value_bits": 10}),
    "wta_c47": (WinnerTakeAll, {"n_out": 47, "acc_bits": 14, "index_bits": 5, "frac_bits": 4,
                                "value_bits": 8}),
    "split10": (ErrorSplitter, {"n_out": 10}),
    "split47": (ErrorSplitter, {"n_out": 47}),
    "wu_a": (CoincidenceUpdater, {"lanes": 3, "depth": 4, "weight_bits": 4, "gate_bits": 4,
                                "gate_threshold": 11}),
    "wu_b": (CoincidenceUpdater, {"lanes": 10, "depth": 17, "weight_bits": 8, "gate_bits": 16,
                                "gate_threshold": 41943}),
}


#: the instances of the default (fast) test tier: one parameter set per unit plus the corner
#: instance fifo_d1 (the one-register FIFO), a smaller build
DEFAULT_INSTANCES = ("fifo_d5", "fifo_d1", "merge", "rand8_l3", "rand16_l2_it1", "enc",
                     "neuron_b", "wta_c47", "split10", "wu_a")


def harness_params(instance: str) -> dict:
    """The parameters of one harness instance (a copy)."""
    return dict(HARNESS_UNITS[instance][1])


class MultiUnitHarness(wiring.Component):
    """All :data:`HARNESS_UNITS` (or the ``instances`` given) side by side, ports prefixed."""

    def __init__(self, *, instances: tuple[str, ...] | None = None):
        names = tuple(HARNESS_UNITS) if instances is None else tuple(instances)
        self.units = {name: HARNESS_UNITS[name][0](**HARNESS_UNITS[name][1]) for name in names}
        members = {}
        for name, unit in self.units.items():
            for port, member in unit.signature.members.items():
                members[f"{name}_{port}"] = member
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        for name, unit in self.units.items():
            m.submodules[name] = unit
            outer = dict(((path, value) for path, _, value in
                          self.signature.flatten(self)))
            for path, member, value in unit.signature.flatten(unit):
                mine = outer[(f"{name}_{path[0]}",) + tuple(path[1:])]
                if member.flow == Out:
                    m.d.comb += mine.eq(value)
                else:
                    m.d.comb += value.eq(mine)
        return m
