"""The mapped top-level folders (``golden_model/``, ``hdl/``, ``boards/``) are parts of the one
package ``snnforge``; imported under any other name (``import golden_model`` with the repository
root on ``sys.path``) their classes would be a second, distinct copy, so that import fails at once.
"""


def require_package_name(name: str, folder: str) -> None:
    """Raise ImportError unless module ``name`` is ``snnforge.<folder>``."""
    if name != f"snnforge.{folder}":
        raise ImportError(f"import snnforge.{folder}, not {name}: the folder {folder}/ is part of "
                          "the installed package snnforge (pip install -e . in a checkout)")
