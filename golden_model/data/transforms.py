"""Image transforms used by the hardware flows."""
from __future__ import annotations

import numpy as np

from snnforge.errors import ConfigError

__all__ = ["downsample", "area_weights"]


def area_weights(src: int, size: int) -> np.ndarray:
    """Integer overlap weights int64 (size, src) for area-averaging ``src`` pixels to ``size``.

    Output pixel ``o`` covers input span [o*src/size, (o+1)*src/size); scaled by ``size`` the
    overlaps are integers and every row sums to ``src``.
    """
    out_lo = np.arange(size)[:, None] * src
    in_lo = np.arange(src)[None, :] * size
    overlap = np.minimum(out_lo + src, in_lo + size) - np.maximum(out_lo, in_lo)
    return np.clip(overlap, 0, None).astype(np.int64)


def downsample(images: np.ndarray, *, size: int = 8) -> np.ndarray:
    """Area-average square images to ``size`` x ``size`` pixels, exactly (integer arithmetic).

    ``images``: uint8 (N, H, H) or (H, H), values 0..255. Each output pixel is the mean of the
    input area it covers (fractional overlaps weighted exactly), rounded half up to uint8.
    28 -> 8 gives the 64-input digits the small RTL networks use. Returns uint8
    (N, size, size), or (size, size) for a single image. Bit-exact and platform-independent.
    """
    images = np.asarray(images)
    single = images.ndim == 2
    if single:
        images = images[None]
    if images.ndim != 3 or images.shape[1] != images.shape[2]:
        raise ConfigError(f"downsample: expected square images (N, H, H), got shape "
                          f"{images.shape}")
    if images.dtype != np.uint8:
        raise ConfigError(f"downsample: expected uint8 images, got {images.dtype}")
    src = images.shape[1]
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= src:
        raise ConfigError(f"downsample: size must be an integer in 1..{src}, got {size!r}")
    w = area_weights(src, int(size))
    total = np.einsum("oi,nij,pj->nop", w, images.astype(np.int64), w, optimize=True)
    area = src * src   # total weight of one output pixel
    result = ((2 * total + area) // (2 * area)).astype(np.uint8)
    return result[0] if single else result
