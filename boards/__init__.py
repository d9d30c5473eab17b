"""Board tops and bitstream builds (amaranth-boards platforms, yowasp tools).

``build_board(board, unit=...)`` builds any registered unit inside a generic harness
(:mod:`snnforge.boards.harness`) for the iCEBreaker (iCE40UP5K) or the ULX3S-85F (ECP5).
"""
from snnforge.boards.build import BOARDS, build_board

__all__ = ["BOARDS", "build_board"]
