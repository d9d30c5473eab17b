"""``snnforge demo``: the end-to-end path on a built-in default, offline.

1. golden model: the bit-true SSNN-BP network that fits on chip (64-16-10 on 8x8 digits, T = 8,
   8-bit weights) trains on the committed MNIST sample, with the same-architecture ANN beside it;
2. RTL: the network top is generated from the same configuration and linted (Verilator -Wall);
3. on-chip training in simulation: the network top, run by Verilator through the transaction-level
   harness (:mod:`snnforge.sim.fast_network`), trains on the same digit stream as step 1 (every
   epoch, same order and sample keys) and classifies the held-out digits; every final weight,
   every held-out winner and every time step's spikes of the first ``--trace-digits`` digits are
   checked against the golden model, bit for bit; cycles per sample and simulation speed are
   measured. ``--cocotb-digits N`` (or ``--waves``) also runs the per-cycle cocotb testbench with
   random host stalls on N digits (:meth:`snnforge.SSNN.simulate`).

Step 2 is :meth:`snnforge.SSNN.to_verilog`.

Writes ``report.json``, the Verilog and its manifest, and ``training_curve.png`` (the golden
model's test accuracy per epoch, WTA votes and noise-free sum of z, the ANN beside it, and the
chip's held-out accuracy with the golden model's on the same digits) into ``--out``.
"""
from __future__ import annotations

import time
from pathlib import Path

from snnforge.errors import SnnforgeError, ToolchainError


DEFAULT_OUT = Path("runs/demo")


def default_out_dir(base: Path = DEFAULT_OUT) -> Path:
    """``base`` if it holds no run yet, else the first ``base-N`` (N = 2, 3, ...) that does not:
    a second demo never replaces the first one's results."""
    candidate, n = base, 1
    while (candidate / "report.json").exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="end-to-end demo: golden model, Verilog, on-chip training "
                                           "in simulation checked bit for bit",
                              description=__doc__.strip().splitlines()[0])
    p.add_argument("--out", type=Path, default=None,
                   help=f"output folder (default: {DEFAULT_OUT}, or the first free {DEFAULT_OUT}-N "
                        "when a demo run is already there)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the demo run already in --out (default: refuse)")
    p.add_argument("--algo", choices=("ssnn-bp", "spikegrad"), default="ssnn-bp",
                   help="the algorithm: ssnn-bp (default; the 64-16-10 SSNN-BP top) or spikegrad "
                        "(the 196-32-10 SpikeGrad top; see snnforge.commands.demo_spikegrad)")
    p.add_argument("--chip-digits", type=int, default=None,
                   help="spikegrad: training digits of step 1's stream the simulated chip trains "
                        "on (default: all of them, so the chip ends where step 1 ends)")
    p.add_argument("--dataset", default="mnist-sample",
                   help="dataset for both steps (default: %(default)s, committed in the repo)")
    p.add_argument("--epochs", type=int, default=10, help="golden-model epochs (default: %(default)s)")
    p.add_argument("--chip-epochs", type=int, default=None,
                   help="epochs the simulated chip trains over the golden model's digit stream "
                        "(default: --epochs, so the chip ends where step 1 ends)")
    p.add_argument("--chip-eval", type=int, default=None,
                   help="held-out digits classified on the simulated chip (default: the whole test split)")
    p.add_argument("--trace-digits", type=int, default=200,
                   help="training digits whose every time step's spikes are compared "
                        "(default: %(default)s)")
    p.add_argument("--cocotb-digits", type=int, default=0,
                   help="also train this many digits with the per-cycle cocotb testbench and random "
                        "host stalls (default: %(default)s; 20 with --waves)")
    p.add_argument("--no-hw", action="store_true", help="golden model only (no Verilator)")
    p.add_argument("--waves", action="store_true",
                   help="dump a waveform of the per-cycle cocotb run (implies --cocotb-digits 20)")
    p.set_defaults(func=run)


def _say(step: str, text: str) -> None:
    print(f"[{step}] {text}", flush=True)


def _golden(args, config, out: Path) -> dict:
    import numpy as np

    from snnforge.golden_model.data import downsample, load_dataset
    from snnforge.golden_model.ssnn_bp.train import TrainTestArrays
    from snnforge.training.ssnn_bp_run import train_with_baseline
    from snnforge.runs import RunDir, progress

    train = load_dataset(args.dataset, "train")
    test = load_dataset(args.dataset, "test")
    side = int(round(config.n_in ** 0.5))
    data = TrainTestArrays(x_train=downsample(train.images, size=side).reshape(len(train.labels), -1),
                   y_train=train.labels.astype(np.int64),
                   x_test=downsample(test.images, size=side).reshape(len(test.labels), -1),
                   y_test=test.labels.astype(np.int64))
    _say("1/3 golden", f"bit-true SSNN-BP {config.n_in}-{config.n_hidden}-{config.n_out}, T={config.T}, "
         f"{config.weight_bits}-bit weights, on {len(data.y_train)} {args.dataset} digits "
         f"({side}x{side}), {args.epochs} epochs; ANN of the same shape beside it")
    run = RunDir(out / "golden", config={"ssnn_bp": config.to_dict(), "epochs": args.epochs,
                                         "dataset": args.dataset}, command="snnforge demo",
                 resume=None, overwrite=True, option="--out")
    t0 = time.perf_counter()
    final = train_with_baseline(model="bittrue", config=config, data=data, epochs=args.epochs,
                                ann_lr=0.02, run=run, progress=lambda **kw: progress(**kw))
    seconds = time.perf_counter() - t0
    epochs = run.report["epochs"]
    last = epochs[-1]
    curve = {"epoch": [e["epoch"] for e in epochs],
             **{key: [e.get(key) for e in epochs] for key in (
                 "test_accuracy_votes", "test_accuracy_sum_z", "ann_test_accuracy")}}
    result = {"curve": curve, "test_accuracy_votes": last["test_accuracy_votes"],
              "test_accuracy_sum_z": last.get("test_accuracy_sum_z"),
              "ann_test_accuracy": last["ann_test_accuracy"], "seconds": seconds,
              "n_train": len(data.y_train), "n_test": len(data.y_test),
              "per_sample_event_counts": final["per_sample"], "data": data}
    _say("1/3 golden", f"test accuracy {100 * result['test_accuracy_votes']:.1f} % (WTA votes over T), "
         f"{100 * result['test_accuracy_sum_z']:.1f} % (noise-free sum of z); "
         f"ANN {100 * result['ann_test_accuracy']:.1f} %  [{seconds:.1f} s]")
    return result


def _chip_stream(config, data, epochs: int):
    """The golden model's training stream: ``epochs`` passes over the digits in
    :func:`epoch_order`, with sample keys running on from ``epoch * n`` (as in step 1)."""
    import numpy as np

    from snnforge.golden_model.ssnn_bp.train import epoch_order

    n = len(data.y_train)
    orders = [epoch_order(config.seed, epoch, n) for epoch in range(epochs)]
    return (np.concatenate([data.x_train[o] for o in orders]).astype(np.uint8),
            np.concatenate([data.y_train[o] for o in orders]))


def _hardware(args, config, out: Path, data) -> dict:
    import numpy as np

    from snnforge.api import SSNN
    from snnforge.sim import fast_network

    net = SSNN(config)  # the chip starts from the configuration's initial weights
    t0 = time.perf_counter()
    path = net.to_verilog(out, lint=True)
    lines = len(path.read_text().splitlines())
    _say("2/3 rtl", f"network top generated from the same config and linted clean with Verilator -Wall "
         f"-> {path} ({lines} lines)  [{time.perf_counter() - t0:.1f} s]")

    epochs = args.epochs if args.chip_epochs is None else args.chip_epochs
    train_x, train_y = _chip_stream(config, data, epochs)
    n_eval = len(data.y_test) if args.chip_eval is None else min(args.chip_eval, len(data.y_test))
    _say("3/3 chip", f"Verilator, transaction level: on-chip training on {len(train_y)} digits "
         f"({epochs} epochs of step 1's stream), then {n_eval} held-out digits; every weight, every "
         f"held-out winner and every step's spikes of the first {min(args.trace_digits, len(train_y))} "
         "digits checked against the golden model (the first run builds the simulator: about a minute)")
    t0 = time.perf_counter()
    chip = fast_network.run(config, train_x, train_y, data.x_test[:n_eval].astype(np.uint8),
                            data.y_test[:n_eval], full_trace_samples=args.trace_digits)
    chip["seconds"] = time.perf_counter() - t0
    _say("3/3 chip", f"bit-identical: {chip['n_train']} training digits, all weights "
         f"({chip['weights_changed']} changed by learning), {chip['n_eval']} held-out winners; "
         f"held-out accuracy on chip {100 * chip['chip_accuracy_votes']:.1f} % = golden "
         f"{100 * chip['golden_accuracy_votes']:.1f} %; {chip['cycles_per_training_sample']:.0f} "
         f"cycles per training sample, {chip['cycles_per_eval_sample']:.0f} per evaluation sample; "
         f"simulation {chip['simulated_cycles_per_cpu_second'] / 1e6:.2f} M cycles per CPU-second  "
         f"[{chip['seconds']:.1f} s]")
    digits = args.cocotb_digits or (20 if args.waves else 0)
    if digits:
        t0 = time.perf_counter()
        per_cycle = net.simulate(args.dataset, n=digits, n_eval=min(digits, n_eval), waves=args.waves)
        per_cycle["seconds"] = time.perf_counter() - t0
        _say("3/3 chip", f"cocotb, per cycle with random host stalls: {per_cycle['train_steps_checked']} "
             f"training steps and all weights bit-identical; "
             f"{per_cycle['cycles_per_training_sample_with_backpressure']:.0f} cycles per training sample  "
             f"[{per_cycle['seconds']:.1f} s]")
        chip["cocotb"] = per_cycle
    return chip


def run(args) -> int:
    from snnforge.hdl.ssnn_bp.network import small_network_config
    from snnforge.runs import prepare_out_dir, write_json

    for name in ("epochs", "chip_epochs", "chip_eval"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise SnnforgeError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    for name in ("trace_digits", "cocotb_digits"):
        if getattr(args, name) < 0:
            raise SnnforgeError(f"--{name.replace('_', '-')} must be >= 0, got {getattr(args, name)}")
    if args.chip_digits is not None and args.chip_digits < 1:
        raise SnnforgeError(f"--chip-digits must be >= 1, got {args.chip_digits}")
    if args.out is None:
        args.out = DEFAULT_OUT if args.overwrite else default_out_dir()
    out = prepare_out_dir(args.out, resume=None, overwrite=args.overwrite)
    if args.algo == "spikegrad":
        return _run_spikegrad(args, out)
    config = small_network_config()
    report = {"command": "snnforge demo", "config": config.to_dict()}
    t0 = time.perf_counter()
    report["golden"] = _golden(args, config, out)
    data = report["golden"].pop("data")
    if not args.no_hw:
        try:
            report["chip"] = _hardware(args, config, out, data)
        except ToolchainError as exc:
            raise ToolchainError(f"{exc}\n  run `snnforge doctor` to see what is missing, "
                                 "or `snnforge demo --no-hw` for the golden model alone") from None
    from snnforge.training.plots import demo_training_curve

    plot = demo_training_curve(
        out, title=f"{args.dataset} {config.n_in}-{config.n_hidden}-{config.n_out}, "
        f"T={config.T}", curve=report["golden"]["curve"],
        series={"golden bit-true, WTA votes": "test_accuracy_votes",
                "golden bit-true, sum of z": "test_accuracy_sum_z",
                "ANN, same shape": "ann_test_accuracy"},
        golden=report["golden"], chip=report.get("chip"), chip_key="chip_accuracy_votes",
        golden_key="golden_accuracy_votes")
    report["seconds"] = time.perf_counter() - t0
    write_json(out / "report.json", report)
    print(f"demo done in {report['seconds']:.0f} s: report {out / 'report.json'}, "
          f"plot {plot}")
    return 0


def _run_spikegrad(args, out: Path) -> int:
    from snnforge.commands.demo_spikegrad import run_spikegrad
    from snnforge.runs import write_json

    t0 = time.perf_counter()
    report = run_spikegrad(args, out)
    report["seconds"] = time.perf_counter() - t0
    write_json(out / "report.json", report)
    print(f"demo done in {report['seconds']:.0f} s: report {out / 'report.json'}, "
          f"plot {out / 'training_curve.png'}")
    return 0
