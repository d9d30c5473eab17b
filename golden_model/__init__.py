"""NumPy reference models (float and bit-true), ANN baselines and datasets.

This folder is installed as ``snnforge.golden_model``; imported under any other name (for example
``import golden_model`` with the repository root on ``sys.path``) its classes would be a second,
distinct copy, so that import fails at once.
"""
from snnforge._layout import require_package_name

require_package_name(__name__, "golden_model")
