"""Datasets for the golden model: IDX reading, MNIST / Fashion-MNIST / the committed sample,
verified downloads, and image transforms.

>>> ds = load_dataset("mnist-sample", "train")
>>> ds.images.shape, ds.images.dtype, ds.labels.dtype
((500, 28, 28), dtype('uint8'), dtype('uint8'))
"""
from .catalog import DATASETS, SPLITS, DatasetSpec, get_spec
from .datasets import Dataset, load_dataset, load_digits
from .idx import encode_idx, read_idx
from .locate import cache_root, dataset_cache_dir
from .transforms import downsample

__all__ = ["Dataset", "load_dataset", "load_digits", "read_idx", "encode_idx", "downsample", "DATASETS",
           "SPLITS", "DatasetSpec", "get_spec", "cache_root", "dataset_cache_dir"]
