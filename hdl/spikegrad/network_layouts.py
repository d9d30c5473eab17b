"""Sizes and port layouts of the SpikeGrad network top, all derived from one
:class:`~snnforge.golden_model.spikegrad.config.SpikeGradConfig` (the same object that sizes
the golden model): :class:`NetworkShape` holds the widths, one ``<name>_layout(config)``
function per stream or memory layout."""
from __future__ import annotations

import enum

from amaranth.hdl import signed, unsigned
from amaranth.lib import data
from amaranth.lib import enum as amaranth_enum

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig, signed_bits
from snnforge.hdl.checks import index_width

__all__ = ["NetworkShape", "Phase", "TraceKind", "check_network_config", "input_layout",
           "total_layout", "trace_layout", "read_layout", "event_layout"]

#: Largest weight memory of one layer (words).
MAX_LAYER_WEIGHTS = 1 << 22


class Phase(amaranth_enum.Enum, shape=5):
    """The sequencer phase of the top (see :mod:`.network`)."""

    IDLE = 0
    LOAD = 1
    DONE = 2
    FWD_EV = 3
    FWD_LATCH = 4
    FWD_RUN = 5
    QNT_RD = 6
    QNT_SUM = 7
    QNT_START = 8
    QNT_TAKE = 9
    OUT_RD = 10
    OUT_SUM = 11
    OUT_EMIT = 12
    ERR_IN = 13
    ERR_TAKE = 14
    BWD_EV = 15
    BWD_LATCH = 16
    BWD_BIAS = 17
    BWD_RUN = 18
    BWD_DRAIN = 19
    BQN_RD = 20
    BQN_ADDR = 21
    BQN_SUM = 22
    BQN_START = 23
    BQN_TAKE = 24


class TraceKind(enum.IntEnum):
    """``kind`` of a trace record: a hidden neuron's non-zero net count, a neuron's non-zero
    error count, the end of a sample."""

    COUNT = 0
    ERROR = 1
    END = 2


def check_network_config(config: SpikeGradConfig) -> SpikeGradConfig:
    """The config validated for the chip: per-sample updates (``batch = 1``)."""
    if not isinstance(config, SpikeGradConfig):
        raise ConfigError(f"config must be a SpikeGradConfig, got {type(config).__name__}")
    config.validate()
    if config.batch != 1:
        raise ConfigError(f"the chip updates the weights after every sample: the config needs "
                          f"batch=1, got batch={config.batch} (a mini-batch needs one "
                          f"accumulator per synapse)")
    for layer, (n_in, n_out) in enumerate(zip(config.sizes[:-1], config.sizes[1:])):
        if n_in * n_out > MAX_LAYER_WEIGHTS:
            raise ConfigError(f"weight layer {layer} has {n_in * n_out} weights, more than "
                              f"{MAX_LAYER_WEIGHTS}; use smaller layers")
    return config


class NetworkShape:
    """Widths of the top for ``config``: neuron address, event value, accumulators, weight
    index (the port and memory layouts are the ``*_layout(config)`` functions below)."""

    def __init__(self, config: SpikeGradConfig):
        cfg = check_network_config(config)
        self.config = cfg
        self.sizes = tuple(int(s) for s in cfg.sizes)
        self.n_layers = cfg.n_layers
        self.classes = self.sizes[-1]
        #: neuron address width (the widest layer)
        self.addr_bits = index_width(max(self.sizes))
        self.layer_bits = index_width(self.n_layers)
        #: an event's value: an input count, a hidden count or an error count
        self.value_bits = max(cfg.input_bits + 1, cfg.count_bits + 1, cfg.error_bits)
        #: the accumulators hold V totals (forward) and U totals (backward)
        self.acc_bits = max(cfg.potential_bits, cfg.error_potential_bits)
        self.error_in_bits = signed_bits(cfg.gradient_scale)
        self.weight_index_bits = index_width(max(a * b for a, b in
                                                    zip(self.sizes[:-1], self.sizes[1:])))
        #: the loss is computed on chip (``config.loss == "fixed"``): the label and the learn
        #: flag arrive with the sample's last input event, there is no ``i_error`` port
        self.fixed_loss = cfg.loss == "fixed"
        self.label_bits = index_width(self.classes)

    def layer_dims(self, layer: int) -> tuple[int, int]:
        """(n_in, n_out) of weight layer ``layer``."""
        return self.sizes[layer], self.sizes[layer + 1]


def input_layout(config: SpikeGradConfig) -> data.StructLayout:
    """One ``i_events`` beat: ``addr`` (the input pixel), ``count`` (unsigned ``input_bits``)
    and ``last`` (1 on the sample's last event); with the fixed loss also ``label`` and
    ``learn``, taken with the last event."""
    shape = NetworkShape(config)
    fields = {"addr": unsigned(index_width(shape.sizes[0])),
              "count": unsigned(config.input_bits), "last": unsigned(1)}
    if shape.fixed_loss:
        fields.update(label=unsigned(shape.label_bits), learn=unsigned(1))
    return data.StructLayout(fields)


def total_layout(config: SpikeGradConfig) -> data.StructLayout:
    """One ``o_totals`` beat: ``addr`` (the class), ``total`` (signed ``potential_bits``, the
    logit in V units) and ``last`` (1 with the sample's last class)."""
    shape = NetworkShape(config)
    return data.StructLayout({"addr": unsigned(shape.label_bits),
                              "total": signed(config.potential_bits), "last": unsigned(1)})


def trace_layout(config: SpikeGradConfig) -> data.StructLayout:
    """One ``o_trace`` record: ``kind`` (2 bits, :class:`TraceKind`), ``layer``
    (:attr:`NetworkShape.layer_bits`), ``addr`` (:attr:`NetworkShape.addr_bits`) and ``value``
    (signed :attr:`NetworkShape.value_bits`)."""
    shape = NetworkShape(config)
    return data.StructLayout({"kind": unsigned(2), "layer": unsigned(shape.layer_bits),
                              "addr": unsigned(shape.addr_bits),
                              "value": signed(shape.value_bits)})


def read_layout(config: SpikeGradConfig) -> data.StructLayout:
    """One ``i_read`` request: ``layer`` (:attr:`NetworkShape.layer_bits`), ``bias`` (1: read
    the layer's bias, else a weight) and ``index`` (:attr:`NetworkShape.weight_index_bits`:
    post * n_pre + pre for a weight, post for a bias)."""
    shape = NetworkShape(config)
    return data.StructLayout({"layer": unsigned(shape.layer_bits), "bias": unsigned(1),
                              "index": unsigned(shape.weight_index_bits)})


def event_layout(config: SpikeGradConfig) -> data.StructLayout:
    """One word of the event memories: ``addr`` (:attr:`NetworkShape.addr_bits`, the neuron)
    and ``value`` (signed :attr:`NetworkShape.value_bits`: an input count, a hidden count or an
    error count)."""
    shape = NetworkShape(config)
    return data.StructLayout({"addr": unsigned(shape.addr_bits),
                              "value": signed(shape.value_bits)})
