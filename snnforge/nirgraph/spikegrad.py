"""SpikeGrad networks <-> NIR graphs.

Export: ``Input -> fc0 (Affine) -> if0 (IF) -> ... -> fcL (Affine) -> out (I) -> Output``.
Affine weights are the integer weights W (out, in) in membrane (V) units per input spike, the
Affine bias is ``bias_count * b`` (the bias input fires ``bias_count`` spikes per sample); IF
nodes carry ``r = 1``, ``v_threshold = theta``, ``v_reset = 0``; the output integrator ``I``
(``r = 1``) holds the totals whose ``/ theta`` are the logits. Reset by subtraction, the
ternary negative-spike rule, the ``>= theta`` firing condition and every integer format are in
node and graph metadata (docs/nir.md).

Import: a graph snnforge wrote comes back with its exact integers and configuration; any other
feed-forward IF graph is scaled into the training formats
(:func:`~snnforge.golden_model.spikegrad.config.training_config`), folding each neuron's
``r / v_threshold`` into its weights (inputs are pixel / 255 in [0, 1]); an output IF layer
becomes the non-firing output integrator (logit = r * total / v_threshold, its count before
rounding down).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import nir
import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig, training_config

from .graph import FORMAT, chain, header

__all__ = ["export_spikegrad", "import_spikegrad", "ImportedSpikeGrad"]

_LEAKY = (nir.LIF, nir.LI, nir.CubaLIF, nir.CubaLI)
_CONV = (nir.Conv1d, nir.Conv2d, nir.SumPool2d, nir.AvgPool2d)


def _config_json(config: SpikeGradConfig) -> str:
    return json.dumps(config.to_dict())


def _config_from_json(text: str) -> SpikeGradConfig:
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(text).items()}
    return SpikeGradConfig(**fields).validate()


def export_spikegrad(config: SpikeGradConfig, weights, biases, *, mode: str = "bit-true",
                     metadata: dict | None = None) -> nir.NIRGraph:
    """The NIR graph of a SpikeGrad MLP: ``weights`` [(out, in)], ``biases`` [(out,)] in V
    units (int64 in bit-true mode). ``metadata`` is added to the graph's."""
    config = config.validate()
    sizes = config.sizes
    nodes = {"input": nir.Input(input_type={"input": np.array([sizes[0]])})}
    edges, prev = [], "input"
    formats = {k: getattr(config, k) for k in ("theta", "theta_bp", "input_bits", "weight_bits",
                                                "count_bits", "potential_bits")}
    for layer in range(config.n_layers):
        w, b = np.asarray(weights[layer]), np.asarray(biases[layer])
        if w.shape != (sizes[layer + 1], sizes[layer]) or b.shape != (sizes[layer + 1],):
            raise ConfigError(f"layer {layer}: weights {w.shape} / biases {b.shape} do not match "
                              f"sizes {sizes}")
        k = config.layer_bias_count(layer)
        fc = f"fc{layer}"
        nodes[fc] = nir.Affine(weight=w.copy(), bias=b * k, metadata={
            "units": "V units per input spike; weight value w = W / theta",
            "bias_count": k, "theta": config.theta, "weight_bits": config.weight_bits,
            "pre": "input counts (pixel >> (8 - input_bits))" if layer == 0 else "net spike counts"})
        edges.append((prev, fc))
        last = layer == config.n_layers - 1
        n = sizes[layer + 1]
        if last:
            neuron = "out"
            nodes[neuron] = nir.I(r=np.ones(n), metadata={
                "snnforge_neuron": "output integrator (no firing)",
                "readout": "logit = total / theta; class = argmax",
                "potential_bits": config.potential_bits})
        else:
            neuron = f"if{layer}"
            nodes[neuron] = nir.IF(r=np.ones(n), v_threshold=np.full(n, float(config.theta)),
                                   v_reset=np.zeros(n), metadata={
                "snnforge_neuron": "ternary IF (SpikeGrad)",
                "reset": "subtract", "fire": "+1 when V >= theta, then V -= theta",
                "negative_spikes": "-1 when V < 0 and the net count > 0, then V += theta",
                "count": "net count = max(0, floor(total / theta)) at quiescence, "
                         "saturating at 2**count_bits - 1",
                **formats})
        edges.append((fc, neuron))
        prev = neuron
    nodes["output"] = nir.Output(output_type={"output": np.array([sizes[-1]])})
    edges.append((prev, "output"))
    meta = {**header("spikegrad"), "mode": mode, "spikegrad_config": _config_json(config),
            "input": f"input count = pixel >> (8 - input_bits), input_bits = {config.input_bits}",
            **(metadata or {})}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


@dataclass(frozen=True)
class ImportedSpikeGrad:
    """config, weights [(out, in)] and biases [(out,)] int64 in V units; ``exact``: the graph
    was written by snnforge and its integers are taken as they are."""

    config: SpikeGradConfig
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    exact: bool


def _layers(graph: nir.NIRGraph) -> tuple[list[tuple], tuple[str, nir.NIRNode] | None]:
    """[(affine name, affine node, neuron name, IF node)] of the hidden layers and the output
    (affine, optional I)."""
    path = chain(graph)[1:-1]
    for name, node in path:
        if isinstance(node, _LEAKY):
            raise ConfigError(f"node {name!r} is a {type(node).__name__}: leaky neurons do not map "
                              f"to SpikeGrad's non-leaky IF neurons")
        if isinstance(node, _CONV):
            raise ConfigError(f"node {name!r} is a {type(node).__name__}: only fully connected "
                              f"(Affine / Linear) layers map")
        if not isinstance(node, (nir.Affine, nir.Linear, nir.IF, nir.I)):
            raise ConfigError(f"node {name!r} is a {type(node).__name__}; a feed-forward IF "
                              f"network has Affine/Linear layers, IF neurons and an optional "
                              f"I output integrator")
    groups, i = [], 0
    while i < len(path):
        name, node = path[i]
        if not isinstance(node, (nir.Affine, nir.Linear)):
            raise ConfigError(f"node {name!r} ({type(node).__name__}) follows no Affine/Linear "
                              f"layer; the network must alternate layers and IF neurons")
        nxt = path[i + 1] if i + 1 < len(path) else None
        if nxt is not None and isinstance(nxt[1], (nir.Affine, nir.Linear)):
            raise ConfigError(f"layers {name!r} and {nxt[0]!r} follow each other without IF "
                              f"neurons between them")
        groups.append((name, node, *(nxt if nxt else (None, None))))
        i += 2 if nxt else 1
    if not groups:
        raise ConfigError("the graph has no Affine/Linear layer")
    *hidden, last = groups
    for fc, _, neuron, node in hidden:
        if not isinstance(node, nir.IF):
            raise ConfigError(f"hidden neurons {neuron!r} after {fc!r} are a "
                              f"{type(node).__name__}, not IF")
    if last[3] is not None and not isinstance(last[3], (nir.I, nir.IF)):
        raise ConfigError(f"the output layer {last[0]!r} ends in a {type(last[3]).__name__}; "
                          f"it must end in an I or IF node or go straight to the Output")
    return groups


def _weight_bias(name: str, node) -> tuple[np.ndarray, np.ndarray]:
    w = np.asarray(node.weight, dtype=np.float64)
    if w.ndim != 2:
        raise ConfigError(f"layer {name!r} has a {w.ndim}-d weight; fully connected layers are 2-d")
    b = np.asarray(node.bias, dtype=np.float64) if isinstance(node, nir.Affine) else np.zeros(len(w))
    if b.shape != (w.shape[0],):
        raise ConfigError(f"layer {name!r}: bias {b.shape} does not match weight {w.shape}")
    return w, b


def import_spikegrad(graph: nir.NIRGraph) -> ImportedSpikeGrad:
    """A SpikeGrad network from a NIR graph of a feed-forward IF network (ConfigError, one
    line, naming the node, for anything else)."""
    algorithm = (graph.metadata or {}).get("algorithm")
    if algorithm is not None and algorithm != "spikegrad":
        raise ConfigError(f"the graph is an snnforge {algorithm} network, not an IF network; "
                          f"only SpikeGrad (feed-forward IF) graphs import")
    groups = _layers(graph)
    wb = [_weight_bias(fc, node) for fc, node, _, _ in groups]
    sizes = [wb[0][0].shape[1]]
    for (fc, *_), (w, _) in zip(groups, wb):
        if w.shape[1] != sizes[-1]:
            raise ConfigError(f"layer {fc!r} takes {w.shape[1]} inputs, the layer before gives "
                              f"{sizes[-1]}")
        sizes.append(w.shape[0])
    meta = graph.metadata or {}
    if meta.get("snnforge_format") == FORMAT and meta.get("algorithm") == "spikegrad":
        return _import_exact(meta, groups, wb, tuple(sizes))
    return _import_scaled(groups, wb, tuple(sizes))


def _import_exact(meta, groups, wb, sizes) -> ImportedSpikeGrad:
    if meta.get("mode") != "bit-true":
        raise ConfigError(f"the graph holds a {meta.get('mode')!r}-mode SpikeGrad network; "
                          f"import takes the integers of a bit-true one (train with --mode "
                          f"bit-true)")
    config = _config_from_json(str(meta["spikegrad_config"]))
    if config.sizes != sizes:
        raise ConfigError(f"the graph's layers are {sizes}, its snnforge metadata says "
                          f"{config.sizes}: the file was edited; re-export it")
    weights, biases = [], []
    for layer, ((fc, *_), (w, b)) in enumerate(zip(groups, wb)):
        k = config.layer_bias_count(layer)
        if not (np.all(w == np.rint(w)) and np.all(b == k * np.rint(b / k))):
            raise ConfigError(f"layer {fc!r} holds non-integer weights (or a bias that is not "
                              f"a multiple of bias_count {k}) in an snnforge graph; re-export it")
        weights.append(w.astype(np.int64))
        biases.append((b / k).round().astype(np.int64))
    return ImportedSpikeGrad(config, weights, biases, exact=True)


def _import_scaled(groups, wb, sizes) -> ImportedSpikeGrad:
    config = training_config(sizes)
    weights, biases = [], []
    for layer, ((fc, _, neuron, node), (w, b)) in enumerate(zip(groups, wb)):
        n = w.shape[0]
        if isinstance(node, nir.IF):
            r = np.broadcast_to(np.asarray(node.r, dtype=np.float64), (n,))
            thr = np.broadcast_to(np.asarray(node.v_threshold, dtype=np.float64), (n,))
            reset = np.broadcast_to(np.asarray(node.v_reset, dtype=np.float64), (n,))
            if not np.all(thr > 0) or not np.all(r > 0):
                raise ConfigError(f"IF node {neuron!r} needs positive r and v_threshold")
            if np.any(reset != 0):
                raise ConfigError(f"IF node {neuron!r} resets to v_reset != 0; only a reset to "
                                  f"0 maps (SpikeGrad resets by subtracting the threshold)")
            gain = r / thr * config.theta   # one threshold crossing = one count
        elif isinstance(node, nir.I):
            gain = np.broadcast_to(np.asarray(node.r, dtype=np.float64), (n,)) * config.theta
        else:  # Affine -> Output: the totals are the logits
            gain = np.full(n, float(config.theta))
        in_scale = config.input_max if layer == 0 else 1.0   # inputs: pixel / 255 in [0, 1]
        w_int = np.rint(w * gain[:, None] / in_scale)
        b_int = np.rint(b * gain / config.layer_bias_count(layer))
        top = max(np.abs(w_int).max(initial=0), np.abs(b_int).max(initial=0))
        if top > config.weight_max:
            raise ConfigError(f"layer {fc!r} scales to |W| = {top:.0f}, beyond the "
                              f"{config.weight_bits}-bit weights (|W| <= {config.weight_max}) "
                              f"of the training formats")
        weights.append(w_int.astype(np.int64))
        biases.append(b_int.astype(np.int64))
    return ImportedSpikeGrad(config, weights, biases, exact=False)
