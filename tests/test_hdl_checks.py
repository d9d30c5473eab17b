"""snnforge.hdl.checks: the one validation module of the HDL (every message tested)."""
import pytest

from snnforge.errors import ConfigError
from snnforge.hdl.checks import check_int, index_width, signed_bits


@pytest.mark.parametrize("value, lo, hi, message", [
    (0, 1, 8, "lanes must be an integer in 1..8, got 0"),
    (9, 1, 8, "lanes must be an integer in 1..8, got 9"),
    (True, 0, 8, "lanes must be an integer in 0..8, got True"),
    (2.0, 1, 8, "lanes must be an integer in 1..8, got 2.0"),
    ("4", 1, None, "lanes must be an integer >= 1, got '4'"),
    (-3, 0, None, "lanes must be an integer >= 0, got -3"),
])
def test_check_int_refuses_with_one_message_style(value, lo, hi, message):
    with pytest.raises(ConfigError) as info:
        check_int("lanes", value, lo, hi)
    assert str(info.value) == message


def test_check_int_hint_and_accepted_values():
    with pytest.raises(ConfigError, match=r"^theta must be an integer >= 1, got 0; use 2\*\*14$"):
        check_int("theta", 0, 1, hint="use 2**14")
    assert check_int("theta", 1, 1) == 1
    assert check_int("lanes", 8, lo=1, hi=8) == 8


@pytest.mark.parametrize("max_abs, width", [(0, 1), (1, 2), (3, 3), (4, 4), (127, 8), (128, 9)])
def test_signed_bits_is_the_narrowest_symmetric_width(max_abs, width):
    assert signed_bits(max_abs) == width
    assert -(1 << (width - 1)) <= -max_abs and max_abs <= (1 << (width - 1)) - 1
    if width > 1:   # one bit less cannot hold +max_abs or -max_abs
        assert max_abs > (1 << (width - 2)) - 1


@pytest.mark.parametrize("n, width", [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3), (785, 10), (1024, 10)])
def test_index_width_addresses_n_items(n, width):
    assert index_width(n) == width
