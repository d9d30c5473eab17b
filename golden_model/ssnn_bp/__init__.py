"""SSNN-BP (stochastic spiking back-propagation, SPEC section 1.1): float and bit-true models.

- :mod:`.config`: :class:`SSNNConfig`, the bit-true network (widths, formats, seed).
- :mod:`.units`: one integer step function per hardware unit (the RTL is tested against them).
- :mod:`.bittrue`: the bit-true network, composed of exactly those unit functions.
- :mod:`.float_model`: the float algorithm model.
- :mod:`.train`, :mod:`.cli`, :mod:`.study`: training loops, ``snnforge train --algo ssnn-bp``,
  accuracy sweeps.
"""
