"""``snnforge demo``: the end-to-end path on a built-in default, offline.

1. golden model: the bit-true SSNN-BP network that fits on chip (64-16-10 on 8x8 digits, T = 8,
   8-bit weights) trains on the committed MNIST sample, with the same-architecture ANN beside it;
2. RTL: the network top is generated from the same configuration and linted (Verilator -Wall);
3. on-chip training in simulation: cocotb + Verilator run the network top on the first digits and
   check every step's spikes, every weight and the held-out winners against the golden model,
   bit for bit; cycles per training sample and simulation speed are measured.

Steps 2 and 3 are :meth:`snnforge.SSNN.to_verilog` and :meth:`snnforge.SSNN.simulate`.

Writes ``report.json``, the Verilog and its manifest, and a learning-curve plot into ``--out``.
"""
from __future__ import annotations

import time
from pathlib import Path

from snnforge.errors import SnnforgeError, ToolchainError


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="end-to-end demo: golden model, Verilog, on-chip training "
                                           "in simulation checked bit for bit",
                              description=__doc__.strip().splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("runs/demo"), help="output folder (default: %(default)s)")
    p.add_argument("--dataset", default="mnist-sample",
                   help="dataset for both steps (default: %(default)s, committed in the repo)")
    p.add_argument("--epochs", type=int, default=10, help="golden-model epochs (default: %(default)s)")
    p.add_argument("--chip-train", type=int, default=200,
                   help="digits trained on the simulated chip (default: %(default)s)")
    p.add_argument("--chip-eval", type=int, default=100,
                   help="held-out digits evaluated on the simulated chip (default: %(default)s)")
    p.add_argument("--no-hw", action="store_true", help="golden model only (no Verilator)")
    p.add_argument("--waves", action="store_true", help="dump a waveform of the chip simulation")
    p.set_defaults(func=run)


def _say(step: str, text: str) -> None:
    print(f"[{step}] {text}", flush=True)


def _golden(args, config, out: Path) -> dict:
    import numpy as np

    from snnforge.golden_model.data import downsample, load_dataset
    from snnforge.golden_model.ssnn_bp.train import Dataset, train_with_baseline
    from snnforge.runs import RunDir, plot_lines, progress

    train = load_dataset(args.dataset, "train")
    test = load_dataset(args.dataset, "test")
    side = int(round(config.n_in ** 0.5))
    data = Dataset(x_train=downsample(train.images, size=side).reshape(len(train.labels), -1),
                   y_train=train.labels.astype(np.int64),
                   x_test=downsample(test.images, size=side).reshape(len(test.labels), -1),
                   y_test=test.labels.astype(np.int64))
    _say("1/3 golden", f"bit-true SSNN-BP {config.n_in}-{config.n_hidden}-{config.n_out}, T={config.T}, "
         f"{config.weight_bits}-bit weights, on {len(data.y_train)} {args.dataset} digits "
         f"({side}x{side}), {args.epochs} epochs; ANN of the same shape beside it")
    run = RunDir(out / "golden", config={"ssnn": config.to_dict(), "epochs": args.epochs,
                                         "dataset": args.dataset}, command="snnforge demo")
    t0 = time.perf_counter()
    final = train_with_baseline(model="bittrue", config=config, data=data, epochs=args.epochs,
                                ann_lr=0.02, run=run, progress=lambda **kw: progress(**kw))
    seconds = time.perf_counter() - t0
    epochs = run.report["epochs"]
    plot_lines(out / "learning_curve.png",
               {"SSNN-BP bit-true (votes)": ([e["epoch"] for e in epochs],
                                             [e["test_accuracy_votes"] for e in epochs]),
                "ANN, same shape": ([e["epoch"] for e in epochs],
                                    [e["ann_test_accuracy"] for e in epochs])},
               title=f"{args.dataset} {config.n_in}-{config.n_hidden}-{config.n_out}, T={config.T}",
               xlabel="epoch", ylabel="test accuracy")
    last = epochs[-1]
    result = {"test_accuracy_votes": last["test_accuracy_votes"],
              "test_accuracy_sum_z": last.get("test_accuracy_sum_z"),
              "ann_test_accuracy": last["ann_test_accuracy"], "seconds": seconds,
              "n_train": len(data.y_train), "n_test": len(data.y_test),
              "per_sample_event_counts": final["per_sample"]}
    _say("1/3 golden", f"test accuracy {100 * result['test_accuracy_votes']:.1f} % (WTA votes over T), "
         f"{100 * result['test_accuracy_sum_z']:.1f} % (noise-free sum of z); "
         f"ANN {100 * result['ann_test_accuracy']:.1f} %  [{seconds:.1f} s]")
    return result


def _hardware(args, config, out: Path) -> dict:
    from snnforge.api import SSNN

    net = SSNN(config)  # the chip starts from the configuration's initial weights
    t0 = time.perf_counter()
    path = net.to_verilog(out, lint=True)
    lines = len(path.read_text().splitlines())
    _say("2/3 rtl", f"network top generated from the same config and linted clean with Verilator -Wall "
         f"-> {path} ({lines} lines)  [{time.perf_counter() - t0:.1f} s]")
    _say("3/3 chip", f"cocotb + Verilator: on-chip training on {args.chip_train} digits, every step's "
         f"spikes and every weight checked against the golden model, then {args.chip_eval} held-out digits "
         "(first run builds the simulator: about 2-4 minutes; later runs reuse the cache)")
    t0 = time.perf_counter()
    chip = net.simulate(args.dataset, n=args.chip_train, n_eval=args.chip_eval, waves=args.waves)
    chip["seconds"] = time.perf_counter() - t0
    _say("3/3 chip", f"bit-identical: {chip['train_steps_checked']} training steps, all weights "
         f"({chip['weights_changed']} changed by learning); held-out accuracy on chip "
         f"{100 * chip['chip_accuracy_votes']:.1f} % = golden {100 * chip['golden_accuracy_votes']:.1f} %; "
         f"{chip['cycles_per_training_sample_with_backpressure']:.0f} cycles per training sample "
         f"(with random host stalls); simulation {chip['simulated_cycles_per_second']:.0f} cycles/s  "
         f"[{chip['seconds']:.1f} s]")
    return chip


def run(args) -> int:
    from snnforge.hdl.ssnn_bp.network import small_network_config
    from snnforge.runs import write_json

    for name in ("epochs", "chip_train", "chip_eval"):
        if getattr(args, name) < 1:
            raise SnnforgeError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    config = small_network_config()
    report = {"command": "snnforge demo", "config": config.to_dict()}
    t0 = time.perf_counter()
    report["golden"] = _golden(args, config, out)
    if not args.no_hw:
        try:
            report["chip"] = _hardware(args, config, out)
        except ToolchainError as exc:
            raise ToolchainError(f"{exc}\n  run `snnforge doctor` to see what is missing, "
                                 "or `snnforge demo --no-hw` for the golden model alone") from None
    report["seconds"] = time.perf_counter() - t0
    write_json(out / "report.json", report)
    print(f"demo done in {report['seconds']:.0f} s: report {out / 'report.json'}, "
          f"plot {out / 'learning_curve.png'}")
    return 0
