"""A SpikeGrad backward layer engine: error spikes from the layer above, the transposed fan-out
through the same weight layout, the derivative gate, ternary error integrators; composed from
:class:`SynapticFanout` (``transposed=True``), :class:`DerivativeGate` and
:class:`TernaryErrorIntegratorArray`.

At quiescence the error counts equal the ANN-equivalent
``quiescent_error_count(gate * (W^T @ n_above))`` whatever the order of the error spikes.
"""
from __future__ import annotations

from amaranth.hdl import Module, signed
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.hdl.stream import spike_event_layout
from snnforge.hdl.checks import check_int, signed_bits

from .derivative_gate import DerivativeGate
from .error_integrator import TernaryErrorIntegratorArray
from .fanout import SynapticFanout, weight_write_layout
from .neuron_array import step_input_layout

__all__ = ["BackwardLayer"]


class BackwardLayer(wiring.Component):
    """``i_errors`` (error spikes of the ``n_post`` neurons above, signed spike channel) ->
    rows ``+-W[k, :]`` -> derivative gate (``gate_mask`` bit j = forward count of neuron j > 0)
    -> ``n_pre`` error integrators -> ``o_errors`` (their error spikes, same channel).

    ``i_direct``: direct integrator steps (zero-value sweeps until quiet), served when the gate
    has no output. ``clear``, ``probe_*``, ``i_write`` as in :class:`ForwardLayer`.
    ``error_count_max_above``: the largest |error count| of a neuron above (its error spikes
    net out to at most this), used to reject a ``potential_bits`` that could overflow.
    """

    def __init__(self, *, n_pre: int, n_post: int, weight_bits: int, theta_bp: int,
                 error_bits: int, potential_bits: int, error_count_max_above: int, init=None):
        check_int("n_post", n_post, lo=1)
        check_int("weight_bits", weight_bits, lo=2, hi=32)
        check_int("theta_bp", theta_bp, lo=1,
                  hint="a zero threshold makes an error integrator fire forever")
        check_int("error_bits", error_bits, lo=2, hi=32)
        check_int("potential_bits", potential_bits, lo=2, hi=64)
        check_int("error_count_max_above", error_count_max_above, lo=1)
        # worst case |U| = |sum_k W[k, j] n_k| + theta_bp * error_max (U = total - theta_bp * n)
        worst = (n_post * (1 << (weight_bits - 1)) * error_count_max_above
                 + theta_bp * ((1 << (error_bits - 1)) - 1))
        if potential_bits < signed_bits(worst):
            raise ConfigError(
                f"potential_bits={potential_bits} is too narrow: with n_post={n_post}, "
                f"weight_bits={weight_bits}, error_count_max_above={error_count_max_above}, "
                f"theta_bp={theta_bp}, error_bits={error_bits} the error potential can reach "
                f"+-{worst}; set potential_bits >= {signed_bits(worst)}")
        self.fanout = SynapticFanout(n_pre=n_pre, n_post=n_post, weight_bits=weight_bits,
                                     transposed=True, init=init)
        self.gate = DerivativeGate(addr_width=self.fanout.dst_addr_width,
                                   value_bits=weight_bits + 1, count_bits=1)
        self.integrators = TernaryErrorIntegratorArray(
            n_neurons=n_pre, theta_bp=theta_bp, error_bits=error_bits,
            potential_bits=potential_bits, input_bits=weight_bits + 1)
        self.n_pre, self.n_post = n_pre, n_post
        aw = self.integrators.addr_width
        super().__init__({
            "i_errors": In(stream.Signature(
                spike_event_layout(addr_width=self.fanout.src_addr_width))),
            "i_direct": In(stream.Signature(step_input_layout(addr_width=aw,
                                                              input_bits=weight_bits + 1))),
            "o_errors": Out(stream.Signature(spike_event_layout(addr_width=aw))),
            "i_write": In(stream.Signature(weight_write_layout(
                index_bits=self.fanout.index_bits, weight_bits=weight_bits))),
            "gate_mask": In(n_pre),
            "clear": In(1),
            "probe_addr": In(aw),
            "probe_potential": Out(signed(potential_bits)),
            "probe_count": Out(signed(error_bits)),
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.fanout = fanout = self.fanout
        m.submodules.gate = gate = self.gate
        m.submodules.integrators = integ = self.integrators
        wiring.connect(m, wiring.flipped(self.i_errors), fanout.i_spikes)
        wiring.connect(m, wiring.flipped(self.i_write), fanout.i_write)
        wiring.connect(m, integ.o_spikes, wiring.flipped(self.o_errors))
        syn = fanout.o_inputs
        m.d.comb += [
            gate.i_input.valid.eq(syn.valid),
            gate.i_input.payload.addr.eq(syn.payload.addr),
            gate.i_input.payload.value.eq(syn.payload.value),
            gate.i_input.payload.count.eq(self.gate_mask.bit_select(syn.payload.addr, 1)),
            syn.ready.eq(gate.i_input.ready),
            integ.clear.eq(self.clear),
            integ.probe_addr.eq(self.probe_addr),
            self.probe_potential.eq(integ.probe_potential),
            self.probe_count.eq(integ.probe_count),
        ]
        gated, direct = gate.o_output, self.i_direct
        with m.If(gated.valid):  # the synaptic path has priority
            m.d.comb += [integ.i_input.valid.eq(1), integ.i_input.payload.eq(gated.payload),
                         gated.ready.eq(integ.i_input.ready)]
        with m.Else():
            m.d.comb += [integ.i_input.valid.eq(direct.valid),
                         integ.i_input.payload.eq(direct.payload),
                         direct.ready.eq(integ.i_input.ready)]
        return m
