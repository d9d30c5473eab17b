"""The known datasets: file names, sample counts, sha256 of the uncompressed files, mirrors.

Checksums are of the *uncompressed* IDX content, because mirrors differ in their gzip bytes
(compression level, timestamps) while the content is the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DatasetSpec", "SplitFiles", "DATASETS", "SPLITS", "get_spec", "SAMPLE_DIR"]

SPLITS = ("train", "test")

#: Folder of the committed MNIST sample (installed as package data).
SAMPLE_DIR = Path(__file__).resolve().parent / "sample"


@dataclass(frozen=True)
class SplitFiles:
    """The image and label file of one split, with their expected content."""

    images: str          #: file name without ``.gz``
    labels: str
    count: int           #: number of samples
    images_sha256: str   #: sha256 of the uncompressed images file
    labels_sha256: str


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    title: str
    splits: dict[str, SplitFiles]
    mirrors: tuple[str, ...]        #: base URLs; a file is fetched from ``base + name + ".gz"``
    system_dirs: tuple[str, ...]    #: known local install locations (absolute paths)
    attribution: str
    image_shape: tuple[int, int] = (28, 28)
    n_classes: int = 10
    downloadable: bool = True


def _checkout_sibling(name: str) -> tuple[str, ...]:
    """``<checkout>/../shared/data/<name>`` when running from a source checkout (where CI keeps
    the full datasets beside it); nothing for an installed package."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file() or not (root / "golden_model").is_dir():
        return ()
    return (str(root.parent / "shared" / "data" / name),)


_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}

_MNIST_ATTRIBUTION = ("MNIST: Yann LeCun, Corinna Cortes, Christopher J.C. Burges; "
                      "licensed CC BY-SA 3.0.")

DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        title="MNIST handwritten digits",
        splits={
            "train": SplitFiles(*_MNIST_FILES["train"],
                                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            "test": SplitFiles(*_MNIST_FILES["test"],
                               "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                               "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
        },
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        system_dirs=(*_checkout_sibling("mnist"), "/usr/share/datasets/mnist"),
        attribution=_MNIST_ATTRIBUTION,
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        title="Fashion-MNIST (Zalando article images)",
        splits={
            "train": SplitFiles(*_MNIST_FILES["train"],
                                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            "test": SplitFiles(*_MNIST_FILES["test"],
                               "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                               "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        },
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ),
        system_dirs=("/usr/share/datasets/fashion-mnist", *_checkout_sibling("fashion-mnist")),
        attribution="Fashion-MNIST: Han Xiao, Kashif Rasul, Roland Vollgraf (Zalando Research); "
                    "licensed MIT.",
    ),
    # The committed sample: first 500 training and first 200 test digits of MNIST.
    "mnist-sample": DatasetSpec(
        name="mnist-sample",
        title="MNIST sample committed with snnforge (500 train + 200 test digits)",
        splits={
            "train": SplitFiles(_MNIST_FILES["train"][0], _MNIST_FILES["train"][1], 500,
                                "3834b3c6657b695ab95d35272e0c99628bafaddd1218231d414d32fc8dda62c4",
                                "ba45bb0bb877d1f0cd391545d1bea8eb5150dcfb760f2a01f0b40de7664347e3"),
            "test": SplitFiles(_MNIST_FILES["test"][0], _MNIST_FILES["test"][1], 200,
                               "cefe86a05637f831a20aef251bd9db19004a2c986ec848d345c40ffd09264afc",
                               "181dda88fbf8032cf747bf0766ad9d035b6bb747997214d834eb8d2f33a72210"),
        },
        mirrors=(),
        system_dirs=(str(SAMPLE_DIR),),
        attribution=_MNIST_ATTRIBUTION,
        downloadable=False,
    ),
}


def get_spec(name: str) -> DatasetSpec:
    from snnforge.errors import ConfigError

    if not isinstance(name, str) or name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[name]
