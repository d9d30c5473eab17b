"""Board tops and bitstream builds (amaranth-boards platforms, yowasp tools).

``build_board(board, unit=...)`` builds any registered unit inside a generic harness
(:mod:`snnforge.boards.harness`) for the iCEBreaker (iCE40UP5K) or the ULX3S-85F (ECP5).
Installed as ``snnforge.boards``; imported under any other name (``import boards``) it fails at
once rather than load a second, distinct copy of its classes.
"""
from snnforge._layout import require_package_name

require_package_name(__name__, "boards")

from snnforge.boards.build import BOARDS, build_board

__all__ = ["BOARDS", "build_board"]
