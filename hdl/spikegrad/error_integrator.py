"""Ternary error integrators (SpikeGrad backward pass), an array with one register pair per
neuron. Behaviour: :func:`snnforge.golden_model.spikegrad.units.error_integrator_step`."""
from __future__ import annotations

from amaranth.hdl import Module, Signal

from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.hdl.checks import check_int

from .neuron_array import NeuronStepArray

__all__ = ["TernaryErrorIntegratorArray"]


class TernaryErrorIntegratorArray(NeuronStepArray):
    """``n_neurons`` ternary error integrators; one :func:`error_integrator_step` per event.

    Per neuron: error potential ``U`` (signed ``potential_bits``, never saturates), error count
    ``n`` (signed ``error_bits``, within ``+-error_max``, ``error_max = 2**(error_bits-1) - 1``).
    Step: ``U += value``; then the first matching rule fires: ``n >= 0, U >= theta_bp,
    n < error_max``: +1; ``n > 0, U < 0``: -1 (undo); ``n <= 0, U <= -theta_bp, n > -error_max``:
    -1; ``n < 0, U > 0``: +1 (undo); ``U -= spike * theta_bp``, ``n += spike``.
    Ports: see :class:`NeuronStepArray` (``probe_count`` is signed).
    """

    count_signed = True

    def __init__(self, *, n_neurons: int, theta_bp: int, error_bits: int, potential_bits: int,
                 input_bits: int):
        super().__init__(n_neurons=n_neurons, threshold=theta_bp, threshold_name="theta_bp",
                         count_bits=error_bits, potential_bits=potential_bits,
                         input_bits=input_bits)
        self.theta_bp = theta_bp
        self.error_bits = error_bits
        self.error_max = (1 << (error_bits - 1)) - 1

    @classmethod
    def from_config(cls, config: SpikeGradConfig, *, n_neurons: int, input_bits: int):
        """The array for one layer's error integrators of ``config``."""
        config.validate()
        check_int("n_neurons", n_neurons, lo=1)
        return cls(n_neurons=n_neurons, theta_bp=config.theta_bp, error_bits=config.error_bits,
                   potential_bits=config.error_potential_bits, input_bits=input_bits)

    def _step(self, m: Module, u, n):
        t, emax = self.theta_bp, self.error_max
        pos_fire, pos_undo, neg_fire, neg_undo = Signal(), Signal(), Signal(), Signal()
        plus, minus = Signal(), Signal()
        m.d.comb += [
            pos_fire.eq((n >= 0) & (u >= t) & (n < emax)),
            pos_undo.eq(~pos_fire & (n > 0) & (u < 0)),
            neg_fire.eq(~pos_fire & ~pos_undo & (n <= 0) & (u <= -t) & (n > -emax)),
            neg_undo.eq(~pos_fire & ~pos_undo & ~neg_fire & (n < 0) & (u > 0)),
            plus.eq(pos_fire | neg_undo),
            minus.eq(pos_undo | neg_fire),
        ]
        return plus, minus
