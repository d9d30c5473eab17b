"""Every registered unit generates Verilog at its default parameters that lints clean with
Verilator -Wall (generator artefacts aside, see snnforge.hwsim.GENERATOR_ARTEFACT_RULES)."""
import pytest

from snnforge.hdl.registry import load_units
from snnforge.hwsim import emit_verilog, lint

UNITS = sorted(load_units())


def test_every_family_is_registered():
    prefixes = {name.split("_")[0] for name in UNITS}
    assert {"ssnn", "spikegrad", "spike", "signed", "smoke"} <= prefixes


@pytest.mark.hw
@pytest.mark.parametrize("name", UNITS)
def test_unit_lints_clean_at_defaults(name):
    unit = load_units()[name]
    lint(emit_verilog(unit.build(), name=name), top=name)
