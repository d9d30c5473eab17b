"""``snnforge nir``: export trained networks to NIR graphs and import NIR graphs as weights.

``snnforge nir export --from-run runs/x --out net.nir`` writes the NIR graph of a trained
SpikeGrad or SSNN-BP run; ``snnforge nir import net.nir --out runs/y`` turns a NIR graph of a
feed-forward IF network into a SpikeGrad run folder whose checkpoint holds the imported weights
(train on from it with ``snnforge train --algo spikegrad --init-from runs/y``);
``snnforge nir info net.nir`` lists a graph's nodes. The mapping: docs/nir.md.
"""
from __future__ import annotations

from pathlib import Path

from snnforge.errors import ConfigError


def register(subparsers) -> None:
    parser = subparsers.add_parser("nir", help="export to / import from NIR graphs (docs/nir.md)",
                                   description=__doc__.strip().splitlines()[0])
    sub = parser.add_subparsers(dest="nir_command", metavar="ACTION")
    exp = sub.add_parser("export", help="write the NIR graph of a trained run")
    exp.add_argument("--from-run", type=Path, required=True, metavar="RUN",
                     help="run folder of `snnforge train --algo spikegrad` or `--algo ssnn-bp`")
    exp.add_argument("--out", type=Path, required=True, help="NIR file to write (e.g. net.nir)")
    imp = sub.add_parser("import", help="a NIR graph of a feed-forward IF network as the "
                                        "weights of a SpikeGrad run folder")
    imp.add_argument("graph", type=Path, help="NIR file")
    imp.add_argument("--out", type=Path, required=True, metavar="RUN",
                     help="run folder to create (report.json + checkpoint.npz)")
    imp.add_argument("--overwrite", action="store_true",
                     help="replace the run already in --out (default: refuse)")
    info = sub.add_parser("info", help="list the nodes and metadata of a NIR graph")
    info.add_argument("graph", type=Path, help="NIR file")
    parser.set_defaults(func=run)


def run(args) -> int:
    action = getattr(args, "nir_command", None)
    if action == "export":
        return _export(args)
    if action == "import":
        return _import(args)
    if action == "info":
        return _info(args)
    raise ConfigError("name an action: `snnforge nir export`, `snnforge nir import` or "
                      "`snnforge nir info` (see `snnforge nir --help`)")


def _export(args) -> int:
    from snnforge import nirgraph, trained
    from snnforge.checkpoints import load_checkpoint
    from snnforge.runs import prepare_out_file

    prepare_out_file(args.out)
    checkpoint = args.from_run / "checkpoint.npz"
    if not checkpoint.is_file():
        raise ConfigError(f"--from-run {args.from_run}: no checkpoint.npz in it; give the --out "
                          f"folder of a `snnforge train --algo spikegrad` or `--algo ssnn-bp` run")
    algo = load_checkpoint(checkpoint)[1].get("algo")
    if algo not in trained.TRAIN_COMMANDS:
        raise ConfigError(f"--from-run {args.from_run}: a run of algorithm {algo!r}; NIR export "
                          f"takes spikegrad and ssnn-bp runs")
    run_ = trained.load_run(args.from_run, algo=algo)
    source = {"snnforge_run": str(args.from_run)}
    if algo == "spikegrad":
        weights, biases = trained.spikegrad_parameters(run_)
        graph = nirgraph.export_spikegrad(trained.spikegrad_config(run_), weights, biases,
                                          mode=run_.meta.get("mode", "bit-true"), metadata=source)
    else:
        config = trained.ssnn_bp_config(run_)
        graph = nirgraph.export_ssnn_bp(config, *trained.ssnn_bp_weights(run_), metadata=source)
    nirgraph.write_graph(args.out, graph)
    print(f"wrote {args.out}: {algo} network, {len(graph.nodes)} nodes "
          f"({' -> '.join(graph.nodes)})")
    return 0


def _import(args) -> int:
    from snnforge import nirgraph
    from snnforge.checkpoints import save_checkpoint
    from snnforge.runs import RunDir, prepare_out_dir

    prepare_out_dir(args.out, resume=None, overwrite=args.overwrite)
    if (args.out / "checkpoint.npz").exists() and not args.overwrite:
        raise ConfigError(f"--out {args.out} already holds a checkpoint; add --overwrite to "
                          f"replace it, or give another --out")
    net = nirgraph.import_spikegrad(nirgraph.read_graph(args.graph))
    cfg = net.config
    run_dir = RunDir(args.out, config={"algo": "spikegrad", "imported_from": str(args.graph),
                                       "exact": net.exact, "spikegrad": cfg.to_dict()},
                     command="nir import", resume=None, overwrite=args.overwrite)
    arrays = {f"sg_W{l}": w for l, w in enumerate(net.weights)}
    arrays.update({f"sg_b{l}": b for l, b in enumerate(net.biases)})
    save_checkpoint(run_dir.checkpoint_path, arrays,
                    {"algo": "spikegrad", "mode": "bit-true", "network": cfg.to_dict(),
                     "epoch": 0, "imported_from": str(args.graph)})
    hidden = ",".join(str(s) for s in cfg.sizes[1:-1])
    how = "exact integers of an snnforge graph" if net.exact else \
        f"scaled into the training formats (theta {cfg.theta}, {cfg.weight_bits}-bit weights)"
    print(f"imported {args.graph}: SpikeGrad {'-'.join(map(str, cfg.sizes))}, {how} -> "
          f"{run_dir.checkpoint_path}")
    print(f"train from it: snnforge train --algo spikegrad --hidden {hidden} --init-from {args.out}")
    return 0


def _info(args) -> int:
    from snnforge import nirgraph

    graph = nirgraph.read_graph(args.graph)
    for name, node in graph.nodes.items():
        shapes = {k: getattr(node, k).shape for k in ("weight", "r", "v_threshold", "threshold")
                  if hasattr(node, k) and getattr(node, k) is not None}
        print(f"{name}: {type(node).__name__} {shapes if shapes else ''}".rstrip())
    print("edges: " + ", ".join(f"{a} -> {b}" for a, b in graph.edges))
    for key, value in (graph.metadata or {}).items():
        print(f"{key}: {value}")
    return 0
