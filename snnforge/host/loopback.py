"""The network object behind the golden protocol engine for host-side runs: a
:class:`BitTrueSSNN` that trains and evaluates one sample per call, keyed exactly as
``BitTrueSSNN.train`` / ``evaluate`` key theirs, so a run through the link is bit-identical to
the golden model's (see :class:`~snnforge.host.transport.LoopbackEngineTransport`)."""
from __future__ import annotations

import numpy as np

from snnforge.golden_model.ssnn_bp import units
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.prediction import sample_prediction

__all__ = ["BitTrueNetwork", "default_buffer_bytes"]


def default_buffer_bytes(config) -> int:
    """The gateware's default frame buffer for ``config``'s sizes (every request fits)."""
    from snnforge.hdl.host_link.sizes import LinkSizes, min_buffer_bytes
    return min_buffer_bytes(LinkSizes(n_in=config.n_in, n_hidden=config.n_hidden,
                                      n_out=config.n_out, weight_bits=config.weight_bits))


class BitTrueNetwork:
    """``sample / read / write / reset`` of :class:`~snnforge.host.engine.ProtocolEngineModel`
    on a :class:`BitTrueSSNN` (``model``, default a fresh one for ``config``).

    ``sample(pixels, label=, learn=, key=)`` runs the T steps of one sample with sample key
    ``key`` (training: ``train_step`` per step, exactly ``BitTrueSSNN.train``'s loop; evaluation:
    the ``EVAL_*`` draws of ``BitTrueSSNN.evaluate``) and returns :func:`sample_prediction` of
    the step winners; ``last_winners`` keeps those winners.
    """

    def __init__(self, config, *, model: BitTrueSSNN | None = None):
        self.config = config
        self.model = model if model is not None else BitTrueSSNN(config)
        self.last_winners: list[int] = []

    def sample(self, pixels, *, label: int, learn: bool, key: int) -> int:
        c, m = self.config, self.model
        x = np.asarray(pixels, dtype=np.uint8).reshape(1, 1, c.n_in)
        draws = m.draws_for_samples(np.array([key]), training=bool(learn))
        spikes = units.encode_input(x, draws["input"])[0]          # (T, n_in)
        winners = []
        if learn:
            for t in range(c.T):
                cnt = m.train_step(spikes[t], int(label), sample=int(key), step=t,
                                   r_hidden=draws["hidden"][0, t], r_wta=draws["wta"][0, t],
                                   r_grad=draws["grad"][0, t])
                winners.append(int(cnt["winner"]))
        else:
            u = units.synaptic_accumulate(m.W1, spikes)
            h, _ = units.neuron_forward(u, draws["hidden"][0], frac_bits=c.weight_frac_bits,
                                        slope_log2=c.hidden_slope_log2)
            z = units.synaptic_accumulate(m.W2, h)
            winners = units.wta(z, draws["wta"][0], m.table,
                                index_bits=c.gumbel_index_bits).astype(int).tolist()
        self.last_winners = winners
        return sample_prediction(winners, c.n_out)

    def _matrix(self, layer: int) -> np.ndarray:
        return self.model.W1 if layer == 0 else self.model.W2

    def read(self, layer: int, row: int) -> list[int]:
        return self._matrix(layer)[row].astype(int).tolist()

    def write(self, layer: int, row: int, weights) -> None:
        w = self._matrix(layer)
        w[row] = np.asarray(weights, dtype=np.int64)[:w.shape[1]]

    def reset(self) -> None:
        """RESET clears the board's counters; the network keeps its weights."""
        self.last_winners = []
