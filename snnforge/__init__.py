"""snnforge: hardware generator and golden model for on-chip spike-based learning.

The Python API (:mod:`snnforge.api`): ``snnforge.SSNN`` and ``snnforge.SpikeGrad`` train with
the bit-true golden model (``fit``/``evaluate``/``predict``/``save``/``load``); ``SSNN`` also
generates its network top (``to_verilog``), runs it on Verilator against the golden model
(``simulate``) and synthesises it (``synth``). ``snnforge.load_data`` reads a dataset.
They are imported on first use, so ``import snnforge`` stays light.
"""

__version__ = "0.1.0"

__all__ = ["SSNN", "SpikeGrad", "load_data", "__version__"]


def __getattr__(name: str):
    if name in ("SSNN", "SpikeGrad", "load_data"):
        from snnforge import api

        return getattr(api, name)
    raise AttributeError(f"module 'snnforge' has no attribute {name!r}")
