"""Shared cocotb testbench parts: the TB base class, lib.stream drivers, a scoreboard.

Import in a cocotb module as ``from common import TB, StreamSource, StreamSink, Scoreboard``
(``cocotb_tests/`` is on the path: ``cocotb_tests/conftest.py`` puts it there and
:func:`snnforge.hwsim.run_cocotb` hands the path on to the simulator).
"""
from common.tb import TB, tb_params
from common.stream import StreamSink, StreamSource
from common.scoreboard import Scoreboard

__all__ = ["TB", "tb_params", "StreamSource", "StreamSink", "Scoreboard"]
