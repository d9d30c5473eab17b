"""Where dataset files are looked for, in order.

1. an explicit ``data_dir`` (CLI ``--data-dir``): the folder itself or its ``<name>/`` sub-folder;
   if it lacks the files that is an error, never a silent fall-back;
2. the folder in the ``SNNFORGE_DATA_DIR`` environment variable (same two places);
3. the user cache: ``$SNNFORGE_CACHE_DIR``, else ``$XDG_CACHE_HOME/snnforge``, else
   ``~/.cache/snnforge``; files live in ``datasets/<name>/``;
4. known system locations (Debian's ``/usr/share/datasets/fashion-mnist``, and
   ``shared/data/<name>`` beside the source checkout, where CI keeps full MNIST).

The committed ``mnist-sample`` is only ever read from the package's ``sample/`` folder.
Each file may be gzip-compressed (``<file>.gz``) or raw (``<file>``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from snnforge.errors import DataError

from .catalog import DatasetSpec

__all__ = ["DATA_DIR_ENV", "CACHE_DIR_ENV", "cache_root", "dataset_cache_dir", "SplitLocation",
           "find_file", "search_dirs", "locate_split"]

DATA_DIR_ENV = "SNNFORGE_DATA_DIR"
CACHE_DIR_ENV = "SNNFORGE_CACHE_DIR"


def cache_root() -> Path:
    """The snnforge user cache folder (not created)."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "snnforge"
    return Path.home() / ".cache" / "snnforge"


def dataset_cache_dir(name: str) -> Path:
    """``<cache>/datasets/<name>``: where downloads of one dataset are stored."""
    return cache_root() / "datasets" / name


@dataclass(frozen=True)
class SplitLocation:
    images: Path
    labels: Path
    origin: str   #: which source found it: "--data-dir", the env var name, "cache", "system"


def find_file(folder: Path, base: str) -> Path | None:
    """``folder/base.gz`` or ``folder/base`` (whichever exists, gzip preferred), else None."""
    for candidate in (folder / f"{base}.gz", folder / base):
        if candidate.is_file():
            return candidate
    return None


def _with_subfolder(folder: Path, name: str) -> list[Path]:
    return [folder, folder / name]


def search_dirs(spec: DatasetSpec, *, data_dir: Path | str | None = None) -> list[tuple[str, Path]]:
    """The (origin, folder) pairs searched for ``spec``, in priority order."""
    if not spec.downloadable:  # the committed sample: package data only
        return [("package", Path(d)) for d in spec.system_dirs]
    if data_dir is not None:
        return [("--data-dir", d) for d in _with_subfolder(Path(data_dir).expanduser(), spec.name)]
    dirs: list[tuple[str, Path]] = []
    if os.environ.get(DATA_DIR_ENV):
        dirs += [(DATA_DIR_ENV, d) for d in
                 _with_subfolder(Path(os.environ[DATA_DIR_ENV]).expanduser(), spec.name)]
    dirs.append(("cache", dataset_cache_dir(spec.name)))
    dirs += [("system", Path(d)) for d in spec.system_dirs]
    return dirs


def locate_split(spec: DatasetSpec, split: str, *,
                 data_dir: Path | str | None = None) -> tuple[SplitLocation | None, list[Path]]:
    """The first folder holding both files of ``split``, and the list of folders searched.

    Raises :class:`DataError` if an explicit ``data_dir`` does not hold the files.
    """
    files = spec.splits[split]
    searched: list[Path] = []
    for origin, folder in search_dirs(spec, data_dir=data_dir):
        searched.append(folder)
        images, labels = find_file(folder, files.images), find_file(folder, files.labels)
        if images is not None and labels is not None:
            return SplitLocation(images, labels, origin), searched
    if data_dir is not None and spec.downloadable:
        raise DataError(
            f"--data-dir {data_dir} does not hold the {spec.name} {split} files "
            f"{files.images}[.gz] and {files.labels}[.gz] (looked in "
            f"{' and '.join(str(p) for p in searched)}); put the files there, or drop "
            f"--data-dir to use the cache and download")
    return None, searched
