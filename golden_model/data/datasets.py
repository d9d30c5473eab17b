"""``load_dataset``: find (or download), verify and validate one split of a dataset."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from snnforge.errors import ConfigError, DataError

from .catalog import SPLITS, DatasetSpec, get_spec
from .download import fetch_split
from .idx import parse_idx, read_idx_bytes
from .locate import SplitLocation, locate_split

__all__ = ["Dataset", "load_dataset", "read_verified"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """One split of a dataset.

    ``images``: uint8 (N, 28, 28), pixel intensity 0..255; ``labels``: uint8 (N,), class 0..9;
    ``source``: path of the images file; ``labels_source``: path of the labels file.
    """

    name: str
    split: str
    images: np.ndarray
    labels: np.ndarray
    source: Path
    labels_source: Path
    origin: str = ""   #: which source found it ("--data-dir", "cache", "system", "download", ...)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def read_verified(path: Path, *, sha256: str | None) -> np.ndarray:
    """Read an IDX file; if ``sha256`` is given, check it against the uncompressed content."""
    raw = read_idx_bytes(path)
    array = parse_idx(raw, source=path)   # structural problems first: they say more
    if sha256 is not None:
        got = hashlib.sha256(raw).hexdigest()
        if got != sha256:
            raise DataError(
                f"{path}: sha256 of the uncompressed content is {got}, expected {sha256}; "
                f"the file is corrupted or from another dataset; delete it and run "
                f"`snnforge data fetch`, or point --data-dir at good files")
    return array


def _validate_pair(spec: DatasetSpec, images: np.ndarray, labels: np.ndarray,
                   loc: SplitLocation) -> None:
    h, w = spec.image_shape
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (h, w):
        raise DataError(f"{loc.images}: expected uint8 images of shape (N, {h}, {w}), found "
                        f"{images.dtype} {images.shape}; is this the images file?")
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataError(f"{loc.labels}: expected a 1-D uint8 labels file, found "
                        f"{labels.dtype} {labels.shape}; is this the labels file?")
    if labels.size and int(labels.max()) >= spec.n_classes:
        bad = int(np.argmax(labels >= spec.n_classes))
        raise DataError(f"{loc.labels}: label {int(labels[bad])} at index {bad} is outside "
                        f"0..{spec.n_classes - 1}; the file is corrupted")
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{loc.images} holds {images.shape[0]} images but {loc.labels} holds "
                        f"{labels.shape[0]} labels; the two files do not belong together")


def load_dataset(name: str, split: str, *, data_dir: Path | str | None = None,
                 download: bool = True, limit: int | None = None, mirrors=None,
                 verify: bool = True) -> Dataset:
    """Load one split of ``name`` ("mnist", "fashion-mnist", "mnist-sample").

    Searches the sources documented in :mod:`.locate`; if none holds the files and
    ``download`` is true (and no ``data_dir`` was given), downloads them into the user cache.
    ``limit``: keep only the first N samples. ``verify``: check the sha256 of the uncompressed
    content against the known checksum. ``mirrors``: base URLs overriding the built-in ones.
    """
    spec = get_spec(name)
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer))
                              or limit < 1):
        raise ConfigError(f"limit must be a positive integer or None, got {limit!r}")
    count = spec.splits[split].count
    if limit is not None and limit > count:
        raise ConfigError(f"limit {limit} exceeds the {count} samples of {name} {split}; "
                          f"use a limit of at most {count} (or a larger dataset)")
    loc, searched = locate_split(spec, split, data_dir=data_dir)
    if loc is None:
        if not spec.downloadable:
            raise DataError(f"{name} {split} files are missing from {searched[0]}; the "
                            f"snnforge installation is incomplete, reinstall it")
        if not download:
            raise DataError(
                f"{name} {split} not found; looked in: {', '.join(map(str, searched))}. "
                f"Run `snnforge data fetch --dataset {name}`, or pass --data-dir")
        try:
            images_path, labels_path = fetch_split(spec, split, mirrors=mirrors)
        except DataError as exc:
            raise DataError(f"{name} {split} not found locally (looked in: "
                            f"{', '.join(map(str, searched))}) and {exc}") from None
        loc = SplitLocation(images_path, labels_path, "download")
    files = spec.splits[split]
    images = read_verified(loc.images, sha256=files.images_sha256 if verify else None)
    labels = read_verified(loc.labels, sha256=files.labels_sha256 if verify else None)
    _validate_pair(spec, images, labels, loc)
    if limit is not None:
        images, labels = images[:limit].copy(), labels[:limit].copy()
    return Dataset(name=name, split=split, images=images, labels=labels, source=loc.images,
                   labels_source=loc.labels, origin=loc.origin)


def load_digits(name: str, split: str, count: int, *, download: bool = False):
    """The first ``count`` samples of ``name``'s ``split`` flattened, as the network tops take
    them: pixels (N, 784) uint8 in row-major order and labels (N,) int64."""
    data = load_dataset(name, split, download=download, limit=count)
    return data.images.reshape(len(data.labels), -1), data.labels.astype(np.int64)
