"""The demo configuration of the SSNN-BP network top and the layouts of its stream ports."""
from __future__ import annotations

from amaranth.hdl import signed
from amaranth.lib import data

from snnforge.errors import ConfigError
from snnforge.golden_model.ssnn_bp.config import SSNNConfig
from snnforge.hdl.checks import check_int, index_width

from .lr_lanes import MAX_CORES
from .network_sizes import NetworkSizes
from .random_source import check_architecture

__all__ = ["small_network_config", "sample_layout", "trace_layout", "read_layout",
           "write_layout", "word_layout", "beat_lanes", "row_words", "row_beats",
           "row_from_beats", "check_network_config", "MAX_TOP_WIDTH", "MAX_ACCUMULATOR_BITS",
           "MAX_GUMBEL_VALUE_BITS", "HID_LANES", "DEFAULT_RNG_ARCHITECTURE",
           "DEFAULT_ROUNDS_PER_STAGE", "check_engine_options", "check_w1_lanes"]

#: hidden neurons per HID / BWD cycle the top accepts (``hid_lanes``): divisors of the 4
#: draws of one HIDDEN / GRAD block
HID_LANES = (1, 2, 4)
#: the network top's default random core: fits the iCE40 UP5K (see docs/ssnn_bp_rtl.md)
DEFAULT_RNG_ARCHITECTURE = "iterative"
DEFAULT_ROUNDS_PER_STAGE = 4
#: widest layer (n_in, n_hidden, n_out) the network top holds
MAX_TOP_WIDTH = 1024
#: widest accumulator (u, z) and Gumbel entry the neuron and WTA units build (bits)
MAX_ACCUMULATOR_BITS = 48
MAX_GUMBEL_VALUE_BITS = 32


def check_network_config(config) -> SSNNConfig:
    """``config`` if the network top can build it, else a :class:`ConfigError` naming the
    field and its limit."""
    if not isinstance(config, SSNNConfig):
        raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
    for name in ("n_in", "n_hidden", "n_out"):
        if getattr(config, name) > MAX_TOP_WIDTH:
            raise ConfigError(f"{name}={getattr(config, name)} is above {MAX_TOP_WIDTH}, the "
                              f"largest layer this register-based top holds; use "
                              f"{name} <= {MAX_TOP_WIDTH}")
    for name, most in (("accumulator_bits", MAX_ACCUMULATOR_BITS),
                       ("gumbel_value_bits", MAX_GUMBEL_VALUE_BITS)):
        if getattr(config, name) > most:
            raise ConfigError(f"{name}={getattr(config, name)} is wider than the {most} bits "
                              f"the network top supports; leave it out to derive the "
                              f"narrowest width")
    return config


def check_engine_options(*, rng_cores, hid_lanes, rounds_per_stage, rng_architecture):
    """``(rng_cores, hid_lanes, rounds_per_stage, rng_architecture)`` if the network top can
    build them, else a :class:`ConfigError` naming the option and its range."""
    if hid_lanes not in HID_LANES or isinstance(hid_lanes, bool):
        raise ConfigError(f"hid_lanes must be one of {HID_LANES} (hidden neurons per HID "
                          f"and BWD cycle), got {hid_lanes!r}")
    return (check_int("rng_cores", rng_cores, 1, MAX_CORES), hid_lanes,
            check_int("rounds_per_stage", rounds_per_stage, 1, 13),
            check_architecture(rng_architecture))


def check_w1_lanes(w1_lanes, *, n_hidden: int) -> int:
    """``w1_lanes`` (W1 posts per memory word and u adders per FWD1 cycle; None: ``n_hidden``,
    a whole row per word) if the network top can build it, else a :class:`ConfigError`
    naming the option and its range."""
    if w1_lanes is None:
        return n_hidden
    return check_int("w1_lanes", w1_lanes, 1, n_hidden,
                     hint=f"W1 posts per memory word, at most n_hidden={n_hidden} (a whole "
                          f"row per word); leave it out for {n_hidden}")


def small_network_config(**changes) -> SSNNConfig:
    """The on-chip demo network: 64 inputs (8x8 digits), 16 hidden, 10 outputs, T = 8, 8-bit
    weights in [-2, 2), learning rate 0.01 (gate 0.64 of one 1/64 LSB), derived accumulator
    and Gumbel widths (the narrowest that cannot overflow). ``changes`` override any field."""
    fields = dict(n_in=64, n_hidden=16, n_out=10, T=8, weight_bits=8, weight_max_log2=1, seed=1)
    fields.update(changes)
    lr = fields.pop("learning_rate", 0.01)
    if "lr_gate_threshold" in fields:
        return SSNNConfig(**fields)
    return SSNNConfig.with_learning_rate(lr, **fields)


def sample_layout(config: SSNNConfig) -> data.StructLayout:
    """One ``i_sample`` beat: pixel (8 b), label, learn (1 b), key (32 b sample key).
    label/learn/key are taken from the first beat of a sample."""
    return data.StructLayout({"pixel": 8, "label": NetworkSizes(config).class_bits, "learn": 1,
                              "key": 32})


def trace_layout(config: SSNNConfig) -> data.StructLayout:
    """One ``o_trace`` record per step: s0 (n_in b), h, g_pos, g_neg (n_hidden b each, bias
    excluded), winner, step (16 b)."""
    c = config
    return data.StructLayout({"s0": c.n_in, "h": c.n_hidden, "g_pos": c.n_hidden,
                              "g_neg": c.n_hidden, "winner": NetworkSizes(c).class_bits,
                              "step": 16})


def beat_lanes(config: SSNNConfig, w1_lanes: int | None = None,
               w2_lanes: int | None = None) -> int:
    """Weights per ``i_write`` / ``o_read`` beat: ``max(P, Q)`` with ``P`` = ``w1_lanes``
    (default ``n_hidden``) and ``Q`` = ``w2_lanes`` (default ``n_out``): one W1 memory word
    or one W2 memory word (a whole W2 row unless ``w2_words``)."""
    return max(config.n_hidden if w1_lanes is None else w1_lanes,
               config.n_out if w2_lanes is None else w2_lanes)


def _per_word(config: SSNNConfig, layer: int, w1_lanes, w2_lanes) -> tuple[int, int]:
    """(weights per word, weights per row) of ``layer``."""
    if layer == 0:
        return (config.n_hidden if w1_lanes is None else w1_lanes), config.n_hidden
    return (config.n_out if w2_lanes is None else w2_lanes), config.n_out


def row_words(config: SSNNConfig, layer: int, w1_lanes: int | None = None,
              w2_lanes: int | None = None) -> int:
    """Beats of one weight row of ``layer`` (0 = W1: ceil(n_hidden / P) words, 1 = W2:
    ceil(n_out / Q) words, 1 unless ``w2_words``)."""
    per, count = _per_word(config, layer, w1_lanes, w2_lanes)
    return -(-count // per)


def row_beats(config: SSNNConfig, layer: int, weights, w1_lanes: int | None = None,
              w2_lanes: int | None = None) -> list:
    """One weight row of ``layer`` (its first ``n_hidden`` or ``n_out`` weights) as its
    beats: ``(word, lanes)`` with ``lanes`` :func:`beat_lanes` weights (word ``k`` of a W1
    row holds posts ``k * P ..``, of a W2 row ``k * Q ..``; lanes past the word's or the
    layer's width are 0)."""
    width = beat_lanes(config, w1_lanes, w2_lanes)
    per, count = _per_word(config, layer, w1_lanes, w2_lanes)
    weights = [int(w) for w in list(weights)[:count]]
    beats = []
    for k in range(row_words(config, layer, w1_lanes, w2_lanes)):
        part = weights[k * per:(k + 1) * per]
        beats.append((k, part + [0] * (width - len(part))))
    return beats


def row_from_beats(config: SSNNConfig, layer: int, beats, w1_lanes: int | None = None,
                   w2_lanes: int | None = None) -> list:
    """The weight row of ``layer`` read back as ``beats`` (each :func:`beat_lanes` weights,
    word 0 first): the inverse of :func:`row_beats`."""
    per, count = _per_word(config, layer, w1_lanes, w2_lanes)
    row = [int(w) for beat in beats for w in list(beat)[:per]]
    return row[:count]


def read_layout(config: SSNNConfig) -> data.StructLayout:
    """``i_read`` request: layer (0 = W1, 1 = W2) and pre row (the last row is the bias),
    answered with the row's :func:`row_words` beats on ``o_read`` (:func:`word_layout`)."""
    return data.StructLayout({"layer": 1, "row": NetworkSizes(config).pre_row_bits})


def word_layout(config: SSNNConfig, w1_lanes: int | None = None,
                w2_lanes: int | None = None) -> data.ArrayLayout:
    """One ``o_read`` beat: :func:`beat_lanes` x signed(weight_bits), lane = post index within
    the word (a W1 word's P posts, or a W2 word's Q posts: the row's n_out unless
    ``w2_words``); lanes past them are 0."""
    return data.ArrayLayout(signed(config.weight_bits), beat_lanes(config, w1_lanes, w2_lanes))


def write_layout(config: SSNNConfig, w1_lanes: int | None = None,
                 w2_lanes: int | None = None) -> data.StructLayout:
    """``i_write`` beat: layer (0 = W1, 1 = W2), pre row (the last row is the bias), the
    ``word`` of the row (W1: 0 .. ceil(n_hidden / P) - 1, posts ``word * P ..``; W2: 0 ..
    ceil(n_out / Q) - 1, posts ``word * Q ..``: 0, the whole row, unless ``w2_words``) and its
    ``weights`` (:func:`beat_lanes` x signed(weight_bits), lane = post index within the word;
    lanes past the word's or the layer's width are ignored). A beat past the layer's last row
    or word is dropped."""
    words = max(row_words(config, 0, w1_lanes), row_words(config, 1, w1_lanes, w2_lanes))
    return data.StructLayout({
        "layer": 1, "row": NetworkSizes(config).pre_row_bits, "word": index_width(words),
        "weights": data.ArrayLayout(signed(config.weight_bits),
                                    beat_lanes(config, w1_lanes, w2_lanes))})
