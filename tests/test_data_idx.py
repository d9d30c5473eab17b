"""IDX reader: round trips and every bad-file case gives a DataError naming file and problem."""
import gzip

import numpy as np
import pytest

from snnforge.errors import DataError
from snnforge.golden_model.data import encode_idx, read_idx


def _images(n=5):
    return (np.arange(n * 28 * 28) % 256).astype(np.uint8).reshape(n, 28, 28)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_all_dtypes(tmp_path, dtype):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = tmp_path / "a.idx"
    path.write_bytes(encode_idx(a))
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_compression_detected_by_magic_not_name(tmp_path):
    a = _images()
    gz_named_raw = tmp_path / "raw-but-named.gz"
    gz_named_raw.write_bytes(encode_idx(a))
    raw_named_gz = tmp_path / "gzip-but-named-raw-idx3-ubyte"
    raw_named_gz.write_bytes(gzip.compress(encode_idx(a)))
    np.testing.assert_array_equal(read_idx(gz_named_raw), a)
    np.testing.assert_array_equal(read_idx(raw_named_gz), a)


def _expect(path, blob, *fragments):
    path.write_bytes(blob)
    with pytest.raises(DataError) as info:
        read_idx(path)
    msg = str(info.value)
    assert str(path) in msg
    for fragment in fragments:
        assert fragment in msg, msg
    return msg


def test_bad_magic(tmp_path):
    blob = bytearray(encode_idx(_images()))
    blob[0] = 0x42
    _expect(tmp_path / "f", bytes(blob), "bad IDX magic")


def test_unknown_dtype_code(tmp_path):
    blob = bytearray(encode_idx(_images()))
    blob[2] = 0x07
    _expect(tmp_path / "f", bytes(blob), "unknown IDX dtype code 0x07")


def test_zero_dimensions(tmp_path):
    _expect(tmp_path / "f", bytes([0, 0, 8, 0]), "0 dimensions")


def test_too_short_for_header(tmp_path):
    _expect(tmp_path / "f", b"\x00\x00", "too short")


def test_truncated_header(tmp_path):
    _expect(tmp_path / "f", encode_idx(_images())[:10], "truncated IDX header")


def test_truncated_data(tmp_path):
    blob = encode_idx(_images())
    _expect(tmp_path / "f", blob[:-100], "truncated", "(5, 28, 28)")


def test_trailing_bytes(tmp_path):
    _expect(tmp_path / "f", encode_idx(_images()) + b"\x00" * 3, "3 unexpected trailing bytes")


def test_truncated_gzip(tmp_path):
    blob = gzip.compress(encode_idx(_images()))
    _expect(tmp_path / "f.gz", blob[: len(blob) // 2], "truncated gzip")


def test_corrupted_gzip_crc(tmp_path):
    blob = bytearray(gzip.compress(encode_idx(_images())))
    blob[-8] ^= 0xFF  # the CRC32 field of the gzip trailer
    _expect(tmp_path / "f.gz", bytes(blob), "corrupted gzip", "CRC")


def test_corrupted_deflate_stream(tmp_path):
    blob = bytearray(gzip.compress(encode_idx(_images())))
    blob[12:40] = bytes(28)
    _expect(tmp_path / "f.gz", bytes(blob), "corrupted gzip")


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_idx(tmp_path / "nope.gz")


def test_encode_rejects_types_without_idx_code():
    from snnforge.errors import ConfigError

    with pytest.raises(ConfigError, match="no IDX code"):
        encode_idx(np.zeros(3, dtype=np.uint16))
    with pytest.raises(ConfigError, match="IDX holds 1 to 255"):
        encode_idx(np.uint8(3))
