"""A SpikeGrad forward layer engine: synaptic fan-out (weights in memory) into a ternary IF
neuron array, composed from :class:`SynapticFanout` and :class:`TernaryIFNeuronArray`.

At quiescence the neurons' net counts equal the ANN-equivalent
``quiescent_count(bias_count * b + W @ c_pre)`` whatever the order of the input spikes (SPEC 1.2).
"""
from __future__ import annotations

from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import MAX_BIAS_COUNT
from snnforge.hdl.stream import spike_event_layout
from snnforge.hdl.checks import check_int, signed_bits

from .fanout import SynapticFanout, weight_write_layout
from .if_neuron import TernaryIFNeuronArray
from .neuron_array import step_input_layout

__all__ = ["ForwardLayer"]


class ForwardLayer(wiring.Component):
    """``i_spikes`` (pre-synaptic ternary spikes, signed spike channel) -> fan-out through
    ``W[post, pre]`` -> ``n_post`` IF neurons -> ``o_spikes`` (their spikes, same channel).

    ``i_write``: weight writes into the fan-out's memory (from the weight-update unit).
    ``i_direct``: direct neuron steps ``{addr, value}`` (signed ``direct_bits``), served
    when the fan-out has no output: the host sends the bias inputs ``bias_count * b`` (one step
    per neuron at the start of a sample; ``b`` a ``weight_bits`` weight, ``bias_count`` the
    bias input's spikes per sample) and zero-value steps until a sweep over all neurons emits
    no spike (quiescence). ``clear`` starts a sample; ``probe_addr`` -> ``probe_count`` /
    ``probe_potential`` read a neuron's state. Parameters as :class:`SynapticFanout` and
    :class:`TernaryIFNeuronArray`; ``pre_count_bits``: width of the pre-synaptic counts (the
    most spikes one input neuron sends), used to reject a ``potential_bits`` that could
    overflow for some weights and inputs.
    """

    def __init__(self, *, n_pre: int, n_post: int, weight_bits: int, theta: int,
                 count_bits: int, potential_bits: int, pre_count_bits: int,
                 bias_count: int = 1, init=None):
        check_int("n_pre", n_pre, lo=1)
        check_int("weight_bits", weight_bits, lo=2, hi=32)
        check_int("pre_count_bits", pre_count_bits, lo=1, hi=32)
        check_int("theta", theta, lo=1, hint="a zero threshold makes a neuron fire forever")
        check_int("count_bits", count_bits, lo=1, hi=32)
        check_int("potential_bits", potential_bits, lo=2, hi=64)
        check_int("bias_count", bias_count, lo=1, hi=MAX_BIAS_COUNT,
                  hint="the bias input's spikes per sample")
        # worst case |V| = |bias_count * b + sum W * c_pre| + theta * count_max (V = a - theta*c)
        wmax = 1 << (weight_bits - 1)
        worst = (n_pre * wmax * ((1 << pre_count_bits) - 1) + wmax * bias_count
                 + theta * ((1 << count_bits) - 1))
        if potential_bits < signed_bits(worst):
            raise ConfigError(
                f"potential_bits={potential_bits} is too narrow: with n_pre={n_pre}, "
                f"weight_bits={weight_bits}, pre_count_bits={pre_count_bits}, "
                f"bias_count={bias_count}, theta={theta}, count_bits={count_bits} the "
                f"potential can reach +-{worst}; set potential_bits >= {signed_bits(worst)}")
        self.direct_bits = self.direct_step_bits(weight_bits=weight_bits, bias_count=bias_count)
        self.bias_count = bias_count
        self.fanout = SynapticFanout(n_pre=n_pre, n_post=n_post, weight_bits=weight_bits,
                                     init=init)
        self.neurons = TernaryIFNeuronArray(n_neurons=n_post, theta=theta,
                                            count_bits=count_bits,
                                            potential_bits=potential_bits,
                                            input_bits=self.direct_bits)
        self.n_pre, self.n_post = n_pre, n_post
        super().__init__({
            "i_spikes": In(stream.Signature(
                spike_event_layout(addr_width=self.fanout.src_addr_width))),
            "i_direct": In(stream.Signature(step_input_layout(
                addr_width=self.neurons.addr_width, input_bits=self.direct_bits))),
            "o_spikes": Out(stream.Signature(
                spike_event_layout(addr_width=self.neurons.addr_width))),
            "i_write": In(stream.Signature(weight_write_layout(
                index_bits=self.fanout.index_bits, weight_bits=weight_bits))),
            "clear": In(1),
            "probe_addr": In(self.neurons.addr_width),
            "probe_potential": Out(signed(potential_bits)),
            "probe_count": Out(unsigned(count_bits)),
        })

    @staticmethod
    def direct_step_bits(*, weight_bits: int, bias_count: int) -> int:
        """Signed width of a neuron step: a bias input ``bias_count * b`` with ``b`` in
        ``[-2**(weight_bits-1), 2**(weight_bits-1) - 1]``, or one fan-out transfer ``+-W``
        (``weight_bits + 1``)."""
        wmax = 1 << (weight_bits - 1)
        return max(weight_bits + 1, (bias_count * wmax - 1).bit_length() + 1)

    def elaborate(self, platform):
        m = Module()
        m.submodules.fanout = fanout = self.fanout
        m.submodules.neurons = neurons = self.neurons
        wiring.connect(m, wiring.flipped(self.i_spikes), fanout.i_spikes)
        wiring.connect(m, neurons.o_spikes, wiring.flipped(self.o_spikes))
        wiring.connect(m, wiring.flipped(self.i_write), fanout.i_write)
        m.d.comb += [
            neurons.clear.eq(self.clear),
            neurons.probe_addr.eq(self.probe_addr),
            self.probe_potential.eq(neurons.probe_potential),
            self.probe_count.eq(neurons.probe_count),
        ]
        syn, direct = fanout.o_inputs, self.i_direct
        with m.If(syn.valid):  # the fan-out has priority
            m.d.comb += [neurons.i_input.valid.eq(1),  # +-W sign-extended to direct_bits
                         neurons.i_input.payload.addr.eq(syn.payload.addr),
                         neurons.i_input.payload.value.eq(syn.payload.value),
                         syn.ready.eq(neurons.i_input.ready)]
        with m.Else():
            m.d.comb += [neurons.i_input.valid.eq(direct.valid),
                         neurons.i_input.payload.eq(direct.payload),
                         direct.ready.eq(neurons.i_input.ready)]
        return m
