"""Dataset loading and download-path figures on this machine.

For every dataset and split found locally: where it was found, sample count, whether the sha256
matches, and the wall time of ``load_dataset`` (read + gunzip + verify + validate). Then the full
download path (mirror -> temp file -> verify -> atomic move) for every downloadable dataset found
locally, served from a local HTTP server on 127.0.0.1 into a throw-away cache. Writes
``benchmarks/results/data_load.json``.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/data_load.py
"""
from __future__ import annotations

import dataclasses
import functools
import http.server
import os
import tempfile
import threading
import time
from pathlib import Path

from snnforge.golden_model.data import DATASETS, SPLITS, load_dataset
from snnforge.golden_model.data.locate import locate_split
from snnforge.runs import write_json

RESULT = Path(__file__).resolve().parent / "results" / "data_load.json"


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def local_loads() -> list[dict]:
    rows = []
    for name, spec in DATASETS.items():
        for split in SPLITS:
            loc, searched = locate_split(spec, split)
            if loc is None:
                rows.append({"dataset": name, "split": split, "found": False,
                             "searched": [str(p) for p in searched]})
                continue
            ds, seconds = _timed(lambda: load_dataset(name, split, download=False))
            rows.append({"dataset": name, "split": split, "found": True, "origin": ds.origin,
                         "source": str(ds.source), "samples": len(ds), "sha256_verified": True,  # load_dataset raises otherwise
                         "load_seconds": round(seconds, 3)})
    return rows


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def local_mirror_downloads() -> list[dict]:
    """Download every locally present dataset again, through HTTP, into a temporary cache."""
    rows = []
    saved_env = {k: os.environ.get(k) for k in ("SNNFORGE_CACHE_DIR", "SNNFORGE_DATA_DIR")}
    for name, spec in list(DATASETS.items()):
        loc, _ = locate_split(spec, "train")
        if not spec.downloadable or loc is None:
            continue
        handler = functools.partial(_QuietHandler, directory=str(loc.images.parent))
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        mirror = f"http://127.0.0.1:{httpd.server_address[1]}/"
        DATASETS[name] = dataclasses.replace(spec, system_dirs=())  # force the download path
        try:
            with tempfile.TemporaryDirectory() as cache:
                os.environ["SNNFORGE_CACHE_DIR"] = cache
                os.environ.pop("SNNFORGE_DATA_DIR", None)
                for split in SPLITS:
                    ds, seconds = _timed(lambda: load_dataset(name, split, mirrors=[mirror]))
                    size = ds.source.stat().st_size + ds.labels_source.stat().st_size
                    rows.append({"dataset": name, "split": split, "origin": ds.origin,
                                 "samples": len(ds), "bytes": size,
                                 "download_verify_load_seconds": round(seconds, 3)})
        finally:
            DATASETS[name] = spec
            httpd.shutdown()
            httpd.server_close()
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return rows


def main() -> int:
    result = {"local": local_loads(), "local_mirror_download": local_mirror_downloads()}
    write_json(RESULT, result)
    for row in result["local"]:
        if row["found"]:
            print(f"{row['dataset']:14s} {row['split']:5s} {row['samples']:6d} samples  "
                  f"{row['origin']:8s} load {row['load_seconds']:.3f} s  {row['source']}")
        else:
            print(f"{row['dataset']:14s} {row['split']:5s} not found")
    for row in result["local_mirror_download"]:
        print(f"download {row['dataset']:14s} {row['split']:5s} {row['bytes'] / 1e6:6.2f} MB  "
              f"{row['download_verify_load_seconds']:.3f} s (download + verify + load)")
    print(f"wrote {RESULT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
