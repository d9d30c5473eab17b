"""The derivative gate: error contributions reach an error integrator only when the target
neuron's forward net count is positive (the ReLU derivative).
Behaviour: ``value * derivative_gate(count)`` with
:func:`snnforge.golden_model.spikegrad.units.derivative_gate`."""
from __future__ import annotations

from amaranth.hdl import Module, Mux, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.checks import MAX_WIDTH, check_int

from .neuron_array import step_input_layout

__all__ = ["DerivativeGate", "gate_input_layout"]


def gate_input_layout(*, addr_width: int, value_bits: int, count_bits: int) -> data.StructLayout:
    """An error contribution ``value`` (signed ``value_bits``) for neuron ``addr``
    (``addr_width`` bits) and that neuron's forward net ``count`` (unsigned ``count_bits``),
    LSB first."""
    return data.StructLayout({"addr": unsigned(addr_width), "value": signed(value_bits),
                              "count": unsigned(count_bits)})


class DerivativeGate(wiring.Component):
    """Stream stage ``{addr, value, count}`` -> ``{addr, value if count > 0 else 0}``.

    ``i_input``: :func:`gate_input_layout`; ``o_output``: :func:`.step_input_layout` (the input
    of :class:`TernaryErrorIntegratorArray`, so the two connect directly). ``gated_out``
    (``skip_gated=True``): a gated contribution is consumed and not forwarded (error sparsity
    skips work; the integrator's quiescent count is unchanged, its step sequence is not).
    One output register, one transfer per cycle, holds under backpressure.
    """

    def __init__(self, *, addr_width: int, value_bits: int, count_bits: int,
                 skip_gated: bool = False):
        check_int("addr_width", addr_width, lo=1, hi=32)
        check_int("value_bits", value_bits, lo=2, hi=MAX_WIDTH)
        check_int("count_bits", count_bits, lo=1, hi=32)
        if not isinstance(skip_gated, bool):
            raise ConfigError(f"skip_gated must be True or False, got {skip_gated!r}")
        self.addr_width, self.value_bits, self.count_bits = addr_width, value_bits, count_bits
        self.skip_gated = skip_gated
        self.input_layout = gate_input_layout(addr_width=addr_width, value_bits=value_bits,
                                              count_bits=count_bits)
        self.output_layout = step_input_layout(addr_width=addr_width, input_bits=value_bits)
        super().__init__({
            "i_input": In(stream.Signature(self.input_layout)),
            "o_output": Out(stream.Signature(self.output_layout)),
        })

    def elaborate(self, platform):
        m = Module()
        inp, out = self.i_input, self.o_output
        gate = inp.payload.count != 0
        m.d.comb += inp.ready.eq(~out.valid | out.ready)
        with m.If(out.valid & out.ready):
            m.d.sync += out.valid.eq(0)
        with m.If(inp.valid & inp.ready & (gate | (not self.skip_gated))):
            m.d.sync += [
                out.valid.eq(1),
                out.payload.addr.eq(inp.payload.addr),
                out.payload.value.eq(Mux(gate, inp.payload.value, 0)),
            ]
        return m
