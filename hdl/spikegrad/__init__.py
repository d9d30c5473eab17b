"""SpikeGrad RTL units (SPEC 1.2), each the hardware form of one golden step function in
:mod:`snnforge.golden_model.spikegrad.units`:

* :class:`TernaryIFNeuronArray` - forward ternary IF neurons (``if_neuron_step``);
* :class:`TernaryErrorIntegratorArray` - backward ternary error integrators
  (``error_integrator_step``);
* :class:`DerivativeGate` - ``value * derivative_gate(count)``;
* :class:`GradientWeightUpdate` - ``weight_update`` (post error x pre count, rounded, saturating);
* :class:`SynapticFanout` - weights in memory, ``sign * W[:, j]`` (forward) or ``W[k, :]``
  (backward, transposed read) per spike; :class:`ForwardLayer` - fan-out into IF neurons;
  :class:`BackwardLayer` - transposed fan-out, derivative gate, error integrators.

Spikes and error spikes leave the arrays on the signed spike channel of
:mod:`snnforge.hdl.stream` (``spike_event_layout``: address + negative bit).
"""
from .backward_layer import BackwardLayer
from .derivative_gate import DerivativeGate, gate_input_layout
from .error_integrator import TernaryErrorIntegratorArray
from .fanout import SynapticFanout, weight_write_layout
from .forward_layer import ForwardLayer
from .if_neuron import TernaryIFNeuronArray
from .neuron_array import NeuronStepArray, step_input_layout
from .weight_update import GradientWeightUpdate, update_input_layout

__all__ = ["TernaryIFNeuronArray", "TernaryErrorIntegratorArray", "DerivativeGate",
           "GradientWeightUpdate", "NeuronStepArray", "SynapticFanout", "ForwardLayer",
           "BackwardLayer", "step_input_layout", "gate_input_layout", "update_input_layout",
           "weight_write_layout"]

from . import registration  # noqa: E402,F401  registers the units for generate / synth
