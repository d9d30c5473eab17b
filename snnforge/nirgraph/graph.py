"""Shared NIR plumbing: the snnforge graph header, file I/O, and walking a feed-forward chain."""
from __future__ import annotations

from pathlib import Path

import nir

from snnforge.errors import ConfigError, SnnforgeError

__all__ = ["FORMAT", "FORMAT_VERSION", "header", "read_graph", "write_graph", "chain"]

#: graph metadata ``snnforge_format`` / ``snnforge_format_version`` of graphs snnforge writes
FORMAT = "snnforge-nir"
FORMAT_VERSION = 1


def header(algorithm: str) -> dict:
    """Graph metadata keys every exported graph starts with."""
    return {"snnforge_format": FORMAT, "snnforge_format_version": FORMAT_VERSION,
            "algorithm": algorithm}


def write_graph(path: str | Path, graph: nir.NIRGraph) -> Path:
    """Write ``graph`` to ``path`` (NIR's HDF5 file format); refuses to overwrite."""
    path = Path(path)
    if path.exists():
        raise ConfigError(f"--out {path} exists; remove it or choose another file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    nir.write(path, graph)
    return path


def read_graph(path: str | Path) -> nir.NIRGraph:
    """Read a NIR file; one-line error when it is missing or not a NIR graph."""
    path = Path(path)
    if not path.is_file():
        raise SnnforgeError(f"{path}: no such file; give a NIR file (e.g. written by "
                            f"`snnforge nir export`)")
    try:
        graph = nir.read(path)
    except Exception as exc:  # h5py/nir raise many types for a foreign or damaged file
        raise SnnforgeError(f"{path}: not a readable NIR graph ({type(exc).__name__}: "
                            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'})") from None
    if not isinstance(graph, nir.NIRGraph):
        raise SnnforgeError(f"{path}: holds a single {type(graph).__name__} node, not a graph")
    return graph


def chain(graph: nir.NIRGraph) -> list[tuple[str, nir.NIRNode]]:
    """The nodes of a feed-forward chain from its one Input to its one Output, in order.

    Raises :class:`ConfigError` for a graph that branches, merges, loops (recurrence), has
    nodes off the path, or lacks exactly one Input and one Output.
    """
    nodes = graph.nodes
    inputs = [n for n, v in nodes.items() if isinstance(v, nir.Input)]
    outputs = [n for n, v in nodes.items() if isinstance(v, nir.Output)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise ConfigError(f"the graph has {len(inputs)} Input and {len(outputs)} Output nodes; "
                          f"a feed-forward network has one of each")
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    pred: dict[str, list[str]] = {n: [] for n in nodes}
    for src, dst in graph.edges:
        for end in (src, dst):
            if end not in nodes:
                raise ConfigError(f"edge {src} -> {dst} names a node {end!r} the graph lacks")
        succ[src].append(dst)
        pred[dst].append(src)
    order, name, seen = [], inputs[0], set()
    while True:
        if name in seen:
            raise ConfigError(f"the graph loops back to node {name!r}: recurrent networks do "
                              f"not map to a feed-forward SpikeGrad network")
        seen.add(name)
        order.append((name, nodes[name]))
        if len(pred[name]) > (0 if name == inputs[0] else 1):
            raise ConfigError(f"node {name!r} has {len(pred[name])} inputs "
                              f"({', '.join(pred[name])}); a feed-forward chain has one "
                              f"(recurrent or merging graphs do not map)")
        if name == outputs[0]:
            break
        if len(succ[name]) != 1:
            raise ConfigError(f"node {name!r} feeds {len(succ[name])} nodes "
                              f"({', '.join(succ[name]) or 'none'}); a feed-forward chain "
                              f"feeds exactly one")
        name = succ[name][0]
    if succ[outputs[0]]:
        raise ConfigError(f"the Output node {outputs[0]!r} feeds {', '.join(succ[outputs[0]])}: "
                          f"recurrent networks do not map")
    off = sorted(set(nodes) - seen)
    if off:
        raise ConfigError(f"nodes {off} are not on the path from Input to Output; a "
                          f"feed-forward chain has no side branches")
    return order
