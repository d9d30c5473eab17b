"""The ``lib.stream`` rules on every stream port of a registered unit.

:class:`StreamRulesHarness` builds a unit of :mod:`snnforge.hdl.registry` with the given
parameters and walks its signature: each input stream is driven freely under the rules
(assumed), each output stream gets a free ``ready`` and the rules asserted (``valid`` held until
``ready``, ``payload`` stable while waiting); every other input port is free (``AnySeq``).
"""
from __future__ import annotations

from amaranth.lib import stream, wiring

from snnforge.hdl.registry import get_unit

from .common import Harness, assert_stream_rules, drive_stream, free, harness_module

__all__ = ["StreamRulesHarness", "stream_ports"]


def stream_ports(component) -> tuple[list[str], list[str]]:
    """(input stream port names, output stream port names) of a component."""
    ins, outs = [], []
    for name, member in component.signature.members.items():
        if member.is_signature and isinstance(member.signature, stream.Signature):
            (ins if member.flow == wiring.In else outs).append(name)
    return ins, outs


class StreamRulesHarness(Harness):
    """Registered unit ``unit`` built with ``params`` (or by ``factory(**params)``, a variant
    of the unit's class), its streams under the rules."""

    def __init__(self, *, unit: str, params: dict, factory=None):
        super().__init__()
        registered = get_unit(unit)
        self.dut = (registered.factory if factory is None else factory)(
            **registered.resolve(params))

    def elaborate(self, platform):
        m = harness_module(self)
        m.submodules.dut = dut = self.dut
        ins, outs = stream_ports(dut)
        for name, member in dut.signature.members.items():
            port = getattr(dut, name)
            if name in ins:
                drive_stream(m, port, name)
            elif name in outs:
                free(m, port.ready)
                assert_stream_rules(m, port, name)
            elif member.is_port and member.flow == wiring.In:
                free(m, port)
        return m
