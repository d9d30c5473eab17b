"""Sizes the host link serves (:class:`LinkSizes`) and the stream layouts it shares with the
network top, one ``<name>_layout(sizes)`` function each (as the functions of
:mod:`snnforge.hdl.ssnn_bp.network_config`), widths in bits."""
from amaranth.hdl import signed
from amaranth.lib import data
from snnforge.hdl.checks import check_int, index_width
from snnforge.host.protocol import BODY_OVERHEAD, weight_bytes

__all__ = ["LinkSizes", "min_buffer_bytes", "SAMPLE_HEADER", "PAIR_BYTES", "MAX_LAYER",
           "sample_layout", "read_layout", "word_layout", "write_layout", "row_to_beats",
           "beats_to_row"]

SAMPLE_HEADER = 5   # label (1 B) + key (4 B)
PAIR_BYTES = 3      # index (2 B) + value (1 B)
MAX_LAYER = 1024


class LinkSizes:
    """Network sizes the link serves and the widths derived from them (bits)."""

    def __init__(self, *, n_in: int, n_hidden: int, n_out: int, weight_bits: int,
                 config_hash: int = 0, w1_lanes: int | None = None,
                 w2_lanes: int | None = None):
        for name, value, lo, hi in (("n_in", n_in, 1, MAX_LAYER), ("n_hidden", n_hidden, 1, MAX_LAYER),
                                    ("n_out", n_out, 2, 255), ("weight_bits", weight_bits, 2, 32),
                                    ("config_hash", config_hash, 0, (1 << 32) - 1)):
            check_int(name, value, lo, hi)
        self.n_in, self.n_hidden, self.n_out = n_in, n_hidden, n_out
        self.weight_bits, self.config_hash = weight_bits, config_hash
        self.weight_bytes = weight_bytes(weight_bits)
        self.row_lanes = max(n_hidden, n_out)
        #: W1 weights per network beat (the network's ``w1_lanes``), W1 beats per row, the
        #: same for W2 (the network's ``w2_lanes``: n_out, a whole row, unless ``w2_words``),
        #: and the lanes of one beat (a W1 word or a W2 word)
        self.w1_lanes = n_hidden if w1_lanes is None else check_int(
            "w1_lanes", w1_lanes, 1, n_hidden,
            hint=f"W1 weights per network beat, at most n_hidden={n_hidden}")
        self.w1_words = -(-n_hidden // self.w1_lanes)
        self.w2_lanes = n_out if w2_lanes is None else check_int(
            "w2_lanes", w2_lanes, 1, n_out,
            hint=f"W2 weights per network beat, at most n_out={n_out}")
        self.w2_words = -(-n_out // self.w2_lanes)
        self.beat_lanes = max(self.w1_lanes, self.w2_lanes)
        self.word_bits = index_width(max(self.w1_words, self.w2_words))
        self.class_bits = index_width(n_out)
        self.row_bits = index_width(max(n_in, n_hidden) + 1)
        self.pixel_bits = index_width(n_in)

    def rows(self, layer: int) -> int:
        return (self.n_in if layer == 0 else self.n_hidden) + 1

    def lanes(self, layer: int) -> int:
        return self.n_hidden if layer == 0 else self.n_out


def sample_layout(sizes: LinkSizes) -> data.StructLayout:
    """One ``o_sample`` beat, as the network's ``i_sample``: ``pixel`` (8 b), ``label``
    (``class_bits``), ``learn`` (1 b), ``key`` (32 b)."""
    return data.StructLayout({"pixel": 8, "label": sizes.class_bits, "learn": 1, "key": 32})


def read_layout(sizes: LinkSizes) -> data.StructLayout:
    """One ``o_read_req``, as the network's ``i_read``: ``layer`` (1 b, 0 = W1, 1 = W2) and
    the pre ``row`` (``row_bits``; the last row is the bias); answered with ``w1_words``
    (W1) or ``w2_words`` (W2) :func:`word_layout` beats."""
    return data.StructLayout({"layer": 1, "row": sizes.row_bits})


def word_layout(sizes: LinkSizes) -> data.ArrayLayout:
    """One read-back beat (``i_read_word``), as the network's ``o_read``: ``beat_lanes``
    lanes of signed ``weight_bits`` (a W1 word of ``w1_lanes`` posts or a W2 word of
    ``w2_lanes``), lane =
    post index within the word."""
    return data.ArrayLayout(signed(sizes.weight_bits), sizes.beat_lanes)


def write_layout(sizes: LinkSizes) -> data.StructLayout:
    """One ``o_write`` beat, as the network's ``i_write``: ``layer`` (1 b), ``row``
    (``row_bits``), the ``word`` of the row (``word_bits``) and its ``weights``
    (:func:`word_layout`, lanes past the word's width 0)."""
    return data.StructLayout({"layer": 1, "row": sizes.row_bits, "word": sizes.word_bits,
                              "weights": word_layout(sizes)})


def min_buffer_bytes(sizes: LinkSizes) -> int:
    """The frame buffer that holds any request: a sample with every pixel lit, a weight row."""
    sample = BODY_OVERHEAD + SAMPLE_HEADER + PAIR_BYTES * sizes.n_in
    write = BODY_OVERHEAD + 3 + sizes.row_lanes * sizes.weight_bytes
    return max(sample, write)


def row_to_beats(sizes: LinkSizes, layer: int, weights) -> list[list[int]]:
    """A weight row of ``layer`` (at least the layer's width; the rest ignored) as the network
    beats that carry it: ``w1_words`` words of ``w1_lanes`` weights (W1) or ``w2_words`` of
    ``w2_lanes`` (W2), each ``beat_lanes`` wide, lanes past the word's or the layer's width 0."""
    per, count = (sizes.w1_lanes, sizes.n_hidden) if layer == 0 else (sizes.w2_lanes, sizes.n_out)
    weights = [int(w) for w in list(weights)[:count]]
    return [(weights[k:k + per] + [0] * sizes.beat_lanes)[:sizes.beat_lanes]
            for k in range(0, count, per)]


def beats_to_row(sizes: LinkSizes, layer: int, beats) -> list[int]:
    """The layer's weights carried by ``beats`` (:func:`row_to_beats`' inverse)."""
    per, count = (sizes.w1_lanes, sizes.n_hidden) if layer == 0 else (sizes.w2_lanes, sizes.n_out)
    return [int(w) for beat in beats for w in list(beat)[:per]][:count]
