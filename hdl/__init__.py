"""Amaranth components of the hardware units and network tops.

This folder is installed as ``snnforge.hdl``; imported under any other name (for example
``import hdl`` with the repository root on ``sys.path``) its classes would be a second,
distinct copy, so that import fails at once.
"""
from snnforge._layout import require_package_name

require_package_name(__name__, "hdl")
