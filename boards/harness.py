"""A generic board harness around any registered unit: pseudo-random inputs, outputs folded
into an LED, so the whole unit survives synthesis on a board with a handful of pins.

Every input port of the unit (``In`` members of its signature, flattened) is driven from a
32-bit xorshift register stepped each clock; every output bit is XOR-folded into one register
shown on LED 0. LED 1 is a heartbeat (clock divider bit 23: about 0.7 Hz at 12 MHz).
"""
from __future__ import annotations

from amaranth.hdl import Cat, Elaboratable, Module, Signal, Value
from amaranth.lib import io, wiring

from snnforge.errors import ConfigError

__all__ = ["UnitHarness", "harness_verilog"]

_XORSHIFT_SEED = 0x2545F491


class UnitHarness(Elaboratable):
    """Wraps ``component`` (an Amaranth ``wiring.Component``) for a board build."""

    def __init__(self, component, *, heartbeat_bit: int = 23):
        if not isinstance(component, wiring.Component):
            raise ConfigError(f"the board harness needs a wiring.Component, got "
                              f"{type(component).__name__}")
        if not isinstance(heartbeat_bit, int) or not 1 <= heartbeat_bit <= 31:
            raise ConfigError(f"heartbeat_bit must be 1..31, got {heartbeat_bit!r}")
        self.component = component
        self.heartbeat_bit = heartbeat_bit
        #: LED outputs when elaborated without a platform (for stand-alone P&R): bit 0 the
        #: folded outputs, bit 1 the heartbeat.
        self.leds = Signal(2)

    def _ports(self):
        inputs, outputs = [], []
        for _path, member, value in self.component.signature.flatten(self.component):
            (inputs if member.flow.name == "In" else outputs).append(value)
        return inputs, outputs

    def elaborate(self, platform):
        m = Module()
        m.submodules.unit = self.component
        inputs, outputs = self._ports()
        state = Signal(32, init=_XORSHIFT_SEED)
        s1 = Signal(32)
        s2 = Signal(32)
        m.d.comb += [s1.eq(state ^ (state << 13)[:32]), s2.eq(s1 ^ (s1 >> 17))]
        m.d.sync += state.eq(s2 ^ (s2 << 5)[:32])
        needed = sum(len(Value.cast(v)) for v in inputs)
        # decorrelated 32-bit words: rotations of the state XORed with shifted copies
        copies = [state.rotate_left(7 * i % 32) ^ (state >> (i % 31 + 1)) for i in
                  range(max(1, -(-needed // 32)))]
        stimulus = Cat(*copies)
        offset = 0
        for value in inputs:
            width = len(Value.cast(value))
            m.d.comb += value.eq(stimulus[offset:offset + width])
            offset += width
        folded = Signal()
        if outputs:
            m.d.sync += folded.eq(Cat(*[Value.cast(v) for v in outputs]).xor())
        beat = Signal(self.heartbeat_bit + 1)
        m.d.sync += beat.eq(beat + 1)
        m.d.comb += self.leds.eq(Cat(folded, beat[-1]))
        if platform is not None:
            for index in range(2):
                buffer = io.Buffer("o", platform.request("led", index, dir="-"))
                m.submodules[f"led{index}"] = buffer
                m.d.comb += buffer.o.eq(self.leds[index])
        return m


def harness_verilog(component, *, name: str) -> str:
    """Verilog of ``component`` inside the harness with ports ``clk``, ``rst``, ``leds[1:0]``
    (for place and route of a unit with more ports than the package has pins)."""
    from amaranth.back import verilog

    harness = UnitHarness(component)
    return verilog.convert(harness, name=name, ports=[harness.leds], emit_src=False)
