"""Puts ``cocotb_tests/`` on ``sys.path`` so cocotb modules can ``import common`` (the simulator
gets the same path from :func:`snnforge.hwsim.run_cocotb`)."""
import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
