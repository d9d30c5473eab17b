"""Sizes the host link serves (:class:`LinkSizes`) and the stream layouts it shares with the
network top, one ``<name>_layout(sizes)`` function each (as the functions of
:mod:`snnforge.hdl.ssnn_bp.network_config`), widths in bits."""
from amaranth.hdl import signed
from amaranth.lib import data
from snnforge.hdl.checks import check_int, index_width
from snnforge.host.protocol import BODY_OVERHEAD, weight_bytes

__all__ = ["LinkSizes", "min_buffer_bytes", "SAMPLE_HEADER", "PAIR_BYTES", "MAX_LAYER",
           "sample_layout", "read_layout", "row_layout", "write_layout"]

SAMPLE_HEADER = 5   # label (1 B) + key (4 B)
PAIR_BYTES = 3      # index (2 B) + value (1 B)
MAX_LAYER = 1024


class LinkSizes:
    """Network sizes the link serves and the widths derived from them (bits)."""

    def __init__(self, *, n_in: int, n_hidden: int, n_out: int, weight_bits: int,
                 config_hash: int = 0):
        for name, value, lo, hi in (("n_in", n_in, 1, MAX_LAYER), ("n_hidden", n_hidden, 1, MAX_LAYER),
                                    ("n_out", n_out, 2, 255), ("weight_bits", weight_bits, 2, 32),
                                    ("config_hash", config_hash, 0, (1 << 32) - 1)):
            check_int(name, value, lo, hi)
        self.n_in, self.n_hidden, self.n_out = n_in, n_hidden, n_out
        self.weight_bits, self.config_hash = weight_bits, config_hash
        self.weight_bytes = weight_bytes(weight_bits)
        self.row_lanes = max(n_hidden, n_out)
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
    the pre ``row`` (``row_bits``; the last row is the bias)."""
    return data.StructLayout({"layer": 1, "row": sizes.row_bits})


def row_layout(sizes: LinkSizes) -> data.ArrayLayout:
    """One weight row (``i_read_row``): ``row_lanes`` lanes of signed ``weight_bits``, lane =
    post index; lanes past the layer's width are 0."""
    return data.ArrayLayout(signed(sizes.weight_bits), sizes.row_lanes)


def write_layout(sizes: LinkSizes) -> data.StructLayout:
    """One ``o_write`` beat, as the network's ``i_write``: ``layer`` (1 b), ``row``
    (``row_bits``) and the row's ``weights`` (:func:`row_layout`)."""
    return data.StructLayout({"layer": 1, "row": sizes.row_bits, "weights": row_layout(sizes)})


def min_buffer_bytes(sizes: LinkSizes) -> int:
    """The frame buffer that holds any request: a sample with every pixel lit, a weight row."""
    sample = BODY_OVERHEAD + SAMPLE_HEADER + PAIR_BYTES * sizes.n_in
    write = BODY_OVERHEAD + 3 + sizes.row_lanes * sizes.weight_bytes
    return max(sample, write)
