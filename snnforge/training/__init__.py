"""``snnforge train``: the training front ends of the golden-model algorithms.

One module per algorithm exposes ``add_arguments(parser)`` and ``run(args) -> int``
(:mod:`.ssnn_bp`, :mod:`.spikegrad`, :mod:`.fp`, :mod:`.error_prop`); they share the resumable
train-beside-the-ANN loop (:mod:`.loop`) and one plot style and set of file names
(:mod:`.plots`). The models themselves are pure NumPy in :mod:`snnforge.golden_model`.
"""
