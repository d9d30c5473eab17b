"""NumPy reference models (float and bit-true), ANN baselines and datasets.

This folder is installed as ``snnforge.golden_model``; imported under any other name (for example
``import golden_model`` with the repository root on ``sys.path``) its classes would be a second,
distinct copy, so that import fails at once.
"""
if __name__ != "snnforge.golden_model":
    raise ImportError(f"import snnforge.golden_model, not {__name__}: the folder golden_model/ is "
                      "part of the installed package snnforge (pip install -e . in a "
                      "checkout)")
