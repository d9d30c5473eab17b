"""The ``simulator`` fixture: a cocotb test that takes it runs on Verilator and, when Icarus
Verilog (``iverilog``/``vvp``) is on PATH, on Icarus too (the same testbench code)."""
import pytest

from snnforge.hwsim import icarus_available

NO_ICARUS = ("Icarus Verilog not on PATH (iverilog, vvp): install it with "
             "`apt-get install iverilog` to run this test on the second simulator")


@pytest.fixture(params=["verilator", pytest.param("icarus", marks=pytest.mark.skipif(
    not icarus_available(), reason=NO_ICARUS))])
def simulator(request) -> str:
    return request.param
