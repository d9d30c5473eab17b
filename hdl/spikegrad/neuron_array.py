"""Shared skeleton of the SpikeGrad neuron arrays: a register file of (potential, count) per
neuron, one clock step of one neuron per input event, signed spike events out.

Subclasses give the step rule (:meth:`NeuronStepArray._step`); the ports are the same:

* ``i_input``: ``lib.stream`` of ``{addr: unsigned(addr_width), value: signed(input_bits)}``:
  one clock step of neuron ``addr`` with input ``value`` (the golden step function's
  ``synaptic_input`` / ``error_input``; ``value = 0`` steps a neuron towards quiescence).
  Addresses ``>= n_neurons`` are consumed and ignored.
* ``o_spikes``: ``lib.stream`` of :func:`snnforge.hdl.stream.spike_event_layout` - the signed
  spike channel shared with SSNN-BP (``negative = 1`` for a -1 spike); only non-zero spikes.
* ``clear``: high for one cycle zeroes every potential and count (a new sample); inputs are
  not accepted while it is high.
* ``probe_addr`` -> ``probe_potential``, ``probe_count``: combinational read of one neuron's
  state (the host reads the counts at quiescence; the derivative gate and testbenches use it).

One output register: an input is accepted when the output is empty or being taken, so the
array sustains one step per cycle and holds under backpressure; spike latency 1 cycle.
"""
from __future__ import annotations

from amaranth.hdl import Array, Const, Module, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.stream import spike_event_layout
from snnforge.hdl.checks import MAX_WIDTH, check_int, index_width

__all__ = ["NeuronStepArray", "step_input_layout"]

#: Largest neuron array (register file; use several arrays or a memory-backed array beyond).
MAX_NEURONS = 4096


def step_input_layout(*, addr_width: int, input_bits: int) -> data.StructLayout:
    """One step of a neuron array: ``addr`` (``addr_width`` bits, the neuron) and ``value``
    (signed ``input_bits``, what it integrates), LSB first."""
    return data.StructLayout({"addr": unsigned(addr_width), "value": signed(input_bits)})


class NeuronStepArray(wiring.Component):
    """Base of :class:`TernaryIFNeuronArray` and :class:`TernaryErrorIntegratorArray`."""

    count_signed: bool = False

    def __init__(self, *, n_neurons: int, threshold: int, threshold_name: str,
                 count_bits: int, potential_bits: int, input_bits: int):
        check_int("n_neurons", n_neurons, lo=1, hi=MAX_NEURONS)
        check_int(threshold_name, threshold, lo=1,
                  hint="a zero threshold makes a neuron fire on every step forever")
        check_int("count_bits", count_bits, lo=2 if self.count_signed else 1, hi=32)
        check_int("potential_bits", potential_bits, lo=2, hi=MAX_WIDTH)
        check_int("input_bits", input_bits, lo=2, hi=MAX_WIDTH)
        if threshold > (1 << (potential_bits - 1)) - 1:
            raise ConfigError(
                f"potential_bits={potential_bits} cannot hold {threshold_name}={threshold}; "
                f"set potential_bits >= {threshold.bit_length() + 1}")
        if input_bits > potential_bits:
            raise ConfigError(f"input_bits={input_bits} is wider than potential_bits="
                              f"{potential_bits}; the potential must hold any single input")
        self.n_neurons = n_neurons
        self.threshold = threshold
        self.count_bits = count_bits
        self.potential_bits = potential_bits
        self.input_bits = input_bits
        self.addr_width = index_width(n_neurons)
        self.input_layout = step_input_layout(addr_width=self.addr_width,
                                              input_bits=input_bits)
        self.event_layout = spike_event_layout(addr_width=self.addr_width)
        count_shape = signed(count_bits) if self.count_signed else unsigned(count_bits)
        super().__init__({
            "i_input": In(stream.Signature(self.input_layout)),
            "o_spikes": Out(stream.Signature(self.event_layout)),
            "clear": In(1),
            "probe_addr": In(self.addr_width),
            "probe_potential": Out(signed(potential_bits)),
            "probe_count": Out(count_shape),
        })

    def _step(self, m: Module, v, c):
        """Step rule: given the potential ``v`` after adding the input (potential_bits + 1
        wide) and the count ``c``, return ``(plus, minus)`` 1-bit signals (at most one high)."""
        raise NotImplementedError

    def elaborate(self, platform):
        m = Module()
        count_shape = signed(self.count_bits) if self.count_signed else unsigned(self.count_bits)
        pots = [Signal(signed(self.potential_bits), name=f"potential_{i}")
                for i in range(self.n_neurons)]
        counts = [Signal(count_shape, name=f"count_{i}") for i in range(self.n_neurons)]
        # read ports cover every address value (zeros past n_neurons), so the muxes are complete
        pad = (1 << self.addr_width) - self.n_neurons
        read_pots = Array(list(pots) + [Const(0, signed(self.potential_bits))] * pad)
        read_counts = Array(list(counts) + [Const(0, count_shape)] * pad)

        inp, out = self.i_input, self.o_spikes
        addr = inp.payload.addr
        in_range = Signal()
        old_v = Signal(signed(self.potential_bits))
        old_c = Signal(count_shape)
        v = Signal(signed(self.potential_bits + 1))
        m.d.comb += [
            in_range.eq(addr < self.n_neurons),
            old_v.eq(read_pots[addr]),
            old_c.eq(read_counts[addr]),
            v.eq(old_v + inp.payload.value),
            inp.ready.eq(~self.clear & (~out.valid | out.ready)),
            self.probe_potential.eq(read_pots[self.probe_addr]),
            self.probe_count.eq(read_counts[self.probe_addr]),
        ]
        plus, minus = self._step(m, v, old_c)

        with m.If(out.valid & out.ready):
            m.d.sync += out.valid.eq(0)
        next_v = Signal(signed(self.potential_bits))
        next_c = Signal(count_shape)
        with m.If(plus):
            m.d.comb += [next_v.eq(v - self.threshold), next_c.eq(old_c + 1)]
        with m.Elif(minus):
            m.d.comb += [next_v.eq(v + self.threshold), next_c.eq(old_c - 1)]
        with m.Else():
            m.d.comb += [next_v.eq(v), next_c.eq(old_c)]
        step = Signal()
        m.d.comb += step.eq(inp.valid & inp.ready & in_range)
        # one write enable per neuron (an Array-indexed write emits incomplete case statements)
        for i in range(self.n_neurons):
            with m.If(self.clear):
                m.d.sync += [pots[i].eq(0), counts[i].eq(0)]
            with m.Elif(step & (addr == i)):
                m.d.sync += [pots[i].eq(next_v), counts[i].eq(next_c)]
        with m.If(step & (plus | minus)):
            m.d.sync += [out.valid.eq(1), out.payload.addr.eq(addr),
                         out.payload.negative.eq(minus)]
        return m
