"""SpikeGrad: ANN-equivalent route vs explicit event simulation on the same training work.

A 784-H-10 bit-true network is first trained briefly on MNIST (so spike counts are realistic),
then the same ``--samples`` training samples go through one training step each (forward,
backward, weight update; batch 1, so the weights are updated after every sample) by both
routes. The routes must end with identical weights; the JSON gives both times, the speed
ratio, spikes per sample, and the bit-true training throughput (samples/s) of the
ANN-equivalent route at ``--batch``. Times are CPU seconds of this process
(``time.process_time``; the machine is shared, so wall time would measure the neighbours);
wall seconds are recorded beside them.

    python benchmarks/spikegrad_speed.py --hidden 800 --samples 20
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from snnforge.golden_model.data import load_dataset
from snnforge.golden_model.spikegrad import ann_equivalent, event_sim
from snnforge.golden_model.spikegrad.config import SpikeGradConfig
from snnforge.golden_model.spikegrad.train import SpikeGradNet
from snnforge.runs import write_json

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--hidden", type=int, default=800)
    parser.add_argument("--pretrain", type=int, default=5000, help="samples of warm-up training")
    parser.add_argument("--samples", type=int, default=20, help="samples timed in both routes")
    parser.add_argument("--throughput-samples", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "spikegrad_speed.json")
    args = parser.parse_args(argv)

    train = load_dataset(args.dataset, "train", limit=max(args.pretrain, args.throughput_samples,
                                                          args.samples))
    x = train.images.reshape(len(train.images), -1)
    y = np.asarray(train.labels, dtype=np.int64)
    cfg = SpikeGradConfig(sizes=(784, args.hidden, 10), gradient_scale=4096 * 4096,
                          error_bits=14, lr_shift=(7, 15),
                          batch=args.batch).with_required_widths().validate()
    net = SpikeGradNet(cfg, seed=args.seed, output_gain=1 / 16)
    for i in range(0, args.pretrain, cfg.batch):
        net.step(x[i:i + cfg.batch], y[i:i + cfg.batch])

    one = cfg.with_required_widths(batch=1)
    xs = net.inputs(x[-args.samples:])
    ys = y[-args.samples:]
    t0, c0 = time.perf_counter(), time.process_time()
    w_e, b_e = net.W, net.b
    stats = event_sim.EventStats()
    for xi, yi in zip(xs, ys):
        w_e, b_e, res = event_sim.train_step(w_e, b_e, xi[None], yi[None], one)
        stats.add(res[0].stats)
    t_event, wall_event = time.process_time() - c0, time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    w_a, b_a = net.W, net.b
    for xi, yi in zip(xs, ys):
        w_a, b_a, _, _ = ann_equivalent.train_step(w_a, b_a, xi[None], yi[None], one)
    t_ann, wall_ann = time.process_time() - c0, time.perf_counter() - t0
    identical = all(np.array_equal(p, q) for p, q in zip(w_e + b_e, w_a + b_a))

    n_tp = args.throughput_samples
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, n_tp, cfg.batch):
        net.step(x[i:i + cfg.batch], y[i:i + cfg.batch])
    t_tp, wall_tp = time.process_time() - c0, time.perf_counter() - t0

    result = {
        "network": list(cfg.sizes), "samples": args.samples, "identical_weights": identical,
        "event_sim_cpu_seconds": t_event, "ann_equivalent_cpu_seconds": t_ann,
        "event_sim_wall_seconds": wall_event, "ann_equivalent_wall_seconds": wall_ann,
        "speed_ratio_event_over_ann": t_event / t_ann,
        "speed_ratio_event_over_ann_batched": (n_tp / t_tp) / (args.samples / t_event),
        "event_sim_samples_per_second": args.samples / t_event,
        "ann_equivalent_batch1_samples_per_second": args.samples / t_ann,
        "forward_spikes_per_sample": stats.forward_spikes / args.samples,
        "error_spikes_per_sample": stats.error_spikes / args.samples,
        "synaptic_ops_per_sample": stats.synaptic_ops / args.samples,
        "clock_steps_per_sample": stats.clock_steps / args.samples,
        "training_throughput": {"batch": cfg.batch, "samples": n_tp, "cpu_seconds": t_tp,
                                "wall_seconds": wall_tp, "samples_per_second": n_tp / t_tp},
        "command": f"python benchmarks/spikegrad_speed.py --dataset {args.dataset} --hidden "
                   f"{args.hidden} --pretrain {args.pretrain} --samples {args.samples} "
                   f"--throughput-samples {args.throughput_samples} --batch {args.batch}",
    }
    write_json(args.out, result)
    print(f"event {t_event:.2f} s, ann {t_ann:.4f} s (CPU), ratio {t_event / t_ann:.0f}x, identical="
          f"{identical}; training {n_tp / t_tp:.0f} samples/s -> {args.out}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
