"""``snnforge demo --algo spikegrad``: SpikeGrad end to end on a small on-chip network, offline.

1. golden model: the bit-true SpikeGrad network (196-32-10 on 14x14 digits, the hardware
   formats with the on-chip fixed-point loss, per-sample updates) trains on ``--dataset`` (one
   digit at a time, in order);
2. RTL: the network top (:class:`snnforge.hdl.spikegrad.network.SpikeGradNetwork`) is generated
   from the same configuration and initial weights and linted (Verilator -Wall);
3. on-chip training in simulation: the top on Verilator, through the transaction-level harness
   (:mod:`snnforge.sim.fast_spikegrad`), trains on step 1's whole digit stream (or the first
   ``--chip-digits``); every output total, hidden count and error count of every digit and
   every final weight and bias are checked against the golden model; then it classifies the
   held-out digits (``--chip-eval``) and its classes are compared with the golden model's.
   ``--cocotb-digits N`` also runs the per-cycle cocotb testbench (random host gaps and
   backpressure) on the first N digits.

Writes ``report.json``, the Verilog and ``training_curve.png`` (the golden model's test
accuracy per epoch and the chip's held-out accuracy, with the golden model's on the same
digits) into ``--out``.
"""
from __future__ import annotations

import time
from pathlib import Path

HIDDEN = "32"
SIDE = 14


def _say(step: str, text: str) -> None:
    print(f"[{step}] {text}", flush=True)


def demo_config():
    """The demo network: 196-32-10 at the registered hardware formats (batch 1), the output
    error computed on chip (``loss="fixed"``): the chip trains without a host in the loop."""
    from snnforge.hdl.spikegrad.registration import network_config

    return network_config(hidden=HIDDEN, inputs=SIDE * SIDE, loss="fixed")


def _initial(config):
    from snnforge.hdl.spikegrad.network import SpikeGradNetwork
    from snnforge.hdl.spikegrad.registration import network_gains

    return SpikeGradNetwork(config, seed=0, **network_gains(config))


def _data(dataset: str):
    import numpy as np

    from snnforge.golden_model.data import downsample, load_dataset

    train, test = load_dataset(dataset, "train"), load_dataset(dataset, "test")
    x = downsample(train.images, size=SIDE).reshape(len(train.labels), -1)
    xt = downsample(test.images, size=SIDE).reshape(len(test.labels), -1)
    return x, train.labels.astype(np.int64), xt, test.labels.astype(np.int64)


def golden_step(args, config, net, data) -> dict:
    import numpy as np

    from snnforge.golden_model.spikegrad.ann_equivalent import predict
    from snnforge.golden_model.spikegrad.units import input_counts
    from snnforge.sim.spikegrad_network_reference import GoldenNetwork
    from snnforge.runs import progress

    x, y, xt, yt = data
    sizes = "-".join(str(s) for s in config.sizes)
    _say("1/3 golden", f"bit-true SpikeGrad {sizes} ({SIDE}x{SIDE} digits), theta 2^"
         f"{config.theta.bit_length() - 1}, {config.weight_bits}-bit weights, per-sample updates, "
         f"on {len(y)} {args.dataset} digits, {args.epochs} epochs")
    gold = GoldenNetwork(config, net.init_weights, net.init_biases)
    t0, curve = time.perf_counter(), []
    for epoch in range(args.epochs):
        for i in progress(range(len(y)), desc=f"epoch {epoch + 1}", unit="digit"):
            gold.sample(x[i], int(y[i]))
        counts = input_counts(xt, input_bits=config.input_bits)
        acc = float(np.mean(predict(gold.W, gold.b, counts, config) == yt))
        curve.append(acc)
    seconds = time.perf_counter() - t0
    _say("1/3 golden", f"test accuracy {100 * curve[-1]:.1f} % after {args.epochs} epochs  "
         f"[{seconds:.1f} s]")
    return {"test_accuracy": curve[-1], "curve": curve, "seconds": seconds,
            "n_train": len(y), "n_test": len(yt)}


def hardware_step(args, config, net, data, out: Path) -> dict:
    import numpy as np

    from snnforge.hdl.spikegrad.registration import network_gains
    from snnforge.hwsim import emit_verilog, lint
    from snnforge.runs import progress
    from snnforge.sim import fast_spikegrad
    from snnforge.sim.spikegrad_network import TOP, run_spikegrad_network_tb

    x, y, xt, yt = data
    t0 = time.perf_counter()
    verilog = emit_verilog(net, name=TOP)
    lint(verilog, top=TOP)
    path = out / "spikegrad_network.v"
    path.write_text(verilog)
    _say("2/3 rtl", f"network top generated from the same config and linted clean with Verilator "
         f"-Wall -> {path} ({len(verilog.splitlines())} lines)  [{time.perf_counter() - t0:.1f} s]")
    stream = np.concatenate([np.arange(len(y))] * args.epochs)
    n = len(stream) if args.chip_digits is None else min(args.chip_digits, len(stream))
    order = stream[:n]
    n_eval = len(yt) if args.chip_eval is None else min(args.chip_eval, len(yt))
    _say("3/3 chip", f"Verilator, transaction level: on-chip training on {n} digits of step 1's "
         f"stream, then {n_eval} held-out digits; every total, count, error count and weight "
         "checked against the golden model (the first run builds the simulator)")
    t0 = time.perf_counter()
    chip = fast_spikegrad.run(net, x[order], y[order], x_eval=xt[:n_eval], y_eval=yt[:n_eval],
                              verilog=verilog,
                              progress=lambda it: progress(it, desc="chip", unit="digit"))
    chip.pop("cycles_per_training_sample")
    chip["seconds"] = time.perf_counter() - t0
    chip["golden_accuracy"] = float(np.mean(np.array(chip["golden_eval_classes"])
                                            == yt[:n_eval]))
    chip["bit_identical"] = chip["eval_classes"] == chip["golden_eval_classes"]
    _say("3/3 chip", f"bit-identical: {chip['n_train']} training digits ({chip['trace_records']} "
         f"counts and error counts), all {chip['words_compared']} weights and biases "
         f"({chip['weights_changed']} changed by learning), {n_eval} held-out classes; "
         f"held-out accuracy on chip {100 * chip['chip_accuracy']:.1f} % = golden "
         f"{100 * chip['golden_accuracy']:.1f} %; {chip['mean_cycles_per_training_sample']:.0f} "
         f"cycles per training digit, {chip['mean_cycles_per_eval_sample']:.0f} per held-out "
         f"digit; simulation {chip.get('simulated_cycles_per_cpu_second', 0) / 1e6:.2f} M cycles "
         f"per CPU-second  [{chip['seconds']:.1f} s]")
    if not chip["bit_identical"]:
        from snnforge.errors import SnnforgeError
        raise SnnforgeError("the chip's held-out classes differ from the golden model's")
    if args.cocotb_digits:
        t0 = time.perf_counter()
        k = min(args.cocotb_digits, n)
        per_cycle = run_spikegrad_network_tb(config, x=x[order[:k]], y=y[order[:k]],
                                             init_seed=0, verilog=verilog, waves=args.waves,
                                             **network_gains(config))
        per_cycle["seconds"] = time.perf_counter() - t0
        _say("3/3 chip", f"cocotb, per cycle with random host gaps and backpressure: "
             f"{per_cycle['digits']} digits and all weights bit-identical; "
             f"{per_cycle['mean_cycles_per_digit']:.0f} cycles per training digit with stalls  "
             f"[{per_cycle['seconds']:.1f} s]")
        per_cycle.pop("cycles_per_digit")
        chip["cocotb"] = per_cycle
    return chip


def run_spikegrad(args, out: Path) -> dict:
    """Steps 1-3; returns the report."""
    from snnforge.training.plots import demo_training_curve
    from snnforge.errors import ToolchainError

    config = demo_config()
    net = _initial(config)
    data = _data(args.dataset)
    report = {"command": "snnforge demo --algo spikegrad", "algo": "spikegrad",
              "config": config.to_dict()}
    report["golden"] = golden_step(args, config, net, data)
    if not args.no_hw:
        try:
            report["chip"] = hardware_step(args, config, net, data, out)
        except ToolchainError as exc:
            raise ToolchainError(f"{exc}\n  run `snnforge doctor` to see what is missing, or "
                                 "`snnforge demo --algo spikegrad --no-hw` for the golden model "
                                 "alone") from None
    demo_training_curve(
        out, title=f"{args.dataset} {'-'.join(str(s) for s in config.sizes)} SpikeGrad",
        curve={"epoch": list(range(1, args.epochs + 1)),
               "test_accuracy": report["golden"]["curve"]},
        series={"golden bit-true": "test_accuracy"}, golden=report["golden"],
        chip=report.get("chip"), chip_key="chip_accuracy", golden_key="golden_accuracy")
    return report
