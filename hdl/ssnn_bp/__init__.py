"""SSNN-BP hardware units (Amaranth), each the RTL of one function of
:mod:`snnforge.golden_model.ssnn_bp.units`, and the on-chip training network top.

- :mod:`.random_source`: Threefry-2x32-13 block core and the lane-parallel draw source;
- :mod:`.encoder`: input encoder; :mod:`.neuron`: composite neuron (forward + gradient part);
- :mod:`.wta`: winner-take-all with a Gumbel lookup table; :mod:`.error_splitter`;
- :mod:`.weight_update`: read-modify-write coincidence updater on a weight memory;
- :mod:`.network`: the small network top that trains on chip.
"""

from . import registration  # noqa: E402,F401  (registers the units for generate / synth)
