"""Registers the SpikeGrad units for ``spikeforge generate`` / ``spikeforge synth``.

Defaults follow :class:`~spikeforge.golden_model.spikegrad.config.SpikeGradConfig` ``()``
(784-512-10: theta = theta_bp = 4096, 16-bit weights, 8-bit counts, 10-bit error counts,
V 33 bits and U 29 bits as its worst case needs), with a 16-neuron register-file array.
"""
from __future__ import annotations

from spikeforge.golden_model.spikegrad import units
from spikeforge.hdl.registry import register_unit

from .backward_layer import BackwardLayer
from .derivative_gate import DerivativeGate
from .error_integrator import TernaryErrorIntegratorArray
from .fanout import SynapticFanout
from .forward_layer import ForwardLayer
from .if_neuron import TernaryIFNeuronArray
from .weight_update import WeightUpdateUnit

__all__: list[str] = []

_ARRAY = {"n_neurons": (int, 16, "neurons in the array (register file)")}

register_unit(
    "spikegrad_if_neurons",
    factory=TernaryIFNeuronArray,
    params={**_ARRAY,
            "theta": (int, 4096, "forward threshold, V units"),
            "count_bits": (int, 8, "unsigned activity count width, bits"),
            "potential_bits": (int, 33, "signed membrane potential width, bits"),
            "input_bits": (int, 16, "signed synaptic input width (one weight), bits")},
    description="ternary IF neuron array (SpikeGrad forward), signed spike events out",
    golden=units.if_neuron_step,
    golden_config=lambda p: {"theta": p["theta"], "count_max": (1 << p["count_bits"]) - 1},
)

register_unit(
    "spikegrad_error_integrators",
    factory=TernaryErrorIntegratorArray,
    params={**_ARRAY,
            "theta_bp": (int, 4096, "error threshold, U units"),
            "error_bits": (int, 10, "signed error count width, bits"),
            "potential_bits": (int, 29, "signed error potential width, bits"),
            "input_bits": (int, 22,
                           "signed error input width (output error |e| <= G = 2**20), bits")},
    description="ternary error integrator array (SpikeGrad backward), signed error spikes out",
    golden=units.error_integrator_step,
    golden_config=lambda p: {"theta_bp": p["theta_bp"],
                             "error_max": (1 << (p["error_bits"] - 1)) - 1},
)

register_unit(
    "spikegrad_derivative_gate",
    factory=DerivativeGate,
    params={"addr_width": (int, 9, "neuron address width, bits"),
            "value_bits": (int, 16, "signed error contribution width, bits"),
            "count_bits": (int, 8, "unsigned forward count width, bits"),
            "skip_gated": (bool, False, "drop gated contributions instead of passing 0")},
    description="ReLU derivative gate: value if the neuron's count > 0 else 0",
    golden=units.derivative_gate,
)

register_unit(
    "spikegrad_weight_update",
    factory=WeightUpdateUnit,
    params={"weight_bits": (int, 16, "signed weight width, bits (saturating)"),
            "error_bits": (int, 10, "signed post-synaptic error count width, bits"),
            "count_bits": (int, 8, "unsigned pre-synaptic count width, bits"),
            "lr_mult": (int, 1, "learning-rate multiplier"),
            "lr_shift": (int, 8, "learning-rate shift: lr = lr_mult / 2**lr_shift LSB")},
    description="weight update sat(W - round(lr * n * c)), post error x pre count",
    golden=units.weight_update,
    golden_config=lambda p: {k: p[k] for k in ("lr_mult", "lr_shift", "weight_bits")},
)

register_unit(
    "spikegrad_fanout",
    factory=SynapticFanout,
    params={"n_pre": (int, 64, "pre-synaptic neurons"),
            "n_post": (int, 16, "post-synaptic neurons"),
            "weight_bits": (int, 16, "signed weight width, bits (memory word)"),
            "transposed": (bool, False, "backward (row W[k, :]) instead of forward fan-out")},
    description="synaptic fan-out: spike event -> +-W column (or row) from a weight memory",
)

register_unit(
    "spikegrad_forward_layer",
    factory=ForwardLayer,
    params={"n_pre": (int, 64, "pre-synaptic neurons"),
            "n_post": (int, 16, "IF neurons"),
            "weight_bits": (int, 16, "signed weight width, bits"),
            "theta": (int, 4096, "forward threshold, V units"),
            "count_bits": (int, 8, "unsigned activity count width, bits"),
            "potential_bits": (int, 26, "signed membrane potential width, bits"),
            "pre_count_bits": (int, 4, "unsigned pre-synaptic count width (input_bits), bits")},
    description="forward layer engine: fan-out from weight memory into ternary IF neurons",
)

register_unit(
    "spikegrad_backward_layer",
    factory=BackwardLayer,
    params={"n_pre": (int, 64, "neurons of this layer (error integrators)"),
            "n_post": (int, 16, "neurons above, whose error spikes arrive"),
            "weight_bits": (int, 16, "signed weight width, bits"),
            "theta_bp": (int, 4096, "error threshold, U units"),
            "error_bits": (int, 10, "signed error count width, bits"),
            "potential_bits": (int, 30, "signed error potential width, bits"),
            "error_count_max_above": (int, 511, "largest |error count| of a neuron above")},
    description="backward layer engine: error spikes -> transposed weight rows -> derivative "
                "gate -> ternary error integrators",
)
