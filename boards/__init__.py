"""Board tops and bitstream builds (amaranth-boards platforms, yowasp tools).

``build_board(board, unit=...)`` builds any registered unit inside a generic harness
(:mod:`snnforge.boards.harness`) for the iCEBreaker (iCE40UP5K) or the ULX3S-85F (ECP5).
Installed as ``snnforge.boards``; imported under any other name (``import boards``) it fails at
once rather than load a second, distinct copy of its classes.
"""
if __name__ != "snnforge.boards":
    raise ImportError(f"import snnforge.boards, not {__name__}: the folder boards/ is "
                      "part of the installed package snnforge (pip install -e . in a "
                      "checkout)")

from snnforge.boards.build import BOARDS, build_board

__all__ = ["BOARDS", "build_board"]
