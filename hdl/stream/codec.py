"""Pack / unpack ``lib.data`` layouts to and from the flat integers testbenches see."""
from __future__ import annotations

from amaranth.lib import data

__all__ = ["pack", "unpack"]


def _fields(layout):
    if isinstance(layout, data.ArrayLayout):
        step = _width_of_shape(layout.elem_shape)
        return [(i, layout.elem_shape, i * step) for i in range(layout.length)]
    return [(name, f.shape, f.offset) for name, f in layout]


def pack(layout, value) -> int:
    """``value`` (a dict for struct layouts, a list for array layouts, an int for plain shapes)
    -> payload integer (LSB first, two's complement fields masked to their width)."""
    if not isinstance(layout, data.Layout):
        return int(value) & ((1 << _width_of_shape(layout)) - 1)
    out = 0
    items = value.items() if isinstance(value, dict) else enumerate(value)
    lookup = {k: (s, o) for k, s, o in _fields(layout)}
    for key, v in items:
        shape, offset = lookup[key]
        out |= pack(shape, v) << offset
    return out


def _width_of_shape(shape) -> int:
    from amaranth.hdl import Shape
    return shape.size if isinstance(shape, data.Layout) else Shape.cast(shape).width


def unpack(layout, word: int):
    """Payload integer -> dict / list / int (signed fields read as two's complement)."""
    from amaranth.hdl import Shape
    if not isinstance(layout, data.Layout):
        shape = Shape.cast(layout)
        v = int(word) & ((1 << shape.width) - 1)
        return v - (1 << shape.width) if shape.signed and v >> (shape.width - 1) else v
    items = [(k, unpack(s, int(word) >> o)) for k, s, o in _fields(layout)]
    return [v for _, v in items] if isinstance(layout, data.ArrayLayout) else dict(items)
