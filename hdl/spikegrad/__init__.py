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
:mod:`snnforge.hdl.stream` (``SpikeEventLayout``: address + negative bit).
"""
from .backward_layer import BackwardLayer
from .derivative_gate import DerivativeGate, GateInputLayout
from .error_integrator import TernaryErrorIntegratorArray
from .fanout import SynapticFanout, WeightWriteLayout
from .forward_layer import ForwardLayer
from .if_neuron import TernaryIFNeuronArray
from .neuron_array import NeuronStepArray, StepInputLayout
from .weight_update import GradientWeightUpdate, UpdateInputLayout

__all__ = ["TernaryIFNeuronArray", "TernaryErrorIntegratorArray", "DerivativeGate",
           "GradientWeightUpdate", "NeuronStepArray", "StepInputLayout", "GateInputLayout",
           "UpdateInputLayout", "SynapticFanout", "WeightWriteLayout", "ForwardLayer",
           "BackwardLayer"]

from . import registration  # noqa: E402,F401  registers the units for generate / synth
