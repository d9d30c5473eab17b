"""Memories of two slots (the draw RAM's halves, the sample loader's two samples): slot s
holds words s * stride .. s * stride + depth - 1. With a power-of-two stride the address is
the slot bit above the offset (no adder); the stride is rounded up to one only when that
takes no more 256-word blocks (the iCE40's 256 x 16 block RAM; the ECP5's are 512 deep), so
the block-RAM count stays that of two slots of ``depth`` words."""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Mux, Value
from amaranth.utils import ceil_log2

from snnforge.hdl.checks import check_int

__all__ = ["BLOCK_WORDS", "slot_stride", "slot_address"]

#: words of the smallest block-RAM depth the rounding must not cross
BLOCK_WORDS = 256


def slot_stride(depth: int) -> int:
    """Words between the two slots of ``depth`` words: the next power of two (at least 2, so
    an offset of one word still has its address bit) when two slots of it fit in as many
    :data:`BLOCK_WORDS` blocks as ``2 * depth`` words, else ``depth``."""
    depth = check_int("depth", depth, 1, 1 << 24)
    pow2 = 1 << max(ceil_log2(depth), 1)
    blocks = lambda words: -(-words // BLOCK_WORDS)    # noqa: E731
    return pow2 if blocks(2 * pow2) == blocks(2 * depth) else depth


def slot_address(slot, offset, depth: int) -> Value:
    """The address of word ``offset`` (< ``depth``) of slot ``slot`` (1 b) in a memory of
    ``2 * slot_stride(depth)`` words."""
    stride = slot_stride(depth)
    offset = Value.cast(offset)
    if stride & (stride - 1):
        return Mux(slot, stride, 0) + offset
    k = ceil_log2(stride)
    low = offset[:k] if len(offset) >= k else Cat(offset, Const(0, k - len(offset)))
    return Cat(low, slot)
