"""``snnforge.SpikeGrad``: the SpikeGrad network (integer IF neurons, ANN-equivalent training)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from snnforge.api.data import _check_epochs, _trained_run, _xy
from snnforge.errors import ConfigError, SnnforgeError

__all__ = ["SpikeGrad"]

_NO_TOP = ("SpikeGrad has no network top yet: only its units have RTL (see `snnforge generate "
           "--list`, units spikegrad_*); use snnforge.SSNN for a network that trains on chip")


class SpikeGrad:
    """A SpikeGrad MLP of ternary integrate-and-fire neurons, trained bit-true with the
    ANN-equivalent integer computation (identical integers to the event-driven simulation).

    ``config``: a :class:`~snnforge.golden_model.spikegrad.config.SpikeGradConfig` (default:
    :func:`~snnforge.golden_model.spikegrad.config.training_config` of ``sizes``: threshold
    2**18, 22-bit weights, 8-bit inputs, 10-bit spike counts, 18-bit errors, batch 32).
    ``sizes``: layer widths, input first (default 64-32-10, for 8x8 images). ``seed``: initial
    weights and epoch order. ``mode``: ``"bit-true"`` (int64 weights in units of the membrane
    potential V) or ``"float"``. ``input_gain``/``output_gain``/``hidden_bias``: the
    initialisation of ``snnforge train --algo spikegrad`` (default: the same).
    """

    algo = "spikegrad"

    def __init__(self, config=None, *, sizes=(64, 32, 10), seed: int = 0,
                 mode: str = "bit-true", input_gain: float | None = None,
                 output_gain: float | None = None, hidden_bias: float = 0.0,
                 weights=None, biases=None):
        from snnforge.golden_model.spikegrad.config import (TRAINING_INPUT_GAIN, SpikeGradConfig,
                                                           count_scale, training_config)
        from snnforge.golden_model.spikegrad.train import SpikeGradNet

        if config is None:
            config = training_config(tuple(sizes))
        if not isinstance(config, SpikeGradConfig):
            raise ConfigError(f"config must be a SpikeGradConfig, got {type(config).__name__}")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
        input_gain = TRAINING_INPUT_GAIN if input_gain is None else float(input_gain)
        if output_gain is None:
            output_gain = 1.0 / count_scale(input_bits=config.input_bits, input_gain=input_gain)
        self.config = config
        self.seed = seed
        self.init = {"mode": mode, "input_gain": input_gain, "output_gain": float(output_gain),
                     "hidden_bias": float(hidden_bias)}
        self.golden = SpikeGradNet(config, seed=seed, weights=weights, biases=biases,
                                   **self.init)
        self.epochs_done = 0

    @property
    def weights(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """(W, b): per layer the weights (out, in) and biases (out,) in V units."""
        return self.golden.W, self.golden.b

    def fit(self, train, *, epochs: int = 1, limit: int | None = None,
            progress: bool = False) -> list[dict]:
        """Train ``epochs`` epochs of mini-batches of ``config.batch`` on ``train`` (a dataset
        name or (x, y)) in the order of ``snnforge train --algo spikegrad`` (epoch e:
        ``default_rng([seed, e]).permutation(N)``). Returns one dict per epoch with the
        ``train_accuracy`` after it."""
        from snnforge.runs import progress as bar_factory
        from snnforge.training.spikegrad_run import train_epoch

        _check_epochs(epochs)
        x, y = _xy(train, "train", self.config.sizes[0], limit)
        history = []
        for _ in range(epochs):
            bar = (bar_factory(total=len(y), desc=f"spikegrad epoch {self.epochs_done + 1}")
                   if progress else None)
            train_epoch(self.golden, x, y, seed=self.seed, epoch=self.epochs_done, bar=bar)
            if bar is not None:
                bar.close()
            self.epochs_done += 1
            history.append({"epoch": self.epochs_done,
                            "train_accuracy": self.golden.accuracy(x, y)})
        return history

    def evaluate(self, test, *, limit: int | None = None) -> dict[str, float]:
        """``{"accuracy": ...}``: fraction of ``test`` whose largest output total is the label."""
        x, y = _xy(test, "test", self.config.sizes[0], limit)
        return {"accuracy": self.golden.accuracy(x, y)}

    def predict(self, x) -> np.ndarray:
        """Predicted classes (N,) of uint8 pixels ``x`` (N, sizes[0]): argmax of the output
        totals (ties: the lowest index)."""
        x, _ = _xy((x, np.zeros(len(x), np.int64)), "test", self.config.sizes[0])
        return self.golden.logits(x).argmax(axis=1)

    def save(self, path) -> Path:
        """Write configuration, weights, biases and epochs trained to ``path`` (an .npz file,
        written atomically) in the checkpoint format of ``snnforge train --algo spikegrad``
        (docs/checkpoints.md); :meth:`load` reads it back."""
        from snnforge.checkpoints import save_checkpoint

        arrays = {f"sg_W{l}": w for l, w in enumerate(self.golden.W)}
        arrays.update({f"sg_b{l}": b for l, b in enumerate(self.golden.b)})
        save_checkpoint(path, arrays, {"algo": self.algo, "mode": self.init["mode"],
                                       "network": self.config.to_dict(),
                                       "epoch": self.epochs_done, "seed": self.seed,
                                       "init": self.init})
        return Path(path)

    @classmethod
    def load(cls, path) -> "SpikeGrad":
        """The network in ``path``: a file written by :meth:`save`, or the ``--out`` folder of a
        ``snnforge train --algo spikegrad`` run (its last checkpoint)."""
        from snnforge.trained import spikegrad_config, spikegrad_parameters

        run = _trained_run(path, algo=cls.algo, option="SpikeGrad.load")
        weights, biases = spikegrad_parameters(run)
        init = dict(run.meta.get("init") or {"mode": run.meta.get("mode", "bit-true")})
        net = cls(spikegrad_config(run), seed=int(run.meta.get("seed", 0)), **init,
                  weights=weights, biases=biases)
        net.epochs_done = int(run.meta.get("epoch", 0))
        return net

    # ---------------------------------------------------------------------- hardware
    def verilog(self) -> str:
        """Not available: SpikeGrad has no network top yet (raises SnnforgeError)."""
        raise SnnforgeError(_NO_TOP)

    def to_verilog(self, out, *, lint: bool = True) -> Path:
        """Not available: SpikeGrad has no network top yet (raises SnnforgeError)."""
        raise SnnforgeError(_NO_TOP)

    def simulate(self, samples, **kwargs) -> dict:
        """Not available: SpikeGrad has no network top yet (raises SnnforgeError)."""
        raise SnnforgeError(_NO_TOP)

    def synth(self, *, target: str = "ice40-up5k", pnr: bool = False, work_dir=None) -> dict:
        """Not available: SpikeGrad has no network top yet (raises SnnforgeError)."""
        raise SnnforgeError(_NO_TOP)
