"""The keyed counter-based random bits (golden_model/rng.py)."""
import numpy as np
import pytest

from snnforge.errors import ConfigError
from snnforge.golden_model.rng import (ROUNDS, Stream, random_block, random_draw_range,
                                         random_draws, threefry2x32)

# Random123 tests/kat_vectors: threefry2x32 R  ctr0 ctr1  key0 key1  ->  out0 out1
KAT = [
    (13, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x9D1C5EC6, 0x8BD50731),
    (13, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFD36D048, 0x2D17272C),
    (13, 0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344, 0xBA3E4725, 0xF27D669E),
    (20, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x6B200159, 0x99BA4EFE),
    (20, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0x1CB996FC, 0xBB002BE7),
    (20, 0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344, 0xC4923A9C, 0x483DF7A0),
]

KEY = dict(seed=7, stream=Stream.INPUT, sample=12345, step=3)


@pytest.mark.parametrize("rounds,c0,c1,k0,k1,o0,o1", KAT)
def test_threefry_matches_random123_known_answers(rounds, c0, c1, k0, k1, o0, o1):
    x0, x1 = threefry2x32(c0, c1, k0, k1, rounds=rounds)
    assert (int(x0), int(x1)) == (o0, o1)


def test_default_rounds_is_13():
    assert ROUNDS == 13


def test_block_packs_keys_as_documented():
    x0, x1 = random_block(seed=0x13198A2E, stream=0x0370, sample=0x85A308D3, step=0x7344,
                          block_index=0x243F6A88)
    assert (int(x0), int(x1)) == (0xBA3E4725, 0xF27D669E)


@pytest.mark.parametrize("width", [8, 16])
def test_draw_bit_layout(width):
    per = 64 // width
    d = np.arange(3 * per + 1)
    draws = random_draws(draw_index=d, width=width, **KEY)
    x0, x1 = random_block(block_index=d // per, **KEY)
    block = (x1.astype(np.uint64) << np.uint64(32)) | x0.astype(np.uint64)
    expect = (block >> ((d % per) * width).astype(np.uint64)) & np.uint64((1 << width) - 1)
    assert np.array_equal(draws, expect.astype(np.uint32))


@pytest.mark.parametrize("width", [8, 16])
def test_draw_range_equals_indexed_draws_for_batched_keys(width):
    samples = np.array([[0], [5], [2 ** 32 - 1]])
    steps = np.array([[0, 1, 65535]])
    batch = random_draw_range(seed=3, stream=Stream.HIDDEN, sample=samples, step=steps, count=37,
                              width=width)
    assert batch.shape == (3, 3, 37)
    for a in range(3):
        for b in range(3):
            one = random_draws(seed=3, stream=Stream.HIDDEN, sample=int(samples[a, 0]),
                               step=int(steps[0, b]), draw_index=np.arange(37), width=width)
            assert np.array_equal(batch[a, b], one)


def test_independent_of_lane_count_and_order():
    idx = np.arange(1000)
    whole = random_draws(draw_index=idx, width=16, **KEY)
    for lanes in (1, 3, 16):  # each lane computes the indices i with i % lanes == lane
        got = np.empty_like(whole)
        for lane in range(lanes):
            sel = idx[lane::lanes][::-1]  # any order inside a lane
            got[sel] = random_draws(draw_index=sel, width=16, **KEY)
        assert np.array_equal(got, whole)


def _bits(x0, x1):
    words = np.stack([x0, x1], -1).astype("<u4")
    return np.unpackbits(words.view(np.uint8), bitorder="little").reshape(len(x0), 64)


def test_bit_balance():
    n = 1 << 16
    bits = _bits(*random_block(block_index=np.arange(n), **KEY))
    # each of the 64 bit positions: mean 0.5, sd 0.5/sqrt(n) = 0.00195; allow 5 sd
    assert np.abs(bits.mean(axis=0) - 0.5).max() < 5 * 0.5 / np.sqrt(n)
    # bytes of 8-bit draws are uniform: chi-square with 255 dof, mean 255, sd 22.6
    draws = random_draw_range(count=n, width=8, **KEY)
    counts = np.bincount(draws, minlength=256)
    chi2 = ((counts - n / 256) ** 2 / (n / 256)).sum()
    assert chi2 < 255 + 6 * 22.6


@pytest.mark.parametrize("field,other", [("seed", 8), ("stream", Stream.HIDDEN), ("sample", 12346),
                                         ("step", 4)])
def test_neighbouring_keys_are_uncorrelated(field, other):
    n = 1 << 14
    a = _bits(*random_block(block_index=np.arange(n), **KEY))
    b = _bits(*random_block(block_index=np.arange(n), **{**KEY, field: other}))
    agree = (a == b).mean()
    assert abs(agree - 0.5) < 5 * 0.5 / np.sqrt(a.size)
    # neighbouring indices under one key are uncorrelated too
    assert abs((a[1:] == a[:-1]).mean() - 0.5) < 5 * 0.5 / np.sqrt(a.size)


def test_same_key_same_bits():
    a = random_draws(draw_index=np.arange(50), width=8, **KEY)
    b = random_draws(draw_index=np.arange(50), width=8, **KEY)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("kw,msg", [({"step": 1 << 16}, "step"), ({"stream": -1}, "stream"),
                                    ({"sample": 1 << 32}, "sample"), ({"seed": 1.5}, "seed")])
def test_bad_keys(kw, msg):
    with pytest.raises(ConfigError, match=msg):
        random_draws(draw_index=[0], width=8, **{**KEY, **kw})


def test_bad_width_and_rounds():
    with pytest.raises(ConfigError, match="width"):
        random_draws(draw_index=[0], width=12, **KEY)
    with pytest.raises(ConfigError, match="rounds"):
        threefry2x32(0, 0, 0, 0, rounds=0)
