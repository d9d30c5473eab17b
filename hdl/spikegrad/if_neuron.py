"""Ternary integrate-and-fire neurons (SpikeGrad forward pass), an array with one register
pair per neuron. Behaviour: :func:`snnforge.golden_model.spikegrad.units.if_neuron_step`."""
from __future__ import annotations

from amaranth.hdl import Module, Signal

from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.hdl.checks import check_int

from .neuron_array import NeuronStepArray

__all__ = ["TernaryIFNeuronArray"]


class TernaryIFNeuronArray(NeuronStepArray):
    """``n_neurons`` ternary IF neurons; one :func:`if_neuron_step` per input event.

    Per neuron: potential ``V`` (signed ``potential_bits``, never saturates: size it with
    :meth:`SpikeGradConfig.required_bits`), count ``c`` (unsigned ``count_bits``, stops at
    ``count_max = 2**count_bits - 1``). Step: ``V += value``; then ``V >= theta`` and
    ``c < count_max``: +1 spike, ``V -= theta``, ``c += 1``; else ``V < 0`` and ``c > 0``: -1 spike,
    ``V += theta``, ``c -= 1``. Ports: see :class:`NeuronStepArray`.
    """

    count_signed = False

    def __init__(self, *, n_neurons: int, theta: int, count_bits: int, potential_bits: int,
                 input_bits: int):
        super().__init__(n_neurons=n_neurons, threshold=theta, threshold_name="theta",
                         count_bits=count_bits, potential_bits=potential_bits,
                         input_bits=input_bits)
        self.theta = theta
        self.count_max = (1 << count_bits) - 1

    @classmethod
    def from_config(cls, config: SpikeGradConfig, *, n_neurons: int, input_bits: int):
        """The array for a hidden layer of ``config`` (widths and threshold from it)."""
        config.validate()
        check_int("n_neurons", n_neurons, lo=1)
        return cls(n_neurons=n_neurons, theta=config.theta, count_bits=config.count_bits,
                   potential_bits=config.potential_bits, input_bits=input_bits)

    def _step(self, m: Module, v, c):
        plus, minus = Signal(), Signal()
        m.d.comb += [
            plus.eq((v >= self.theta) & (c < self.count_max)),
            minus.eq(~plus & (v < 0) & (c > 0)),
        ]
        return plus, minus
