"""Amaranth components of the hardware units and network tops.

This folder is installed as ``snnforge.hdl``; imported under any other name (for example
``import hdl`` with the repository root on ``sys.path``) its classes would be a second,
distinct copy, so that import fails at once.
"""
if __name__ != "snnforge.hdl":
    raise ImportError(f"import snnforge.hdl, not {__name__}: the folder hdl/ is "
                      "part of the installed package snnforge (pip install -e . in a "
                      "checkout)")
