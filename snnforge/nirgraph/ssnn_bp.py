"""SSNN-BP networks -> NIR graphs (export only).

``Input -> fc1 (Affine) -> hidden (Threshold) -> fc2 (Affine) -> Output``. The weights are
exact (integers in weight LSBs; value = W * 2**-weight_frac_bits); the hidden layer's
stochastic spikes and the Gumbel winner-take-all have no NIR node: ``hidden`` is their
deterministic limit (spike when the spike probability is at least 1/2, i.e. u >= 0) and the
metadata states the real rules. See docs/nir.md, "SSNN-BP".
"""
from __future__ import annotations

import json

import nir
import numpy as np

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig

from .graph import header

__all__ = ["export_ssnn_bp", "DOES_NOT_MAP"]

#: the parts of SSNN-BP that NIR cannot express (graph metadata ``does_not_map``)
DOES_NOT_MAP = (
    "input encoding: s0_i(t) ~ Bernoulli(pixel_i / 256) from keyed Threefry random bytes, T steps",
    "hidden spikes: h_j(t) ~ Bernoulli(clip(u_j * 2**hidden_slope_log2 / 2**weight_frac_bits "
    "+ 1/2, 0, 1)); exported as a Threshold at u = 0 (probability 1/2), its deterministic limit",
    "output: one winner per step, argmax_k(z_k + G_k) with G from a 2**gumbel_index_bits-entry "
    "Gumbel table (softmax sampling); class = most wins over T; exported as the plain totals z",
    "learning: error spikes at the winner and the label, gradient spikes gated by the "
    "transfer's derivative, one-LSB weight updates behind learning-rate gates "
    "(lr_gate_threshold / 2**lr_gate_bits); NIR describes inference only",
)


def export_ssnn_bp(config: SSNNConfig, w1: np.ndarray, w2: np.ndarray, *,
                metadata: dict | None = None) -> nir.NIRGraph:
    """The NIR graph of a bit-true SSNN-BP network: ``w1`` (n_in + 1, n_hidden) and ``w2``
    (n_hidden + 1, n_out) in weight LSBs, pre x post with the bias as the last row."""
    c = config
    w1, w2 = np.asarray(w1), np.asarray(w2)
    if w1.shape != (c.n_in + 1, c.n_hidden) or w2.shape != (c.n_hidden + 1, c.n_out):
        raise ConfigError(f"weights {w1.shape}, {w2.shape} do not match the configuration "
                          f"({(c.n_in + 1, c.n_hidden)}, {(c.n_hidden + 1, c.n_out)})")
    fmt = {"units": "weight LSBs; value = W * 2**-weight_frac_bits",
           "weight_bits": c.weight_bits, "weight_frac_bits": c.weight_frac_bits,
           "accumulator_bits": c.accumulator_bits}
    nodes = {
        "input": nir.Input(input_type={"input": np.array([c.n_in])}),
        "fc1": nir.Affine(weight=w1[:c.n_in].T.astype(np.int64), bias=w1[c.n_in].astype(np.int64),
                          metadata={**fmt, "pre": "input spikes s0 in {0, 1}"}),
        "hidden": nir.Threshold(threshold=np.zeros(c.n_hidden), metadata={
            "snnforge_neuron": "stochastic hard sigmoid (SSNN-BP composite neuron)",
            "spike_probability": "clip(u * 2**hidden_slope_log2 / 2**weight_frac_bits + 1/2, 0, 1)",
            "hidden_slope_log2": c.hidden_slope_log2,
            "maps_to": "Threshold at u = 0 (probability 1/2): the deterministic limit"}),
        "fc2": nir.Affine(weight=w2[:c.n_hidden].T.astype(np.int64),
                          bias=w2[c.n_hidden].astype(np.int64),
                          metadata={**fmt, "pre": "hidden spikes h in {0, 1}"}),
        "output": nir.Output(output_type={"output": np.array([c.n_out])}),
    }
    edges = [("input", "fc1"), ("fc1", "hidden"), ("hidden", "fc2"), ("fc2", "output")]
    meta = {**header("ssnn-bp"), "ssnn_bp_config": json.dumps(c.to_dict()),
            "does_not_map": "; ".join(DOES_NOT_MAP), "readout": "Gumbel winner-take-all over "
            "z = fc2 output, most wins over T steps", **(metadata or {})}
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)
