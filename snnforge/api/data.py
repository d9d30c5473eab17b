"""Data, epochs and checkpoints shared by the API's networks."""
from __future__ import annotations

import numpy as np

from snnforge.errors import ConfigError, DataError, SnnforgeError

__all__ = ["load_data"]


def load_data(name: str, split: str, *, side: int | None = None,
              limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of dataset ``name`` (see ``snnforge data info``), ``split`` ``"train"``
    or ``"test"``: uint8 pixels (N, side * side) downsampled to ``side`` x ``side`` (default:
    the native 28 x 28) and int64 labels (N,); ``limit``: the first ``limit`` samples."""
    from snnforge.golden_model.data import downsample, load_dataset

    data = load_dataset(name, split, limit=limit)
    images = data.images
    if side is not None and side != images.shape[-1]:
        images = downsample(images, size=side)
    return images.reshape(len(images), -1), data.labels.astype(np.int64)


def _side(n_in: int, what: str) -> int:
    side = int(round(n_in ** 0.5))
    if side * side != n_in:
        raise DataError(f"{what} has n_in={n_in}, not a square image; pass (x, y) arrays "
                        f"instead of a dataset name")
    return side


def _xy(data, split: str, n_in: int, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``data`` (a dataset name or an (x, y) pair) as uint8 (N, n_in) pixels and int64 labels."""
    if isinstance(data, str):
        return load_data(data, split, side=_side(n_in, "the network"), limit=limit)
    try:
        x, y = data
    except (TypeError, ValueError):
        raise DataError("data must be a dataset name such as 'mnist-sample' or a pair (x, y) "
                        "of uint8 pixels and integer labels") from None
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype != np.uint8:
        raise DataError(f"x must be uint8 pixels (0..255), got dtype {x.dtype}")
    x = x.reshape(len(x), -1)
    if x.shape[1] != n_in:
        raise DataError(f"x has {x.shape[1]} pixels per sample but the network has n_in={n_in}")
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"y must hold {len(x)} integer labels, got {y.dtype} {y.shape}")
    if limit is not None:
        x, y = x[:limit], y[:limit]
    return x, y.astype(np.int64)


def _check_epochs(epochs) -> int:
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ConfigError(f"epochs must be a positive integer, got {epochs!r}")
    return epochs


def _trained_run(path, *, algo: str, option: str):
    """The checkpoint at ``path`` (an .npz file, or a ``snnforge train`` run folder holding
    ``checkpoint.npz``) as a :class:`snnforge.trained.TrainedRun` of ``algo``."""
    from pathlib import Path

    from snnforge.checkpoints import load_checkpoint
    from snnforge.trained import TRAIN_COMMANDS, TrainedRun, load_run

    path = Path(path)
    if path.is_dir():
        return load_run(path, algo=algo, option=option)
    if not path.is_file():
        raise SnnforgeError(f"{option} {path}: no such checkpoint file or run folder")
    arrays, meta = load_checkpoint(path)
    if meta.get("algo") != algo or not isinstance(meta.get("network"), dict):
        raise SnnforgeError(f"{option} {path}: a checkpoint of algorithm {meta.get('algo')!r}, "
                            f"not {algo!r}; give a file saved by the API or the folder of a "
                            f"`{TRAIN_COMMANDS[algo]}` run")
    return TrainedRun(path=path, algo=algo, arrays=arrays, meta=meta, option=option)
