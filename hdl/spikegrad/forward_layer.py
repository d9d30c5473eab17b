"""A SpikeGrad forward layer engine: synaptic fan-out (weights in memory) into a ternary IF
neuron array, composed from :class:`SynapticFanout` and :class:`TernaryIFNeuronArray`.

At quiescence the neurons' net counts equal the ANN-equivalent
``quiescent_count(bias + W @ c_pre)`` whatever the order of the input spikes (SPEC 1.2).
"""
from __future__ import annotations

from amaranth.hdl import Module, signed, unsigned
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

from spikeforge.errors import ConfigError
from spikeforge.hdl.stream import SpikeEventLayout

from .checks import check_int, signed_bits
from .fanout import SynapticFanout, WeightWriteLayout
from .if_neuron import TernaryIFNeuronArray
from .neuron_array import StepInputLayout

__all__ = ["ForwardLayer"]


class ForwardLayer(wiring.Component):
    """``i_spikes`` (pre-synaptic ternary spikes, signed spike channel) -> fan-out through
    ``W[post, pre]`` -> ``n_post`` IF neurons -> ``o_spikes`` (their spikes, same channel).

    ``i_write``: weight writes into the fan-out's memory (from the weight-update unit).
    ``i_direct``: direct neuron steps ``{addr, value}`` (signed ``weight_bits + 1``), served
    when the fan-out has no output: the host sends the biases (one step per neuron at the start
    of a sample) and zero-value steps until a sweep over all neurons emits no spike
    (quiescence). ``clear`` starts a sample; ``probe_addr`` -> ``probe_count`` /
    ``probe_potential`` read a neuron's state. Parameters as :class:`SynapticFanout` and
    :class:`TernaryIFNeuronArray`; ``pre_count_bits``: width of the pre-synaptic counts (the
    most spikes one input neuron sends), used to reject a ``potential_bits`` that could
    overflow for some weights and inputs.
    """

    def __init__(self, *, n_pre: int, n_post: int, weight_bits: int, theta: int,
                 count_bits: int, potential_bits: int, pre_count_bits: int, init=None):
        check_int("n_pre", n_pre, lo=1)
        check_int("weight_bits", weight_bits, lo=2, hi=32)
        check_int("pre_count_bits", pre_count_bits, lo=1, hi=32)
        check_int("theta", theta, lo=1, hint="a zero threshold makes a neuron fire forever")
        check_int("count_bits", count_bits, lo=1, hi=32)
        check_int("potential_bits", potential_bits, lo=2, hi=64)
        # worst case |V| = |bias + sum W * c_pre| + theta * count_max (V = a - theta * c)
        wmax = 1 << (weight_bits - 1)
        worst = (n_pre * wmax * ((1 << pre_count_bits) - 1) + wmax
                 + theta * ((1 << count_bits) - 1))
        if potential_bits < signed_bits(worst):
            raise ConfigError(
                f"potential_bits={potential_bits} is too narrow: with n_pre={n_pre}, "
                f"weight_bits={weight_bits}, pre_count_bits={pre_count_bits}, theta={theta}, "
                f"count_bits={count_bits} the potential can reach +-{worst}; set "
                f"potential_bits >= {signed_bits(worst)}")
        self.fanout = SynapticFanout(n_pre=n_pre, n_post=n_post, weight_bits=weight_bits,
                                     init=init)
        self.neurons = TernaryIFNeuronArray(n_neurons=n_post, theta=theta,
                                            count_bits=count_bits,
                                            potential_bits=potential_bits,
                                            input_bits=weight_bits + 1)
        self.n_pre, self.n_post = n_pre, n_post
        super().__init__({
            "i_spikes": In(stream.Signature(SpikeEventLayout(self.fanout.src_addr_width))),
            "i_direct": In(stream.Signature(StepInputLayout(
                addr_width=self.neurons.addr_width, input_bits=weight_bits + 1))),
            "o_spikes": Out(stream.Signature(SpikeEventLayout(self.neurons.addr_width))),
            "i_write": In(stream.Signature(WeightWriteLayout(
                index_bits=self.fanout.index_bits, weight_bits=weight_bits))),
            "clear": In(1),
            "probe_addr": In(self.neurons.addr_width),
            "probe_potential": Out(signed(potential_bits)),
            "probe_count": Out(unsigned(count_bits)),
        })

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
            m.d.comb += [neurons.i_input.valid.eq(1),
                         neurons.i_input.payload.eq(syn.payload),
                         syn.ready.eq(neurons.i_input.ready)]
        with m.Else():
            m.d.comb += [neurons.i_input.valid.eq(direct.valid),
                         neurons.i_input.payload.eq(direct.payload),
                         direct.ready.eq(neurons.i_input.ready)]
        return m
