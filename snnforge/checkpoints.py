"""The versioned checkpoint format (docs/checkpoints.md): named arrays plus a JSON meta dict in
one ``.npz``, written atomically after every epoch of a training run and read back to resume
it, to build the trained network in hardware, or to export it to NIR."""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from snnforge.errors import ConfigError, SnnforgeError
from snnforge.runs import atomic_write_bytes, jsonable

__all__ = ["CHECKPOINT_FORMAT", "CHECKPOINT_VERSION", "save_checkpoint", "load_checkpoint",
           "check_checkpoint_header"]

#: name and version written into every checkpoint's meta (docs/checkpoints.md)
CHECKPOINT_FORMAT = "snnforge-checkpoint"
CHECKPOINT_VERSION = 1
_FORMAT_KEYS = ("format", "format_version")


def save_checkpoint(path: Path | str, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Atomically save named arrays plus a JSON-able ``meta`` dict (config, epoch, RNG state...)
    in the versioned checkpoint format (:data:`CHECKPOINT_FORMAT`, :data:`CHECKPOINT_VERSION`;
    docs/checkpoints.md)."""
    clash = sorted(set(meta) & set(_FORMAT_KEYS))
    if clash:
        raise ConfigError(f"checkpoint meta keys {clash} are reserved for the format header")
    buf = io.BytesIO()
    payload = {f"a_{k}": np.asarray(v) for k, v in arrays.items()}
    header = {"format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION}
    payload["__meta__"] = np.frombuffer(json.dumps(jsonable({**header, **meta})).encode(),
                                        dtype=np.uint8)
    np.savez(buf, **payload)
    atomic_write_bytes(path, buf.getvalue())


def check_checkpoint_header(path: Path | str, meta: dict[str, Any]) -> None:
    """Raise :class:`SnnforgeError` unless ``meta`` names this format at a version this
    snnforge reads."""
    name, version = meta.get("format"), meta.get("format_version")
    if name != CHECKPOINT_FORMAT:
        raise SnnforgeError(f"{path}: not a {CHECKPOINT_FORMAT} file (format {name!r}); "
                            f"retrain with this snnforge or point at another run")
    if not isinstance(version, int) or version < 1:
        raise SnnforgeError(f"{path}: bad checkpoint format_version {version!r}; the file is "
                            f"damaged, delete it to start afresh")
    if version > CHECKPOINT_VERSION:
        raise SnnforgeError(f"{path}: checkpoint format version {version} is newer than this "
                            f"snnforge reads (up to {CHECKPOINT_VERSION}); upgrade snnforge")


def load_checkpoint(path: Path | str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(arrays, meta) of a checkpoint written by :func:`save_checkpoint`; the format header is
    checked (one-line :class:`SnnforgeError` for another format or a newer version) and
    removed from ``meta``."""
    path = Path(path)
    if not path.exists():
        raise SnnforgeError(f"{path}: no checkpoint to resume from; run without --resume first")
    try:
        with np.load(path) as z:
            meta = json.loads(bytes(z["__meta__"]).decode())
            arrays = {k[2:]: z[k] for k in z.files if k.startswith("a_")}
    except (OSError, ValueError, KeyError) as exc:
        raise SnnforgeError(f"{path}: unreadable checkpoint ({exc}); delete it to start afresh") from None
    if not isinstance(meta, dict):
        raise SnnforgeError(f"{path}: unreadable checkpoint (meta is not an object); delete it "
                            f"to start afresh")
    check_checkpoint_header(path, meta)
    return arrays, {k: v for k, v in meta.items() if k not in _FORMAT_KEYS}
