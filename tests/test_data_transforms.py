"""downsample: exact area averaging."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.data import downsample, load_dataset


def _reference(images, size):
    """Area average by upsampling to a common grid (src*size) and block-summing, in integers."""
    n, src, _ = images.shape
    up = np.repeat(np.repeat(images.astype(np.int64), size, axis=1), size, axis=2)
    sums = up.reshape(n, size, src, size, src).sum(axis=(2, 4))
    return ((2 * sums + src * src) // (2 * src * src)).astype(np.uint8)


@pytest.mark.parametrize("size", [8, 7, 14, 5, 1, 28])
def test_matches_reference_on_random_images(size):
    images = np.random.default_rng(size).integers(0, 256, (6, 28, 28), dtype=np.uint8)
    out = downsample(images, size=size)
    assert out.shape == (6, size, size) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, _reference(images, size))


def test_integer_factor_is_block_mean_rounded_half_up():
    images = np.zeros((1, 28, 28), dtype=np.uint8)
    images[0, :4, :4] = [[1, 0, 0, 0]] + [[0] * 4] * 3   # block sum 1 -> mean 1/16 -> 0
    images[0, :4, 4:8] = 1                                 # 16/16 -> 1
    images[0, 4:8, :4] = [[1, 1]*2]*2 + [[0]*4]*2          # 8/16 = 0.5 -> 1 (half up)
    out = downsample(images, size=7)
    assert out[0, 0, 0] == 0 and out[0, 0, 1] == 1 and out[0, 1, 0] == 1


def test_constant_images_stay_constant_and_single_image_shape():
    img = np.full((28, 28), 200, dtype=np.uint8)
    out = downsample(img, size=8)
    assert out.shape == (8, 8) and np.all(out == 200)


def test_mnist_sample_to_64_inputs_keeps_mass():
    images = load_dataset("mnist-sample", "test", limit=50).images
    small = downsample(images)
    assert small.shape == (50, 8, 8)
    np.testing.assert_allclose(small.reshape(50, -1).mean(1), images.reshape(50, -1).mean(1),
                               atol=0.6)


@pytest.mark.parametrize("images, size, fragment", [
    (np.zeros((2, 28, 27), np.uint8), 8, "square images"),
    (np.zeros((2, 28, 28), np.float32), 8, "uint8"),
    (np.zeros((2, 28, 28), np.uint8), 0, "size must be an integer in 1..28"),
    (np.zeros((2, 28, 28), np.uint8), 29, "size must be an integer"),
    (np.zeros((2, 28, 28), np.uint8), 4.0, "size must be an integer"),
])
def test_bad_arguments(images, size, fragment):
    with pytest.raises(ConfigError, match=fragment):
        downsample(images, size=size)
