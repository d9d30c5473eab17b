"""Link-bound samples/s of the UART host link, computed from the protocol
(snnforge.host.protocol) on real MNIST training digits: wire bytes per TRAIN frame (sparse
(index, value) pairs, SLIP escapes and framing included), per baud rate, next to a dense
784-byte digit.

    python benchmarks/host_link_rates.py [--digits 2000]

Writes benchmarks/results/host_link_rates.json.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from snnforge.golden_model.data import load_dataset
from snnforge.host import protocol as P

ROOT = Path(__file__).resolve().parents[1]
BAUDS = (115200, 921600, 3_000_000, 12_000_000)
BITS_PER_BYTE = 10   # 8N1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=2000)
    args = parser.parse_args()
    ds = load_dataset("mnist", "train", limit=args.digits)
    images = np.asarray(ds.images).reshape(len(ds.images), -1)
    labels = np.asarray(ds.labels)
    request = np.array([len(P.encode_frame(i & 0xFF, *P.sample(x, label=int(y), key=i,
                                                                learn=True)))
                        for i, (x, y) in enumerate(zip(images, labels))])
    response = len(P.slip_encode(P.frame_body(0, P.Status.OK, bytes([P.Command.TRAIN, 0]))))
    dense = 784
    rows = []
    for baud in BAUDS:
        bytes_per_s = baud / BITS_PER_BYTE
        rows.append({"baud": baud,
                     "sparse_samples_per_s_streaming": bytes_per_s / request.mean(),
                     "sparse_samples_per_s_stop_and_wait": bytes_per_s / (request.mean()
                                                                           + response),
                     "dense_784_byte_samples_per_s": bytes_per_s / dense})
    result = {"digits": len(images), "lit_fraction": float((images > 0).mean()),
              "train_frame_wire_bytes": {"mean": float(request.mean()),
                                         "min": int(request.min()), "max": int(request.max())},
              "response_wire_bytes": response, "rates": rows}
    out = ROOT / "benchmarks" / "results" / "host_link_rates.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
