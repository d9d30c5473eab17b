"""Building blocks of the property harnesses: free inputs, the ``lib.stream`` rules, mutants.

Stream rules (``amaranth.lib.stream``): once ``valid`` is high it stays high until the cycle
``ready`` is high (the transfer), and ``payload`` does not change while it waits. A harness
*assumes* them on the unit's input streams (the environment obeys them) and *asserts* them on
its output streams (the unit obeys them).
"""
from __future__ import annotations

import inspect
import sys
import types

from amaranth.asserts import AnyConst, AnySeq
from amaranth.hdl import Assert, Assume, ClockDomain, Elaboratable, Module, Signal, Value

from snnforge.errors import ConfigError
from snnforge.hdl import registry

__all__ = ["Harness", "Tracker", "harness_module", "free", "free_const", "drive_stream",
           "assume_stream_rules", "assert_stream_rules", "mutant"]


class Harness(Elaboratable):
    """Base of the property harnesses: owns the reset-less ``sync`` clock domain, whose clock
    is the harness's only port (an undriven clock would let Yosys remove every register)."""

    def __init__(self):
        self.cd_sync = ClockDomain("sync", reset_less=True)

    @property
    def ports(self) -> list:
        return [self.cd_sync.clk]


def harness_module(harness: Harness) -> Module:
    """A module with the harness's reset-less ``sync`` domain, which clocks the unit."""
    m = Module()
    m.domains.sync = harness.cd_sync
    return m


def free(m: Module, target) -> None:
    """Drive ``target`` (a signal or view) with a fresh unconstrained value every cycle."""
    value = Value.cast(target)
    m.d.comb += value.eq(AnySeq(len(value)))


def free_const(m: Module, target) -> None:
    """Drive ``target`` with an unconstrained value that stays the same in every cycle."""
    value = Value.cast(target)
    m.d.comb += value.eq(AnyConst(len(value)))


def _waiting(m: Module, port, name: str):
    """(was valid & ~ready in the previous cycle, the payload of the previous cycle)."""
    payload = Value.cast(port.payload).as_unsigned()
    waited = Signal(name=f"{name}_waited")
    last = Signal(len(payload), name=f"{name}_last_payload")
    m.d.sync += [waited.eq(port.valid & ~port.ready), last.eq(payload)]
    return waited, last, payload


def drive_stream(m: Module, port, name: str) -> None:
    """Drive an input stream of a unit freely, under the stream rules."""
    free(m, port.valid)
    free(m, port.payload)
    assume_stream_rules(m, port, name)


def assume_stream_rules(m: Module, port, name: str) -> None:
    """Assume the stream rules on ``port`` (a unit's input: the harness drives it)."""
    waited, last, payload = _waiting(m, port, name)
    with m.If(waited):
        m.d.comb += Assume(port.valid & (payload == last))


def assert_stream_rules(m: Module, port, name: str) -> None:
    """Assert the stream rules on ``port`` (a unit's output)."""
    waited, last, payload = _waiting(m, port, name)
    with m.If(waited):
        m.d.comb += [Assert(port.valid), Assert(payload == last)]


class Tracker:
    """Counts one channel's transfers in and out (``count_bits`` wide) and asserts that the
    k-th one out carries the value recorded for the k-th one in (``width`` bits), and that
    never more go out than came in. ``k``: a free constant (``AnyConst``)."""

    def __init__(self, m, *, name: str, k, count_bits: int, width: int):
        self.n_in = Signal(count_bits, name=f"{name}_n_in")
        self.n_out = Signal(count_bits, name=f"{name}_n_out")
        self.have = Signal(name=f"{name}_have")
        self.kept = Signal(width, name=f"{name}_kept")
        self.m, self.k = m, k

    def pushed(self, fire, payload) -> None:
        m = self.m
        with m.If(fire):
            m.d.sync += self.n_in.eq(self.n_in + 1)
            with m.If(self.n_in == self.k):
                m.d.sync += [self.have.eq(1), self.kept.eq(Value.cast(payload))]

    def popped(self, fire, payload) -> None:
        m = self.m
        with m.If(fire):
            m.d.sync += self.n_out.eq(self.n_out + 1)
            m.d.comb += Assert(self.n_out != self.n_in)          # never more out than in
            with m.If(self.n_out == self.k):
                m.d.comb += [Assert(self.have), Assert(Value.cast(payload) == self.kept)]

    @property
    def held(self):
        return (self.n_in - self.n_out)[:len(self.n_in)]


def mutant(cls: type, *edits: tuple[str, str]) -> type:
    """A copy of class ``cls`` compiled from its module's source with each ``(old, new)`` text
    replacement applied: a deliberately broken design variant for a must-fail proof. Every
    ``old`` must occur exactly once in the module's source (else ConfigError: the unit changed
    and the mutation must be updated)."""
    module = sys.modules[cls.__module__]
    source = inspect.getsource(module)
    for old, new in edits:
        count = source.count(old)
        if count != 1:
            raise ConfigError(f"mutation of {cls.__module__}.{cls.__name__}: {old!r} occurs "
                              f"{count} times in the source (must be exactly once); update the "
                              f"mutation to the current code")
        source = source.replace(old, new)
    clone = types.ModuleType(f"{module.__name__}__mutant")
    clone.__package__ = module.__package__
    clone.__file__ = module.__file__
    # a unit module that registers itself must not register (and replace) the unit again
    real_register = registry.register_unit
    registry.register_unit = lambda *args, **kwargs: None
    try:
        exec(compile(source, f"{module.__file__} (mutant)", "exec"), clone.__dict__)
    finally:
        registry.register_unit = real_register
    return clone.__dict__[cls.__name__]
