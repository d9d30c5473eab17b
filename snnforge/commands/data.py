"""``snnforge data``: show where datasets are found, and fetch them into the user cache.

``snnforge data info [--dataset NAME] [--data-dir D]`` prints, per dataset and split, the
file found, its source, its sample count and whether its checksum matches; it never downloads.
``snnforge data fetch --dataset NAME [--mirror URL ...]`` downloads (verified, atomic) any
split missing from the user cache.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from snnforge.errors import DataError


def register(subparsers) -> None:
    from snnforge.golden_model.data import DATASETS

    parser = subparsers.add_parser(
        "data", help="show where datasets are found; fetch them into the user cache",
        description="Dataset sources, in order: --data-dir, $SNNFORGE_DATA_DIR, the user cache "
                    "($SNNFORGE_CACHE_DIR, else $XDG_CACHE_HOME/snnforge, else "
                    "~/.cache/snnforge), system folders, then download from mirrors.")
    actions = parser.add_subparsers(dest="data_action", metavar="ACTION", required=True)

    info = actions.add_parser("info", help="where each dataset is found, counts, checksums")
    info.add_argument("--dataset", choices=list(DATASETS), default=None,
                      help="only this dataset (default: all)")
    info.add_argument("--data-dir", type=Path, default=None,
                      help="look only in this folder (or its <dataset>/ sub-folder)")
    info.set_defaults(func=_info)

    fetch = actions.add_parser("fetch", help="download a dataset into the user cache (verified)")
    fetch.add_argument("--dataset", choices=[n for n, s in DATASETS.items() if s.downloadable],
                       required=True, help="the dataset to download")
    fetch.add_argument("--mirror", action="append", default=None, metavar="URL",
                       help="mirror base URL, tried in the order given (repeatable; default: "
                            "$SNNFORGE_MIRRORS, else the built-in mirrors)")
    fetch.add_argument("--timeout", type=float, default=30.0, metavar="S",
                       help="network timeout per request in seconds (default: %(default)s)")
    fetch.set_defaults(func=_fetch)


def _info(args: argparse.Namespace) -> int:
    from snnforge.golden_model.data import DATASETS, cache_root
    from snnforge.golden_model.data.datasets import read_verified
    from snnforge.golden_model.data.locate import locate_split

    names = [args.dataset] if args.dataset else list(DATASETS)
    print(f"user cache: {cache_root()}")
    problems = 0
    for name in names:
        spec = DATASETS[name]
        print(f"{name}: {spec.title}")
        for split, files in spec.splits.items():
            try:
                loc, searched = locate_split(spec, split, data_dir=args.data_dir)
            except DataError as exc:
                print(f"  {split:5s}  missing: {exc}")
                problems += 1
                continue
            if loc is None:
                print(f"  {split:5s}  not found (looked in {', '.join(map(str, searched))}); "
                      f"get it with `snnforge data fetch --dataset {name}`")
                continue
            try:
                images = read_verified(loc.images, sha256=files.images_sha256)
                labels = read_verified(loc.labels, sha256=files.labels_sha256)
                status = f"{labels.shape[0]} samples, {images.shape[1]}x{images.shape[2]}, sha256 ok"
            except DataError as exc:
                status = f"BAD: {exc}"
                problems += 1
            print(f"  {split:5s}  {loc.images.parent}  ({loc.origin})  {status}")
    return 1 if problems else 0


def _fetch(args: argparse.Namespace) -> int:
    from snnforge.errors import ConfigError
    from snnforge.golden_model.data import dataset_cache_dir, get_spec
    from snnforge.golden_model.data.datasets import read_verified
    from snnforge.golden_model.data.download import fetch_split, resolve_mirrors
    from snnforge.golden_model.data.locate import find_file

    if not args.timeout > 0:
        raise ConfigError(f"--timeout must be positive, got {args.timeout}")
    spec = get_spec(args.dataset)
    resolve_mirrors(spec, args.mirror)  # validate the URLs before any download
    cache = dataset_cache_dir(spec.name)
    for split, files in spec.splits.items():
        cached = [find_file(cache, files.images), find_file(cache, files.labels)]
        if all(cached):
            try:
                read_verified(cached[0], sha256=files.images_sha256)
                read_verified(cached[1], sha256=files.labels_sha256)
                print(f"{spec.name} {split}: already in {cache} (sha256 ok)")
                continue
            except DataError as exc:
                print(f"{spec.name} {split}: cached copy is bad ({exc}); downloading again")
        images, labels = fetch_split(spec, split, mirrors=args.mirror, timeout=args.timeout)
        print(f"{spec.name} {split}: downloaded {images.name} and {labels.name} into "
              f"{cache} (sha256 ok)")
    return 0
