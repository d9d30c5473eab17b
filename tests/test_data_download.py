"""Verified downloads, for real, against a local HTTP server on 127.0.0.1."""
import dataclasses
import gzip
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from snnforge.cli import main as cli_main
from snnforge.errors import ConfigError, DataError
from snnforge.golden_model.data import DATASETS, load_dataset
from snnforge.golden_model.data.download import resolve_mirrors
from test_data_datasets import N_TRAIN, tiny_spec, write_tiny


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}   # path -> (body, declared Content-Length or None)

    def do_GET(self):
        if self.path not in self.routes:
            self.send_error(404, "Not Found")
            return
        body, declared = self.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(declared if declared is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """A local mirror server; returns (base URL, routes dict, files of the good dataset)."""
    good = tmp_path / "good"
    write_tiny(good, seed=0)
    write_tiny(tmp_path / "other", seed=99)
    routes = {}
    for path in good.iterdir():
        blob = path.read_bytes()
        other = (tmp_path / "other" / path.name).read_bytes()
        routes[f"/good/{path.name}"] = (blob, None)
        routes[f"/corrupt/{path.name}"] = (other, None)               # valid gzip, wrong content
        routes[f"/truncated/{path.name}"] = (blob[: len(blob) // 2], None)  # short file
        routes[f"/cut/{path.name}"] = (blob[: len(blob) // 2], len(blob))   # connection drops
        routes[f"/raw/{path.name}"] = (gzip.decompress(blob), None)     # served uncompressed
    handler = type("Handler", (_Handler,), {"routes": routes})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SNNFORGE_DATA_DIR", raising=False)
    monkeypatch.delenv("SNNFORGE_MIRRORS", raising=False)
    monkeypatch.setitem(DATASETS, "tiny", tiny_spec(tmp_path / "nowhere"))
    return tmp_path / "cache" / "datasets" / "tiny"


def _dead_url():
    with socket.socket() as s:   # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _cache_files(cache):
    return sorted(p.name for p in cache.rglob("*")) if cache.exists() else []


def test_good_mirror_downloads_into_cache(server, isolated):
    ds = load_dataset("tiny", "train", mirrors=[f"{server}/good/"])
    assert ds.origin == "download" and len(ds) == N_TRAIN
    assert ds.source == isolated / "train-images-idx3-ubyte.gz"
    assert _cache_files(isolated) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    again = load_dataset("tiny", "train", mirrors=[_dead_url()])   # now served from the cache
    assert again.origin == "cache"
    np.testing.assert_array_equal(again.images, ds.images)


def test_uncompressed_mirror_is_detected_and_stored_raw(server, isolated):
    ds = load_dataset("tiny", "test", mirrors=[f"{server}/raw/"])
    assert ds.source == isolated / "t10k-images-idx3-ubyte"


@pytest.mark.parametrize("mirror, fragment", [
    ("corrupt", "sha256 mismatch"),
    ("truncated", "truncated gzip"),
    ("cut", "truncated: received"),
    ("missing", "HTTP 404"),
])
def test_bad_mirror_fails_cleanly_with_nothing_in_cache(server, isolated, mirror, fragment):
    with pytest.raises(DataError) as info:
        load_dataset("tiny", "train", mirrors=[f"{server}/{mirror}/"])
    msg = str(info.value)
    assert f"{server}/{mirror}/train-images-idx3-ubyte.gz" in msg and fragment in msg, msg
    assert "Manual fallback" in msg and str(isolated) in msg and "--data-dir" in msg
    assert _cache_files(isolated) == []


def test_404_then_good_mirror(server, isolated):
    ds = load_dataset("tiny", "train",
                      mirrors=[f"{server}/missing/", f"{server}/corrupt/", f"{server}/good/"])
    assert ds.origin == "download"
    assert _cache_files(isolated) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]


def test_no_mirror_reachable_lists_each_failure_and_the_fallback(isolated):
    dead = [_dead_url(), _dead_url() + "x/"]
    with pytest.raises(DataError) as info:
        load_dataset("tiny", "test", mirrors=dead)
    msg = str(info.value)
    assert msg.count("unreachable") == 2
    assert "Manual fallback: download t10k-images-idx3-ubyte.gz" in msg and str(isolated) in msg
    assert _cache_files(isolated) == [] and not isolated.parent.parent.exists()  # cache root


def test_mirrors_from_environment(server, isolated, monkeypatch):
    monkeypatch.setenv("SNNFORGE_MIRRORS", f"{_dead_url()}, {server}/{{dataset}}-nope/ {server}/good/")
    assert load_dataset("tiny", "test").origin == "download"


def test_bad_mirror_urls_rejected_up_front():
    with pytest.raises(ConfigError, match="not an http"):
        resolve_mirrors(DATASETS["mnist"], ["ftp://example.org/"])
    with pytest.raises(ConfigError, match="empty mirror list"):
        resolve_mirrors(DATASETS["mnist"], [])


def test_ctrl_c_during_download_leaves_nothing(server, isolated, monkeypatch):
    import snnforge.runs

    class Interrupting:
        def __init__(self, *a, **k):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            raise KeyboardInterrupt

    monkeypatch.setattr(snnforge.runs, "progress", Interrupting)
    with pytest.raises(KeyboardInterrupt):
        load_dataset("tiny", "train", mirrors=[f"{server}/good/"])
    assert _cache_files(isolated) == []


def test_cli_fetch_then_info(server, isolated, capsys):
    assert cli_main(["data", "fetch", "--dataset", "tiny", "--mirror", f"{server}/missing/",
                     "--mirror", f"{server}/good/"]) == 0
    out = capsys.readouterr().out
    assert "tiny train: downloaded" in out and "tiny test: downloaded" in out
    assert len(_cache_files(isolated)) == 4
    assert cli_main(["data", "fetch", "--dataset", "tiny", "--mirror", _dead_url()]) == 0
    assert "already in" in capsys.readouterr().out
    assert cli_main(["data", "info", "--dataset", "tiny"]) == 0
    out = capsys.readouterr().out
    assert f"{N_TRAIN} samples, 28x28, sha256 ok" in out and "(cache)" in out


def test_cli_fetch_failure_is_one_clear_error(isolated, capsys):
    assert cli_main(["data", "fetch", "--dataset", "tiny", "--mirror", _dead_url()]) == 2
    err = capsys.readouterr().err
    assert "snnforge data: error: could not download tiny" in err and "Manual fallback" in err


def test_real_mnist_through_local_mirror_verifies_against_real_hashes(tmp_path, monkeypatch):
    """The built-in checksums match real mirror files (served here from the local copy)."""
    full = Path(DATASETS["mnist"].system_dirs[0])
    if not (full / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip("full MNIST not present")
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SNNFORGE_DATA_DIR", raising=False)
    monkeypatch.setitem(DATASETS, "mnist", dataclasses.replace(DATASETS["mnist"], system_dirs=()))
    ds = load_dataset("mnist", "test", mirrors=[full.as_uri() + "/"])
    assert ds.origin == "download" and len(ds) == 10000
    assert ds.source == tmp_path / "cache" / "datasets" / "mnist" / "t10k-images-idx3-ubyte.gz"


def test_unwritable_cache_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setitem(DATASETS, "tiny", tiny_spec(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="cannot create the cache folder .*SNNFORGE_CACHE_DIR"):
        load_dataset("tiny", "train", mirrors=[_dead_url()])
