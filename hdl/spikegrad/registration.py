"""Registers the SpikeGrad units for ``snnforge generate`` / ``snnforge synth``.

Every default comes from the trained number formats, :func:`training_config` ``(784, 800, 800,
10)`` (:data:`TRAINING_CONFIG`; theta = theta_bp = 2**18, 22-bit weights, 10-bit counts,
18-bit error counts, one-spike bias inputs, V / U widths of its worst case),
through :func:`training_defaults`; only the neuron / synapse counts are kept small (16-neuron
register-file arrays, 1,024-weight memories: 64 -> 16 forward, 64 neurons above -> 16 error
integrators backward) so the units simulate and synthesize (64 register-file integrators of
43 + 14 bits needed 5,754 LUT4 at the theta-2^16 formats, more than an iCE40 UP5K has). Which
layer each unit's widths describe:

* IF neurons, forward layer: weight layer 1 (800 hidden -> 800 hidden; its worst case sets
  ``potential_bits``, pre-synaptic counts are 10-bit hidden counts); input = one fan-out
  transfer ``+-W`` or the bias input ``bias_count * b`` (:meth:`ForwardLayer.direct_step_bits`).
* error integrators: ``potential_bits`` of the first hidden layer's integrators (the widest U,
  800 error counts above), input wide enough for the output layer's injected error
  ``|e| <= gradient_scale`` (the widest single input of any layer), so one array serves every
  layer; backward layer: the first hidden layer (``error_count_max_above`` = ``error_max``).
* derivative gate: an 800-neuron hidden layer (10-bit address), value ``+-W``.
* weight update: weight layer 1 (10-bit pre counts, which also hold its bias count; its
  learning-rate shift).
"""
from __future__ import annotations

from snnforge.golden_model.spikegrad import units
from snnforge.golden_model.spikegrad.config import (TRAINING_ERROR_RESOLUTION, TRAINING_FORMATS,
                                                    SpikeGradConfig, default_lr_shifts,
                                                    training_config)
from snnforge.golden_model.spikegrad.presets import hardware_preset
from snnforge.hdl.registry import register_unit
from snnforge.hdl.checks import check_int, index_width, signed_bits

from .backward_layer import BackwardLayer
from .derivative_gate import DerivativeGate
from .error_integrator import TernaryErrorIntegratorArray
from .fanout import SynapticFanout
from .forward_layer import ForwardLayer
from .if_neuron import TernaryIFNeuronArray
from .output_error import OutputErrorUnit
from .weight_update import GradientWeightUpdate

__all__ = ["TRAINING_SIZES", "TRAINING_CONFIG", "HIDDEN_WEIGHT_LAYER", "ARRAY_NEURONS",
           "LAYER_PRE", "LAYER_POST", "training_defaults"]

#: The network whose trained formats the defaults take (docs/spikegrad.md "Accuracy").
TRAINING_SIZES = (784, 800, 800, 10)
#: ``training_config(TRAINING_SIZES)``: potential_bits 42, error_potential_bits 49.
TRAINING_CONFIG = training_config(TRAINING_SIZES)
#: The representative weight layer (800 hidden -> 800 hidden).
HIDDEN_WEIGHT_LAYER = 1
#: Neurons per default array, synapses per default weight memory (small enough to simulate
#: and synthesize; the widths stay those of the 800-neuron layers).
ARRAY_NEURONS, LAYER_PRE, LAYER_POST = 16, 64, 16


def training_defaults(config: SpikeGradConfig = TRAINING_CONFIG, *,
                      layer: int = HIDDEN_WEIGHT_LAYER) -> dict[str, dict]:
    """Default parameters of every SpikeGrad unit, by registered name, for the hidden weight
    layer ``layer`` of ``config`` (see the module docstring for which layer each width is)."""
    config.validate()
    check_int("layer", layer, lo=0, hi=config.n_layers - 2,
              hint="a weight layer that feeds hidden neurons (0 = from the inputs)")
    sizes = config.sizes
    step_bits = config.weight_bits + 1  # one fan-out transfer +-W (-W of the most negative W)
    pre_count_bits = config.pre_count_max(layer).bit_length()  # hidden counts or inputs
    bias_count = config.layer_bias_count(layer)
    # the IF array's input: a transfer +-W or the bias input bias_count * b (the forward layer's
    # direct step)
    neuron_input_bits = ForwardLayer.direct_step_bits(weight_bits=config.weight_bits,
                                                      bias_count=bias_count)
    return {
        "spikegrad_if_neurons": {
            "n_neurons": ARRAY_NEURONS, "theta": config.theta, "count_bits": config.count_bits,
            "potential_bits": config.potential_bits, "input_bits": neuron_input_bits},
        "spikegrad_error_integrators": {
            "n_neurons": ARRAY_NEURONS, "theta_bp": config.theta_bp,
            "error_bits": config.error_bits, "potential_bits": config.error_potential_bits,
            "input_bits": max(step_bits, signed_bits(config.gradient_scale))},
        "spikegrad_derivative_gate": {
            "addr_width": index_width(sizes[layer + 1]), "value_bits": step_bits,
            "count_bits": config.count_bits, "skip_gated": False},
        "spikegrad_weight_update": {
            "weight_bits": config.weight_bits, "error_bits": config.error_bits,
            "count_bits": config.update_count_max(layer).bit_length(),
            "lr_mult": config.lr_mult,
            "lr_shift": config.layer_lr_shift(layer)},
        "spikegrad_fanout": {
            "n_pre": LAYER_PRE, "n_post": LAYER_POST, "weight_bits": config.weight_bits,
            "transposed": False},
        "spikegrad_forward_layer": {
            "n_pre": LAYER_PRE, "n_post": LAYER_POST, "weight_bits": config.weight_bits,
            "theta": config.theta, "count_bits": config.count_bits,
            "potential_bits": config.potential_bits,
            "pre_count_bits": pre_count_bits, "bias_count": bias_count},
        "spikegrad_backward_layer": {  # 16 error integrators (register file), 64 above
            "n_pre": ARRAY_NEURONS, "n_post": LAYER_PRE, "weight_bits": config.weight_bits,
            "theta_bp": config.theta_bp, "error_bits": config.error_bits,
            "potential_bits": config.error_potential_bits,
            "error_count_max_above": config.error_max},
    }


_D = training_defaults()


def _p(unit: str, name: str, help_text: str):
    value = _D[unit][name]
    return (type(value), value, help_text)


_IF, _ERR = "spikegrad_if_neurons", "spikegrad_error_integrators"
_GATE, _UPD = "spikegrad_derivative_gate", "spikegrad_weight_update"
_FAN, _FWD, _BWD = "spikegrad_fanout", "spikegrad_forward_layer", "spikegrad_backward_layer"

register_unit(
    _IF,
    factory=TernaryIFNeuronArray,
    params={"n_neurons": _p(_IF, "n_neurons", "neurons in the array (register file)"),
            "theta": _p(_IF, "theta", "forward threshold, V units"),
            "count_bits": _p(_IF, "count_bits", "unsigned activity count width, bits"),
            "potential_bits": _p(_IF, "potential_bits", "signed membrane potential width, bits"),
            "input_bits": _p(_IF, "input_bits",
                             "signed synaptic input width (one fan-out transfer +-W), bits")},
    description="ternary IF neuron array (SpikeGrad forward), signed spike events out",
    golden=units.if_neuron_step,
    golden_config=lambda p: {"theta": p["theta"], "count_max": (1 << p["count_bits"]) - 1},
)

register_unit(
    _ERR,
    factory=TernaryErrorIntegratorArray,
    params={"n_neurons": _p(_ERR, "n_neurons", "neurons in the array (register file)"),
            "theta_bp": _p(_ERR, "theta_bp", "error threshold, U units"),
            "error_bits": _p(_ERR, "error_bits", "signed error count width, bits"),
            "potential_bits": _p(_ERR, "potential_bits", "signed error potential width, bits"),
            "input_bits": _p(_ERR, "input_bits", "signed error input width (output error "
                                                  "|e| <= gradient_scale or +-W), bits")},
    description="ternary error integrator array (SpikeGrad backward), signed error spikes out",
    golden=units.error_integrator_step,
    golden_config=lambda p: {"theta_bp": p["theta_bp"],
                             "error_max": (1 << (p["error_bits"] - 1)) - 1},
)

register_unit(
    _GATE,
    factory=DerivativeGate,
    params={"addr_width": _p(_GATE, "addr_width", "neuron address width, bits"),
            "value_bits": _p(_GATE, "value_bits", "signed error contribution width, bits"),
            "count_bits": _p(_GATE, "count_bits", "unsigned forward count width, bits"),
            "skip_gated": _p(_GATE, "skip_gated",
                             "drop gated contributions instead of passing 0")},
    description="ReLU derivative gate: value if the neuron's count > 0 else 0",
    golden=units.derivative_gate,
)

register_unit(
    _UPD,
    factory=GradientWeightUpdate,
    params={"weight_bits": _p(_UPD, "weight_bits", "signed weight width, bits (saturating)"),
            "error_bits": _p(_UPD, "error_bits", "signed post-synaptic error count width, bits"),
            "count_bits": _p(_UPD, "count_bits", "unsigned pre-synaptic count width, bits"),
            "lr_mult": _p(_UPD, "lr_mult", "learning-rate multiplier"),
            "lr_shift": _p(_UPD, "lr_shift",
                           "learning-rate shift: lr = lr_mult / 2**lr_shift LSB")},
    description="weight update sat(W - round(lr * n * c)), post error x pre count",
    golden=units.weight_update,
    golden_config=lambda p: {k: p[k] for k in ("lr_mult", "lr_shift", "weight_bits")},
)

register_unit(
    _FAN,
    factory=SynapticFanout,
    params={"n_pre": _p(_FAN, "n_pre", "pre-synaptic neurons"),
            "n_post": _p(_FAN, "n_post", "post-synaptic neurons"),
            "weight_bits": _p(_FAN, "weight_bits", "signed weight width, bits (memory word)"),
            "transposed": _p(_FAN, "transposed",
                             "backward (row W[k, :]) instead of forward fan-out")},
    description="synaptic fan-out: spike event -> +-W column (or row) from a weight memory",
)

register_unit(
    _FWD,
    factory=ForwardLayer,
    params={"n_pre": _p(_FWD, "n_pre", "pre-synaptic neurons"),
            "n_post": _p(_FWD, "n_post", "IF neurons"),
            "weight_bits": _p(_FWD, "weight_bits", "signed weight width, bits"),
            "theta": _p(_FWD, "theta", "forward threshold, V units"),
            "count_bits": _p(_FWD, "count_bits", "unsigned activity count width, bits"),
            "potential_bits": _p(_FWD, "potential_bits", "signed membrane potential width, bits"),
            "pre_count_bits": _p(_FWD, "pre_count_bits",
                                 "unsigned pre-synaptic count width, bits"),
            "bias_count": _p(_FWD, "bias_count",
                             "bias input spikes per sample (direct steps carry bias_count*b)")},
    description="forward layer engine: fan-out from weight memory into ternary IF neurons",
)

register_unit(
    _BWD,
    factory=BackwardLayer,
    params={"n_pre": _p(_BWD, "n_pre", "neurons of this layer (error integrators)"),
            "n_post": _p(_BWD, "n_post", "neurons above, whose error spikes arrive"),
            "weight_bits": _p(_BWD, "weight_bits", "signed weight width, bits"),
            "theta_bp": _p(_BWD, "theta_bp", "error threshold, U units"),
            "error_bits": _p(_BWD, "error_bits", "signed error count width, bits"),
            "potential_bits": _p(_BWD, "potential_bits", "signed error potential width, bits"),
            "error_count_max_above": _p(_BWD, "error_count_max_above",
                                        "largest |error count| of a neuron above")},
    description="backward layer engine: error spikes -> transposed weight rows -> derivative "
                "gate -> ternary error integrators",
)


# ---- the on-chip loss ---------------------------------------------------------------------------
#: the loss unit's defaults: the ECP5-85F preset (10 classes, 30-bit totals, theta 2**14,
#: G = 2**30, the preset's loss format)
_LOSS_CONFIG = hardware_preset("ecp5-85f").config()

register_unit(
    "spikegrad_output_error",
    factory=OutputErrorUnit,
    params={"classes": (int, int(_LOSS_CONFIG.sizes[-1]), "output neurons (classes)"),
            "total_bits": (int, _LOSS_CONFIG.potential_bits, "signed output total width, bits"),
            "theta": (int, _LOSS_CONFIG.theta, "forward threshold: logit = total / theta"),
            "gradient_scale": (int, _LOSS_CONFIG.gradient_scale,
                               "G: error = round(G * softmax) - G * onehot"),
            "frac_bits": (int, _LOSS_CONFIG.loss_frac_bits,
                          "fraction bits of the base-2 exponent (2**F-word table)"),
            "exp_bits": (int, _LOSS_CONFIG.loss_exp_bits,
                         "fraction bits of an exponential (table words of X + 1 bits)")},
    description="on-chip SpikeGrad loss: C output totals + label -> C integer output errors "
                "(fixed-point softmax, table exp2, restoring division)",
    golden=units.output_error_fixed,
    golden_config=lambda p: {"theta": p["theta"], "gradient_scale": p["gradient_scale"],
                             "frac_bits": p["frac_bits"], "exp_bits": p["exp_bits"]},
)


# ---- the network top ------------------------------------------------------------------------
#: The hardware formats of :func:`network_config` (theta = theta_bp = 2**16, 14-bit weights,
#: 8-bit inputs, 10-bit counts, 18-bit error counts, one-spike biases), per-sample updates:
#: the demo's and the small verification configurations
NETWORK_HIDDEN = "128"
NETWORK_FORMATS = {"theta": 1 << 16, "theta_bp": 1 << 16, "weight_bits": 14}
NETWORK_INPUT_GAIN = 0.25
#: ``snnforge generate spikegrad_network`` defaults: the format study's ECP5-85F preset
#: (``SpikeGradConfig.hardware_default("ecp5-85f")``: 784-256-10, 12-bit weights at
#: theta 2**14, learning-rate shifts one below the derived ones)
NETWORK_PRESET = hardware_preset("ecp5-85f")


def network_config(*, hidden: str = NETWORK_HIDDEN, inputs: int = 784, classes: int = 10,
                   weight_bits: int = NETWORK_FORMATS["weight_bits"],
                   theta: int = NETWORK_FORMATS["theta"], lr_offset: int = 0,
                   loss: str = "float") -> SpikeGradConfig:
    """The per-sample (batch 1) training configuration of the network top: ``inputs`` -
    ``hidden`` (comma list) - ``classes`` at the hardware formats with ``weight_bits`` and
    ``theta = theta_bp``; learning-rate shifts derived for :data:`NETWORK_INPUT_GAIN` plus
    ``lr_offset`` (as the presets of the format study); ``loss`` ``"float"`` (the host answers
    the totals) or ``"fixed"`` (the on-chip loss unit at the presets' loss format)."""
    from snnforge.commands.options import parse_int_list

    sizes = (check_int("inputs", inputs, lo=1),
             *parse_int_list(hidden, option="hidden", minimum=1, allow_empty=True),
             check_int("classes", classes, lo=2))
    check_int("theta", theta, lo=1, hint="a zero threshold makes a neuron fire forever")
    shifts = default_lr_shifts(len(sizes) - 1, theta=theta, theta_bp=theta,
                               gradient_scale=theta * TRAINING_ERROR_RESOLUTION,
                               input_bits=TRAINING_FORMATS["input_bits"],
                               input_gain=NETWORK_INPUT_GAIN)
    shifts = tuple(s + check_int("lr_offset", lr_offset, lo=-62, hi=62) for s in shifts)
    fmt = NETWORK_PRESET.config()
    return training_config(sizes, batch=1, theta=theta, theta_bp=theta,
                           weight_bits=check_int("weight_bits", weight_bits, lo=2, hi=32),
                           input_gain=NETWORK_INPUT_GAIN, lr_shift=shifts, loss=loss,
                           loss_frac_bits=fmt.loss_frac_bits, loss_exp_bits=fmt.loss_exp_bits)


def build_network(*, hidden: str = NETWORK_HIDDEN, inputs: int = 784, classes: int = 10,
                  weight_bits: int = NETWORK_FORMATS["weight_bits"],
                  theta: int = NETWORK_FORMATS["theta"], lr_offset: int = 0, seed: int = 0,
                  loss: str = "float"):
    """The network top for :func:`network_config`, starting from the golden model's initial
    weights of ``seed`` (layer-0 gain :data:`NETWORK_INPUT_GAIN`, output gain ``1 / s1``)."""
    from .network import SpikeGradNetwork

    cfg = network_config(hidden=hidden, inputs=inputs, classes=classes,
                         weight_bits=weight_bits, theta=theta, lr_offset=lr_offset, loss=loss)
    return SpikeGradNetwork(cfg, seed=check_int("seed", seed, lo=0), **network_gains(cfg))


def network_gains(config: SpikeGradConfig) -> dict[str, float]:
    """The initial-weight gains of the registered top (as ``snnforge train --algo spikegrad``
    draws them): layer 0 :data:`NETWORK_INPUT_GAIN`, output layer ``1 / s1``."""
    from snnforge.golden_model.spikegrad.config import count_scale

    s1 = count_scale(input_bits=config.input_bits, input_gain=NETWORK_INPUT_GAIN)
    return {"input_gain": NETWORK_INPUT_GAIN, "output_gain": 1.0 / s1}


_PRESET_HIDDEN = ",".join(str(n) for n in NETWORK_PRESET.sizes[1:-1])
_NETWORK_PARAMS = ("hidden", "inputs", "classes", "weight_bits", "theta", "lr_offset", "loss")

register_unit(
    "spikegrad_network",
    factory=build_network,
    params={"hidden": (str, _PRESET_HIDDEN, "hidden layer widths, comma-separated"),
            "inputs": (int, NETWORK_PRESET.sizes[0], "input neurons (pixels)"),
            "classes": (int, NETWORK_PRESET.sizes[-1], "output neurons (classes)"),
            "weight_bits": (int, NETWORK_PRESET.formats["weight_bits"],
                            "signed weight width, bits"),
            "theta": (int, NETWORK_PRESET.formats["theta"], "forward and error threshold"),
            "lr_offset": (int, NETWORK_PRESET.lr_offset,
                          "added to every derived learning-rate shift (-1 doubles the rate)"),
            "seed": (int, 0, "seed of the golden initial weights built into the memories"),
            "loss": (str, NETWORK_PRESET.config().loss,
                     "output error: fixed (on-chip loss unit, the label comes with the sample) "
                     "or float (the host answers the totals on i_error)")},
    description="SpikeGrad network top: trains on chip per sample, bit-identical to the golden "
                "model (event lists, totals and weights in block RAM)",
    golden="snnforge.golden_model.spikegrad.ann_equivalent.train_step",
    golden_config=lambda p: network_config(**{k: p[k] for k in _NETWORK_PARAMS}).to_dict(),
)
