"""NIR (Neuromorphic Intermediate Representation) export and import with the ``nir`` package.

- :func:`export_spikegrad`: a SpikeGrad network as a NIR graph of ``Affine`` layers, ``IF``
  neurons and an ``I`` output integrator; exact integers, scales, thresholds, reset mode and
  number formats in node parameters and metadata.
- :func:`export_ssnn_bp`: an SSNN-BP network (weights exact; the stochastic parts described in
  metadata, see docs/nir.md for what does not map).
- :func:`import_spikegrad`: a NIR graph of a feed-forward IF network as the weights of a
  SpikeGrad network.
- :func:`write_graph` / :func:`read_graph`: NIR files (HDF5) with one-line errors.

The package is named ``nirgraph`` so that ``import nir`` always finds the PyPI package.
"""
from .graph import FORMAT, FORMAT_VERSION, read_graph, write_graph
from .spikegrad import export_spikegrad, import_spikegrad
from .ssnn_bp import export_ssnn_bp

__all__ = ["FORMAT", "FORMAT_VERSION", "read_graph", "write_graph", "export_spikegrad",
           "import_spikegrad", "export_ssnn_bp"]
