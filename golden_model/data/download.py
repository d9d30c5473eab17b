"""Verified downloads from a list of mirrors into the user cache.

Each file is streamed into a temporary file beside its destination, checked (gzip integrity,
sha256 of the *uncompressed* content, since mirrors differ in gzip bytes), and only then moved
into place with ``os.replace``. Any failure - HTTP error, unreachable host, truncated or
corrupted body, checksum mismatch, Ctrl-C - removes the temporary file, so the cache never holds
a half-written file. A failing mirror is retried on the next one; when all fail the error lists
each mirror's failure and the manual fallback.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from snnforge import __version__
from snnforge.errors import ConfigError, DataError
from snnforge.runs import new_file_mode

from .catalog import DatasetSpec
from .idx import GZIP_MAGIC, IdxFormatError, read_idx_bytes
from .locate import dataset_cache_dir

__all__ = ["MIRRORS_ENV", "resolve_mirrors", "mirror_url", "download_verified", "fetch_split"]

#: Whitespace- or comma-separated base URLs overriding a dataset's built-in mirrors.
#: ``{dataset}`` in a URL is replaced by the dataset name.
MIRRORS_ENV = "SNNFORGE_MIRRORS"

_CHUNK = 1 << 16
_TIMEOUT_S = 30.0


def resolve_mirrors(spec: DatasetSpec, mirrors=None) -> tuple[str, ...]:
    """Mirror base URLs: the ``mirrors`` argument, else ``$SNNFORGE_MIRRORS``, else built-in."""
    if mirrors is None and os.environ.get(MIRRORS_ENV, "").strip():
        mirrors = os.environ[MIRRORS_ENV].replace(",", " ").split()
        where = f"${MIRRORS_ENV}"
    else:
        where = "--mirror"
    if mirrors is None:
        return spec.mirrors
    if isinstance(mirrors, str):
        mirrors = [mirrors]
    mirrors = tuple(mirrors)
    if not mirrors:
        raise ConfigError(f"{where}: empty mirror list; give at least one base URL")
    for url in mirrors:
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "file://")):
            raise ConfigError(f"{where}: {url!r} is not an http://, https:// or file:// URL")
    return mirrors


def mirror_url(base: str, dataset: str, file_name: str) -> str:
    return base.replace("{dataset}", dataset).rstrip("/") + "/" + file_name


def _stream_to(url: str, out, *, desc: str, timeout: float) -> None:
    """Copy the body at ``url`` into the open binary file ``out`` with a progress bar."""
    from snnforge.runs import progress

    request = urllib.request.Request(url, headers={"User-Agent": f"snnforge/{__version__}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        received = 0
        with progress(total=total, desc=desc, unit="B", leave=False) as bar:
            bar.unit_scale = True
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                received += len(chunk)
                bar.update(len(chunk))
        if total is not None and received < total:
            raise DataError(f"truncated: received {received} of {total} bytes")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"unreachable ({exc.reason})"
    if isinstance(exc, http.client.IncompleteRead):
        return f"truncated: connection closed after {len(exc.partial)} more bytes"
    if isinstance(exc, IdxFormatError):
        return exc.problem
    if isinstance(exc, DataError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def download_verified(*, file_name: str, sha256: str, dataset: str, dest_dir: Path,
                      mirrors: tuple[str, ...], timeout: float = _TIMEOUT_S) -> Path:
    """Download ``file_name`` (+ ``.gz``) from the first mirror that serves a verified copy.

    Returns the final path in ``dest_dir`` (``<file_name>.gz``, or ``<file_name>`` if the
    mirror served it uncompressed). Raises :class:`DataError` listing every mirror's failure.
    """
    if not mirrors:
        raise DataError(f"{dataset}: no download mirrors configured; put {file_name}.gz in "
                        f"{dest_dir} or pass --data-dir")
    dest_dir = Path(dest_dir)
    created = [d for d in (dest_dir, *dest_dir.parents) if not d.exists()]  # deepest first
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the cache folder {dest_dir} ({exc.strerror or exc}); "
                        f"set SNNFORGE_CACHE_DIR to a writable folder, or pass --data-dir"
                        ) from None
    failures: list[str] = []
    try:
        for base in mirrors:
            url = mirror_url(base, dataset, f"{file_name}.gz")
            fd, tmp_name = tempfile.mkstemp(prefix=f".{file_name}.", suffix=".part", dir=dest_dir)
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "wb") as out:
                    _stream_to(url, out, desc=file_name, timeout=timeout)
                    out.flush()
                    os.fsync(out.fileno())
                got = hashlib.sha256(read_idx_bytes(tmp)).hexdigest()
                if got != sha256:
                    raise DataError(f"sha256 mismatch (uncompressed content {got}, "
                                    f"expected {sha256})")
                with tmp.open("rb") as f:
                    compressed = f.read(2) == GZIP_MAGIC
                final = dest_dir / (f"{file_name}.gz" if compressed else file_name)
                os.chmod(tmp, new_file_mode())
                os.replace(tmp, final)
                return final
            except (OSError, http.client.HTTPException, DataError) as exc:
                failures.append(f"{url}: {_describe(exc)}")
            finally:
                tmp.unlink(missing_ok=True)
    finally:
        for folder in created:   # remove the folders this call created if they stayed empty
            try:
                folder.rmdir()
            except OSError:   # not empty (or another process uses it): keep it
                break
    raise DataError(
        f"could not download {dataset} file {file_name}.gz from any mirror:\n  "
        + "\n  ".join(failures)
        + f"\nManual fallback: download {file_name}.gz yourself and put it in {dest_dir} "
          f"(or any folder passed as --data-dir / $SNNFORGE_DATA_DIR), or try other "
          f"mirrors with --mirror URL / ${MIRRORS_ENV}.")


def fetch_split(spec: DatasetSpec, split: str, *, mirrors=None,
                timeout: float = _TIMEOUT_S) -> tuple[Path, Path]:
    """Download and verify the image and label files of one split into the user cache."""
    if not spec.downloadable:
        raise DataError(f"{spec.name} is bundled with snnforge and cannot be downloaded; "
                        f"reinstall snnforge if its files are missing")
    bases = resolve_mirrors(spec, mirrors)
    files = spec.splits[split]
    dest = dataset_cache_dir(spec.name)
    images = download_verified(file_name=files.images, sha256=files.images_sha256,
                               dataset=spec.name, dest_dir=dest, mirrors=bases, timeout=timeout)
    labels = download_verified(file_name=files.labels, sha256=files.labels_sha256,
                               dataset=spec.name, dest_dir=dest, mirrors=bases, timeout=timeout)
    return images, labels
