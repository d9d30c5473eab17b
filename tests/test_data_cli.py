"""``snnforge data info|fetch`` and the full datasets where this machine has them."""
import gzip
from pathlib import Path

import numpy as np
import pytest

from snnforge.cli import main as cli_main
from snnforge.golden_model.data import DATASETS, load_dataset
from test_data_datasets import tiny_spec, write_tiny


def test_info_on_committed_sample(capsys):
    assert cli_main(["data", "info", "--dataset", "mnist-sample"]) == 0
    out = capsys.readouterr().out
    assert "train" in out and "500 samples, 28x28, sha256 ok" in out
    assert "200 samples, 28x28, sha256 ok" in out and "(package)" in out


def test_info_reports_bad_cached_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SNNFORGE_DATA_DIR", raising=False)
    monkeypatch.setitem(DATASETS, "tiny", tiny_spec(tmp_path / "nowhere"))
    folder = tmp_path / "cache" / "datasets" / "tiny"
    write_tiny(folder)
    labels = folder / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes())[:-2]))
    assert cli_main(["data", "info", "--dataset", "tiny"]) == 1
    out = capsys.readouterr().out
    assert "BAD:" in out and str(labels) in out and "truncated" in out
    assert "sha256 ok" in out   # the intact test split is still reported as good


def test_info_with_empty_data_dir_says_what_is_missing(tmp_path, capsys):
    assert cli_main(["data", "info", "--dataset", "mnist", "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "does not hold the mnist train files" in out and str(tmp_path) in out


def test_fetch_rejects_bundled_sample_and_bad_mirror(capsys):
    assert cli_main(["data", "fetch", "--dataset", "mnist-sample"]) == 2
    assert cli_main(["data", "fetch", "--dataset", "mnist", "--mirror", "ftp://x/"]) == 2
    assert "not an http://, https:// or file:// URL" in capsys.readouterr().err


def _full_present(name):
    spec = DATASETS[name]
    return any((Path(d) / "train-images-idx3-ubyte.gz").is_file() for d in spec.system_dirs)


@pytest.mark.parametrize("name, first_train, first_test", [
    ("mnist", [5, 0, 4, 1, 9], [7, 2, 1, 0, 4]),
    ("fashion-mnist", [9, 0, 0, 3, 0], [9, 2, 1, 1, 6]),
])
def test_full_dataset_when_present(name, first_train, first_test, monkeypatch):
    if not _full_present(name):
        pytest.skip(f"{name} not installed on this machine")
    monkeypatch.delenv("SNNFORGE_DATA_DIR", raising=False)
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", "/nonexistent-snnforge-cache")
    train = load_dataset(name, "train", download=False)
    test = load_dataset(name, "test", download=False)
    assert train.images.shape == (60000, 28, 28) and test.images.shape == (10000, 28, 28)
    assert train.labels[:5].tolist() == first_train and test.labels[:5].tolist() == first_test
    assert np.bincount(train.labels, minlength=10).min() > 5000
    assert train.origin == "system"
