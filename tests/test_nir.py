"""NIR export and import (docs/nir.md): SpikeGrad round trips with identical integers and
identical golden-model outputs; SSNN-BP export; foreign IF graphs scaled in; clear errors."""
import json

import nir
import numpy as np
import pytest

from snnforge import nirgraph, trained
from snnforge.checkpoints import load_checkpoint
from snnforge.cli import main
from snnforge.errors import ConfigError, SnnforgeError
from snnforge.golden_model.data import load_dataset
from snnforge.golden_model.spikegrad import event_sim
from snnforge.golden_model.spikegrad.config import SpikeGradConfig, training_config
from snnforge.golden_model.spikegrad.train import SpikeGradNet
from snnforge.golden_model.spikegrad.units import input_counts

SG_BASE = ["train", "--algo", "spikegrad", "--dataset", "mnist-sample", "--train-limit", "64",
           "--test-limit", "32", "--epochs", "1", "--no-ann", "--no-plots", "--quiet"]
SG = SG_BASE + ["--hidden", "24"]


@pytest.fixture(scope="module")
def spikegrad_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sg") / "run"
    assert main(SG + ["--out", str(out)]) == 0
    return out


def _net(run):
    r = trained.load_run(run, algo="spikegrad")
    cfg = trained.spikegrad_config(r)
    w, b = trained.spikegrad_parameters(r)
    return cfg, SpikeGradNet(cfg, weights=w, biases=b)


def test_spikegrad_round_trip_through_files_and_cli(spikegrad_run, tmp_path, capsys):
    cfg, net = _net(spikegrad_run)
    graph_path, imported = tmp_path / "net.nir", tmp_path / "imported"
    assert main(["nir", "export", "--from-run", str(spikegrad_run), "--out", str(graph_path)]) == 0
    graph = nir.read(graph_path)
    assert [type(graph.nodes[n]).__name__ for n in ("fc0", "if0", "fc1", "out")] == \
        ["Affine", "IF", "Affine", "I"]
    assert graph.nodes["if0"].metadata["reset"] == "subtract"
    assert float(graph.nodes["if0"].v_threshold[0]) == cfg.theta
    capsys.readouterr()
    assert main(["nir", "info", str(graph_path)]) == 0
    info = capsys.readouterr().out
    assert "if0: IF" in info and "fc0 -> if0" in info and "snnforge_format: snnforge-nir" in info
    assert main(["nir", "import", str(graph_path), "--out", str(imported)]) == 0
    arrays, meta = load_checkpoint(imported / "checkpoint.npz")
    for l in range(cfg.n_layers):
        assert arrays[f"sg_W{l}"].dtype == np.int64
        assert np.array_equal(arrays[f"sg_W{l}"], net.W[l])
        assert np.array_equal(arrays[f"sg_b{l}"], net.b[l])
    assert meta["network"] == json.loads(json.dumps(cfg.to_dict()))
    back_cfg, back = _net(imported)
    assert back_cfg == cfg
    test = load_dataset("mnist-sample", "test", limit=50)
    x = test.images.reshape(50, -1)
    assert np.array_equal(back.logits(x), net.logits(x))
    assert (net.logits(x) != 0).any()
    # and training goes on from the imported weights
    assert main(SG + ["--out", str(tmp_path / "more"), "--init-from", str(imported)]) == 0
    capsys.readouterr()
    assert main(["nir", "import", str(graph_path), "--out", str(imported)]) == 2
    assert "already holds a run" in capsys.readouterr().err


def test_init_from_loads_the_weights_and_checks_the_network(spikegrad_run, tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(SG + ["--out", str(a), "--init-from", str(spikegrad_run)]) == 0
    assert main(SG + ["--out", str(b)]) == 0
    wa = load_checkpoint(a / "checkpoint.npz")[0]["sg_W0"]
    wb = load_checkpoint(b / "checkpoint.npz")[0]["sg_W0"]
    assert not np.array_equal(wa, wb)
    assert main(SG_BASE + ["--hidden", "16", "--out", str(tmp_path / "c"),
                           "--init-from", str(spikegrad_run)]) == 2
    err = capsys.readouterr().err
    assert "--init-from" in err and "sizes" in err and len(err.strip().splitlines()) == 1


def test_imported_integers_drive_the_event_simulation_like_the_original(tmp_path):
    """The explicit spike simulation on the imported integers gives the original network's
    ANN-equivalent output totals (a small network: the event simulation is per spike)."""
    cfg = SpikeGradConfig(sizes=(16, 6, 3), gradient_scale=4096 * 8).with_required_widths()
    net = SpikeGradNet(cfg, seed=3, hidden_bias=0.5)
    path = nirgraph.write_graph(tmp_path / "g.nir", nirgraph.export_spikegrad(cfg, net.W, net.b))
    back = nirgraph.import_spikegrad(nirgraph.read_graph(path))
    x = np.random.default_rng(4).integers(0, 256, (5, 16))
    c0 = input_counts(x, input_bits=cfg.input_bits)
    want = net.logits(x).astype(np.int64)
    for i in range(5):
        ev = event_sim.simulate_sample(back.weights, back.biases, c0[i], 0, cfg)
        assert np.array_equal(ev.output_totals, want[i])
    assert (want != 0).any()


def test_ssnn_bp_export(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--algo", "ssnn-bp", "--preset", "chip-64-16-10", "--dataset",
                 "mnist-sample", "--train-limit", "40", "--test-limit", "10", "--epochs", "1",
                 "--no-ann", "--no-plots", "--quiet", "--out", str(out)]) == 0
    assert main(["nir", "export", "--from-run", str(out), "--out", str(tmp_path / "s.nir")]) == 0
    graph = nir.read(tmp_path / "s.nir")
    w1 = load_checkpoint(out / "checkpoint.npz")[0]["W1"]
    assert np.array_equal(graph.nodes["fc1"].weight, w1[:64].T)
    assert np.array_equal(graph.nodes["fc1"].bias, w1[64])
    assert isinstance(graph.nodes["hidden"], nir.Threshold)
    assert "Gumbel" in graph.metadata["does_not_map"]
    with pytest.raises(ConfigError, match="ssnn-bp"):   # SSNN-BP graphs are not IF networks
        nirgraph.import_spikegrad(graph)


def _foreign(weights, biases, *, neuron=nir.IF, thr=1.0, last=nir.I):
    nodes = {"input": nir.Input(input_type={"input": np.array([weights[0].shape[1]])})}
    edges, prev = [], "input"
    for l, (w, b) in enumerate(zip(weights, biases)):
        nodes[f"fc{l}"] = nir.Affine(w, b)
        edges.append((prev, f"fc{l}"))
        n = len(w)
        is_last = l == len(weights) - 1
        node = (last(np.ones(n)) if last is nir.I else None) if is_last else \
            neuron(np.ones(n), np.full(n, thr), np.zeros(n)) if neuron is nir.IF else \
            neuron(np.full(n, 0.01), np.zeros(n), np.ones(n), np.full(n, thr))
        prev = f"fc{l}"
        if node is not None:
            nodes[f"n{l}"] = node
            edges.append((f"fc{l}", f"n{l}"))
            prev = f"n{l}"
    nodes["output"] = nir.Output(output_type={"output": np.array([len(weights[-1])])})
    edges.append((prev, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges)


def test_foreign_if_graph_is_scaled_into_the_training_formats():
    r = np.random.default_rng(0)
    w0, w1 = r.normal(0, 0.2, (6, 5)), r.normal(0, 0.5, (3, 6))
    b0, b1 = r.normal(0, 0.1, 6), np.zeros(3)
    got = nirgraph.import_spikegrad(_foreign([w0, w1], [b0, b1], thr=0.5))
    cfg = got.config
    assert cfg == training_config((5, 6, 3)) and not got.exact
    assert np.array_equal(got.weights[0], np.rint(w0 / 0.5 * cfg.theta / cfg.input_max))
    assert np.array_equal(got.biases[0], np.rint(b0 / 0.5 * cfg.theta))
    assert np.array_equal(got.weights[1], np.rint(w1 * cfg.theta))
    # the hidden counts are the float network's rates: floor(x . w0 / thr)
    pixels = r.integers(0, 256, (20, 5))
    fwd = SpikeGradNet(cfg, weights=got.weights, biases=got.biases)
    counts = np.floor(np.maximum(0, (pixels / 255) @ w0.T + b0) / 0.5)
    from snnforge.golden_model.spikegrad import ann_equivalent
    c1 = ann_equivalent.forward(fwd.W, fwd.b, fwd.inputs(pixels), cfg).counts[1]
    assert np.abs(c1 - counts).max() <= 1 and (c1 == counts).mean() > 0.9


@pytest.mark.parametrize("make,message", [
    (lambda w, b: _foreign(w, b, neuron=nir.LIF), "leaky neurons do not map"),
    (lambda w, b: _add_edge(_foreign(w, b), ("n0", "fc0")), "2 inputs"),
    (lambda w, b: _add_edge(_foreign(w, b), ("output", "fc0")), "loops back|recurrent"),
    (lambda w, b: _conv(), "fully connected"),
    (lambda w, b: _foreign([np.full((2, 2), 1e9), w[1][:, :2]], [b[0][:2], b[1]]), "beyond"),
])
def test_graphs_that_are_not_feed_forward_if_networks_are_refused(make, message):
    r = np.random.default_rng(1)
    w, b = [r.normal(size=(4, 3)), r.normal(size=(2, 4))], [np.zeros(4), np.zeros(2)]
    with pytest.raises(ConfigError, match=message) as info:
        nirgraph.import_spikegrad(make(w, b))
    assert "\n" not in str(info.value)


def _add_edge(graph, edge):
    return nir.NIRGraph(nodes=graph.nodes, edges=[*graph.edges, edge], type_check=False)


def _conv():
    nodes = {"input": nir.Input(input_type={"input": np.array([1, 4, 4])}),
             "conv": nir.Conv2d(input_shape=(4, 4), weight=np.ones((1, 1, 2, 2)), stride=1,
                                padding=0, dilation=1, groups=1, bias=np.zeros(1)),
             "output": nir.Output(output_type={"output": np.array([1, 3, 3])})}
    return nir.NIRGraph(nodes=nodes, edges=[("input", "conv"), ("conv", "output")],
                        type_check=False)


def test_float_mode_graph_is_refused():
    cfg = SpikeGradConfig(sizes=(4, 3, 2)).with_required_widths()
    net = SpikeGradNet(cfg, mode="float", seed=0)
    with pytest.raises(ConfigError, match="'float'-mode SpikeGrad network"):
        nirgraph.import_spikegrad(nirgraph.export_spikegrad(cfg, net.W, net.b, mode="float"))


def test_file_errors(tmp_path, capsys):
    with pytest.raises(SnnforgeError, match="no such file"):
        nirgraph.read_graph(tmp_path / "none.nir")
    bad = tmp_path / "bad.nir"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(SnnforgeError, match="not a readable NIR graph"):
        nirgraph.read_graph(bad)
    assert main(["nir", "export", "--from-run", str(tmp_path), "--out", str(tmp_path / "x.nir")]) == 2
    assert "--from-run" in capsys.readouterr().err
