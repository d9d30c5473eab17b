"""load_dataset: the committed sample, source order, validation, verification."""
import gzip
import hashlib

import numpy as np
import pytest

from snnforge.errors import ConfigError, DataError
from snnforge.golden_model.data import DATASETS, Dataset, load_dataset, read_idx
from snnforge.golden_model.data.catalog import SAMPLE_DIR, DatasetSpec, SplitFiles
from snnforge.golden_model.data.idx import encode_idx

N_TRAIN, N_TEST = 12, 6


def _arrays(n, seed):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, n, dtype=np.uint8))


def write_tiny(folder, *, seed=0, compress=True):
    """Write a tiny MNIST-layout dataset into ``folder``; return {split: (images, labels)}."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, n, prefix in (("train", N_TRAIN, "train"), ("test", N_TEST, "t10k")):
        images, labels = _arrays(n, seed + n)
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            raw = encode_idx(arr)
            name = f"{prefix}-{kind}-ubyte"
            if compress:
                (folder / f"{name}.gz").write_bytes(gzip.compress(raw, mtime=0))
            else:
                (folder / name).write_bytes(raw)
        out[split] = (images, labels)
    return out


def tiny_spec(system_dir, *, seed=0, mirrors=()):
    def sha(arr):
        return hashlib.sha256(encode_idx(arr)).hexdigest()

    splits = {}
    for split, n, prefix in (("train", N_TRAIN, "train"), ("test", N_TEST, "t10k")):
        images, labels = _arrays(n, seed + n)
        splits[split] = SplitFiles(f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte",
                                   n, sha(images), sha(labels))
    return DatasetSpec(name="tiny", title="tiny test set", splits=splits, mirrors=tuple(mirrors),
                       system_dirs=(str(system_dir),), attribution="synthetic")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A 'tiny' dataset whose every source is under tmp_path."""
    monkeypatch.setenv("SNNFORGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SNNFORGE_DATA_DIR", raising=False)
    monkeypatch.delenv("SNNFORGE_MIRRORS", raising=False)
    monkeypatch.setitem(DATASETS, "tiny", tiny_spec(tmp_path / "system"))
    return tmp_path


def test_sample_loads_with_expected_shapes_and_matches_full_mnist_head():
    train = load_dataset("mnist-sample", "train")
    test = load_dataset("mnist-sample", "test")
    assert isinstance(train, Dataset)
    assert train.images.shape == (500, 28, 28) and train.images.dtype == np.uint8
    assert train.labels.shape == (500,) and train.labels.dtype == np.uint8
    assert test.images.shape == (200, 28, 28) and len(test) == 200
    assert train.source.parent == SAMPLE_DIR and train.name == "mnist-sample"
    assert train.split == "train" and train.source.name == "train-images-idx3-ubyte.gz"
    assert set(np.unique(train.labels)) == set(range(10))
    # The official first digits of MNIST: 5 0 4 1 9 (train), 7 2 1 0 4 (test).
    assert train.labels[:5].tolist() == [5, 0, 4, 1, 9]
    assert test.labels[:5].tolist() == [7, 2, 1, 0, 4]


def test_sample_is_a_prefix_of_full_mnist_when_present():
    full = DATASETS["mnist"].system_dirs[0]
    try:
        head = read_idx(f"{full}/t10k-images-idx3-ubyte.gz")[:200]
    except DataError:
        pytest.skip("full MNIST not present")
    np.testing.assert_array_equal(load_dataset("mnist-sample", "test").images, head)


def test_limit_keeps_first_samples():
    full = load_dataset("mnist-sample", "train")
    part = load_dataset("mnist-sample", "train", limit=17)
    assert len(part) == 17
    np.testing.assert_array_equal(part.images, full.images[:17])
    np.testing.assert_array_equal(part.labels, full.labels[:17])


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(name="cifar", split="train"), "unknown dataset 'cifar'"),
    (dict(name="mnist-sample", split="valid"), "unknown split 'valid'"),
    (dict(name="mnist-sample", split="train", limit=0), "limit must be a positive integer"),
    (dict(name="mnist-sample", split="train", limit=2.5), "limit must be a positive integer"),
    (dict(name="mnist-sample", split="train", limit=501), "exceeds the 500 samples"),
])
def test_bad_parameters(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_dataset(kwargs.pop("name"), kwargs.pop("split"), **kwargs)


def test_explicit_data_dir_used_first_and_subfolder_accepted(isolated):
    write_tiny(isolated / "system", seed=0)
    write_tiny(isolated / "mine" / "tiny", seed=0, compress=False)
    ds = load_dataset("tiny", "train", data_dir=isolated / "mine")
    assert ds.source == isolated / "mine" / "tiny" / "train-images-idx3-ubyte"
    assert ds.origin == "--data-dir" and len(ds) == N_TRAIN


def test_explicit_data_dir_without_files_is_an_error_not_a_fallback(isolated):
    write_tiny(isolated / "system")
    (isolated / "empty").mkdir()
    with pytest.raises(DataError) as info:
        load_dataset("tiny", "test", data_dir=isolated / "empty")
    msg = str(info.value)
    assert "--data-dir" in msg and str(isolated / "empty") in msg
    assert "t10k-images-idx3-ubyte" in msg


def test_source_order_env_then_cache_then_system(isolated, monkeypatch):
    write_tiny(isolated / "system")
    assert load_dataset("tiny", "train").origin == "system"
    write_tiny(isolated / "cache" / "datasets" / "tiny")
    assert load_dataset("tiny", "train").origin == "cache"
    write_tiny(isolated / "envdir")
    monkeypatch.setenv("SNNFORGE_DATA_DIR", str(isolated / "envdir"))
    ds = load_dataset("tiny", "train")
    assert ds.origin == "SNNFORGE_DATA_DIR" and ds.source.parent == isolated / "envdir"


def test_xdg_cache_home_used_when_no_snnforge_cache_dir(isolated, monkeypatch):
    monkeypatch.delenv("SNNFORGE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(isolated / "xdg"))
    write_tiny(isolated / "xdg" / "snnforge" / "datasets" / "tiny")
    assert load_dataset("tiny", "test").origin == "cache"


def test_nothing_found_without_download_lists_where_it_looked(isolated):
    with pytest.raises(DataError) as info:
        load_dataset("tiny", "train", download=False)
    msg = str(info.value)
    assert str(isolated / "cache" / "datasets" / "tiny") in msg
    assert str(isolated / "system") in msg and "snnforge data fetch" in msg


def test_checksum_mismatch_is_reported_and_verify_false_skips_it(isolated):
    write_tiny(isolated / "system", seed=99)  # valid files, other content
    with pytest.raises(DataError, match="sha256 of the uncompressed content"):
        load_dataset("tiny", "train")
    assert len(load_dataset("tiny", "train", verify=False)) == N_TRAIN


def _rewrite(folder, name, arr):
    (folder / f"{name}.gz").write_bytes(gzip.compress(encode_idx(arr)))


def test_label_out_of_range(isolated):
    folder = isolated / "system"
    write_tiny(folder)
    labels = np.full(N_TRAIN, 3, dtype=np.uint8)
    labels[4] = 10
    _rewrite(folder, "train-labels-idx1-ubyte", labels)
    with pytest.raises(DataError, match=r"label 10 at index 4 is outside 0\.\.9"):
        load_dataset("tiny", "train", verify=False)


def test_images_labels_count_mismatch(isolated):
    folder = isolated / "system"
    write_tiny(folder)
    _rewrite(folder, "train-labels-idx1-ubyte", np.zeros(N_TRAIN - 1, dtype=np.uint8))
    with pytest.raises(DataError, match=f"{N_TRAIN} images but .* {N_TRAIN - 1} labels"):
        load_dataset("tiny", "train", verify=False)


def test_images_and_labels_swapped(isolated):
    folder = isolated / "system"
    write_tiny(folder)
    _rewrite(folder, "train-images-idx3-ubyte", np.zeros(N_TRAIN, dtype=np.uint8))
    with pytest.raises(DataError, match=r"expected uint8 images of shape \(N, 28, 28\)"):
        load_dataset("tiny", "train", verify=False)


def test_wrong_image_size(isolated):
    folder = isolated / "system"
    write_tiny(folder)
    _rewrite(folder, "train-images-idx3-ubyte", np.zeros((N_TRAIN, 8, 8), dtype=np.uint8))
    with pytest.raises(DataError, match=r"found uint8 \(12, 8, 8\)"):
        load_dataset("tiny", "train", verify=False)


def test_truncated_file_in_cache_names_the_file(isolated):
    folder = isolated / "cache" / "datasets" / "tiny"
    write_tiny(folder)
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DataError) as info:
        load_dataset("tiny", "test")
    assert str(path) in str(info.value) and "truncated" in str(info.value)


def test_env_data_dir_without_files_falls_through(isolated, monkeypatch):
    write_tiny(isolated / "system")
    (isolated / "envdir").mkdir()
    monkeypatch.setenv("SNNFORGE_DATA_DIR", str(isolated / "envdir"))
    assert load_dataset("tiny", "test").origin == "system"
