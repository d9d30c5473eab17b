"""Reading and writing IDX files (the MNIST container format), gzip-compressed or raw.

Layout: two zero bytes, a dtype code byte, a dimension-count byte, one big-endian uint32 size per
dimension, then the data in big-endian C order. Compression is detected from the gzip magic
bytes (``1f 8b``), never from the file name. Every structural problem raises
:class:`~snnforge.errors.DataError` naming the file and what is wrong.
"""
from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from snnforge.errors import ConfigError, DataError

__all__ = ["IDX_DTYPES", "IdxFormatError", "read_idx", "read_idx_bytes", "parse_idx", "encode_idx",
           "GZIP_MAGIC"]

GZIP_MAGIC = b"\x1f\x8b"

#: IDX dtype code -> big-endian NumPy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_FIX_HINT = ("delete the file and fetch it again (`snnforge data fetch --dataset NAME`), "
             "or point --data-dir at good files")


class IdxFormatError(DataError):
    """A damaged or malformed IDX file; ``path`` and ``problem`` are kept for callers."""

    def __init__(self, path, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"{path}: {problem}; {_FIX_HINT}")


def read_idx_bytes(path: Path | str) -> bytes:
    """The uncompressed content of an IDX file (gunzipped if it starts with the gzip magic)."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not blob.startswith(GZIP_MAGIC):
        return blob
    try:
        return gzip.decompress(blob)
    except EOFError:
        raise IdxFormatError(path, "truncated gzip stream (the file was cut short)") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise IdxFormatError(path, f"corrupted gzip data ({exc})") from None


def parse_idx(raw: bytes, *, source: Path | str = "<bytes>") -> np.ndarray:
    """Decode uncompressed IDX bytes into a native-endian array, validating the header.

    Checks: magic (two zero bytes), known dtype code, at least one dimension, and that the
    declared sizes account for exactly the bytes present (no truncation, no trailing bytes).
    """
    if len(raw) < 4:
        raise IdxFormatError(source, f"only {len(raw)} bytes, too short for an IDX header")
    if raw[0] != 0 or raw[1] != 0:
        raise IdxFormatError(source, f"bad IDX magic number 0x{raw[:4].hex()} (must start with "
                                     f"two zero bytes): not an IDX file, or corrupted")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02x}" for c in IDX_DTYPES)
        raise IdxFormatError(source, f"unknown IDX dtype code 0x{code:02x} (known: {known})")
    if ndim == 0:
        raise IdxFormatError(source, "IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise IdxFormatError(source, f"truncated IDX header ({len(raw)} bytes, {ndim} "
                                     f"dimensions need {header_len})")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = header_len + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) < expected:
        raise IdxFormatError(source, f"truncated: header declares shape {shape} ({expected} "
                                     f"bytes in all) but the content has {len(raw)} bytes")
    if len(raw) > expected:
        raise IdxFormatError(source, f"{len(raw) - expected} unexpected trailing bytes after "
                                     f"the shape {shape} the header declares")
    data = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: Path | str) -> np.ndarray:
    """Read an IDX file (gzip or raw) into a native-endian NumPy array with its declared shape."""
    return parse_idx(read_idx_bytes(path), source=path)


def encode_idx(array: np.ndarray) -> bytes:
    """Uncompressed IDX bytes for ``array`` (dtype uint8, int8, int16, int32, float32, float64)."""
    array = np.asarray(array)
    for code, dtype in IDX_DTYPES.items():
        if array.dtype.kind == dtype.kind and array.dtype.itemsize == dtype.itemsize:
            break
    else:
        raise ConfigError(f"encode_idx: dtype {array.dtype} has no IDX code "
                        f"(use uint8, int8, int16, int32, float32 or float64)")
    if not 1 <= array.ndim <= 255:
        raise ConfigError(f"encode_idx: {array.ndim} dimensions; IDX holds 1 to 255")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=dtype).tobytes()
