"""A sample's prediction from its per-step WTA winners: the one rule the board's result
adapter (:class:`snnforge.hdl.host_link.result_adapter.SampleResultAdapter`) implements and
``BitTrueSSNN.evaluate``'s ``accuracy_votes`` reports."""
from __future__ import annotations

import numpy as np

from snnforge.errors import ConfigError

__all__ = ["sample_prediction"]


def sample_prediction(step_winners, n_out: int) -> int:
    """The class with the most WTA wins over the sample's T steps; ties go to the lowest
    class index. ``step_winners``: the T per-step winners (integers in ``0..n_out-1``)."""
    winners = np.asarray(step_winners, dtype=np.int64).reshape(-1)
    if not isinstance(n_out, (int, np.integer)) or n_out < 1:
        raise ConfigError(f"n_out must be a positive integer, got {n_out!r}")
    if winners.size == 0 or winners.min() < 0 or winners.max() >= n_out:
        raise ConfigError(f"step_winners must be 1 or more integers in 0..{n_out - 1}, "
                          f"got {winners.tolist()}")
    return int(np.bincount(winners, minlength=n_out).argmax())
