"""The Python API: train a network with the bit-true golden model, then generate, simulate and
synthesise its hardware.

::

    import snnforge

    net = snnforge.SSNN()                        # the on-chip 64-16-10 network, T = 8
    net.fit("mnist-sample", epochs=3)            # bit-true training (the golden model)
    print(net.evaluate("mnist-sample"))          # {'accuracy_votes': ..., 'accuracy_sum_z': ...}
    net.to_verilog("build/net")                  # network top with the trained weights
    print(net.simulate("mnist-sample", n=8))     # RTL on Verilator == golden model, bit for bit

Data is a dataset name (:func:`load_data`: ``mnist-sample`` is committed and offline) or a pair
``(x, y)``: uint8 pixels 0..255 of shape (N, n_in) (or (N, side, side)) and integer labels.
:class:`SpikeGrad` offers the same training, evaluation and checkpoint calls; it has no network
top yet, so its hardware calls raise :class:`SnnforgeError`.
"""
from snnforge.api.data import load_data
from snnforge.api.spikegrad import SpikeGrad
from snnforge.api.ssnn_bp import SSNN

__all__ = ["load_data", "SSNN", "SpikeGrad"]
