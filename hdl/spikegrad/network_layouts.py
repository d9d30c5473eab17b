"""Sizes and port layouts of the SpikeGrad network top, all derived from one
:class:`~snnforge.golden_model.spikegrad.config.SpikeGradConfig` (the same object that sizes
the golden model)."""
from __future__ import annotations

import enum

from amaranth.hdl import signed, unsigned
from amaranth.lib import data
from amaranth.lib import enum as amaranth_enum

from snnforge.errors import ConfigError
from snnforge.golden_model.spikegrad.config import SpikeGradConfig, signed_bits
from snnforge.hdl.checks import index_width

__all__ = ["NetworkShape", "Phase", "TraceKind", "check_network_config"]

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
    """Widths of the top for ``config``: neuron address, event value, accumulator, ports."""

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
        self.event_layout = data.StructLayout({"addr": unsigned(self.addr_bits),
                                               "value": signed(self.value_bits)})
        #: the loss is computed on chip (``config.loss == "fixed"``): the label and the learn
        #: flag arrive with the sample's last input event, there is no ``i_error`` port
        self.fixed_loss = cfg.loss == "fixed"
        self.label_bits = index_width(self.classes)
        inputs = {"addr": unsigned(index_width(self.sizes[0])),
                  "count": unsigned(cfg.input_bits), "last": unsigned(1)}
        if self.fixed_loss:
            inputs.update(label=unsigned(self.label_bits), learn=unsigned(1))
        self.input_layout = data.StructLayout(inputs)
        self.total_layout = data.StructLayout({"addr": unsigned(index_width(self.classes)),
                                               "total": signed(cfg.potential_bits),
                                               "last": unsigned(1)})
        self.trace_layout = data.StructLayout({"kind": unsigned(2),
                                               "layer": unsigned(self.layer_bits),
                                               "addr": unsigned(self.addr_bits),
                                               "value": signed(self.value_bits)})
        self.read_layout = data.StructLayout({"layer": unsigned(self.layer_bits),
                                              "bias": unsigned(1),
                                              "index": unsigned(self.weight_index_bits)})

    def layer_dims(self, layer: int) -> tuple[int, int]:
        """(n_in, n_out) of weight layer ``layer``."""
        return self.sizes[layer], self.sizes[layer + 1]
