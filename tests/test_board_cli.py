"""`snnforge board` (snnforge/commands/board.py): training through the golden protocol engine
(--loopback) bit-identical to BitTrueSSNN, --check stopping at a divergence, and every error
path a one-line message with exit status 2. The board builds themselves are BOARD-GW's
(`snnforge.boards.network_board`); here a stand-in module records what the CLI passes."""
from __future__ import annotations

import json
import types

import numpy as np
import pytest

from snnforge import cli
from snnforge.boards import network_board
from snnforge.commands import board as board_cmd
from snnforge.commands import board_session
from snnforge.golden_model.data import downsample, load_dataset
from snnforge.golden_model.ssnn_bp.bittrue import BitTrueSSNN
from snnforge.golden_model.ssnn_bp.train import epoch_order
from snnforge.hdl.ssnn_bp.network import small_network_config
from snnforge.host import protocol as P
from snnforge.host.loopback import BitTrueNetwork
from snnforge.host.transport import LoopbackEngineTransport, Transport

TRAIN = ["board", "train", "--board", "icebreaker", "--dataset", "mnist-sample",
         "--train-limit", "20", "--test-limit", "10", "--quiet", "--timeout", "0.05",
         "--retries", "1"]


@pytest.fixture(autouse=True)
def boards(monkeypatch):
    """A stand-in for snnforge.boards.network_board: default configs, a recorded build."""
    calls = []

    def build_network_board(board, *, config, out_dir, pnr=True, baud=None, clk_freq=None,
                            network_options=None):
        calls.append(dict(board=board, config=config, out_dir=out_dir, pnr=pnr, baud=baud,
                          clk_freq=clk_freq, network_options=network_options))
        return {"bitstream": str(out_dir / "top.bin"), "utilization": {"LUT4": 1234},
                "fmax_mhz": 20.5, "config_hash": P.config_hash(config),
                "program_command": {"command": ["iceprog", str(out_dir / "top.bin")],
                                    "installed": False}}

    module = types.SimpleNamespace(default_board_config=lambda board: small_network_config(),
                                   default_baud=lambda board: 3_000_000,
                                   default_network_options=lambda board: {},
                                   NETWORK_OPTION_NAMES=network_board.NETWORK_OPTION_NAMES,
                                   check_network_options=network_board.check_network_options,
                                   board_network_options=lambda board, options=None, *, config:
                                   network_board.check_network_options(options, config=config),
                                   build_network_board=build_network_board, calls=calls)
    monkeypatch.setattr(board_session, "network_board", lambda: module)
    return module


def one_line_error(capsys, argv) -> str:
    assert cli.main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def _digits(n, split="train"):
    d = load_dataset("mnist-sample", split, limit=n)
    return downsample(d.images, size=8).reshape(n, -1), d.labels.astype(np.int64)


def test_train_loopback_with_check_matches_bittrue(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(TRAIN + ["--loopback", "--check", "--check-every", "7", "--out", str(out)]) == 0
    assert "identical to BitTrueSSNN" in capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    res = report["results"]
    assert res["samples"] == 20 and res["board_counters"]["samples"] == 20
    assert res["test_samples"] == 10 and 0 <= res["test_accuracy"] <= 1
    assert res["link"]["bytes_sent"] > 0 and res["samples_per_s"] > 0
    assert res["board_counters"]["errors"] == res["train_errors"]
    # the board's weights equal BitTrueSSNN trained in the epoch order with the same keys
    config = small_network_config()
    x, y = _digits(20)
    order = epoch_order(config.seed, 0, 20)
    ref = BitTrueSSNN(config)
    ref.train(x[order], y[order], first_sample=0, engine="numpy")
    w = np.load(out / "weights.npz")
    np.testing.assert_array_equal(w["w1"], ref.W1)
    np.testing.assert_array_equal(w["w2"], ref.W2)
    assert (w["w1"] != BitTrueSSNN(config).W1).any()


class _DriftingNetwork(BitTrueNetwork):
    """The network of a faulty board: after ``at`` training samples one W2 weight drifts."""

    def __init__(self, config, at):
        super().__init__(config)
        self.at, self.trained = at, 0

    def sample(self, pixels, *, label, learn, key):
        winner = super().sample(pixels, label=label, learn=learn, key=key)
        self.trained += bool(learn)
        if learn and self.trained == self.at:
            self.model.W2[3, 4] += 1 if self.model.W2[3, 4] < self.config.weight_max else -1
        return winner


def test_check_stops_at_the_first_divergence(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(board_cmd, "open_transport", lambda args, cfg: LoopbackEngineTransport(
        cfg, network=_DriftingNetwork(cfg, at=5)))
    out = tmp_path / "run"
    err = one_line_error(capsys, TRAIN + ["--check", "--check-every", "6", "--out", out])
    assert "--check: the board diverged from BitTrueSSNN" in err
    # the 6th winner still agrees; the read-back after 6 samples shows the drifted weight
    assert "the weights after 6 samples: W2[3, 4] (pre row 3, post 4)" in err
    assert "(1 weight differs)" in err
    report = json.loads((out / "report.json").read_text())
    assert report["results"]["divergence"] in err


def test_check_names_a_winner_divergence(tmp_path, capsys, monkeypatch):
    class WrongWinner(BitTrueNetwork):
        def sample(self, pixels, *, label, learn, key):
            w = super().sample(pixels, label=label, learn=learn, key=key)
            return (w + 1) % self.config.n_out if key == 2 else w

    monkeypatch.setattr(board_cmd, "open_transport", lambda args, cfg: LoopbackEngineTransport(
        cfg, network=WrongWinner(cfg)))
    err = one_line_error(capsys, TRAIN + ["--check", "--out", tmp_path / "run"])
    assert "position 2, key 2" in err and "the board's winner is" in err


def test_eval_and_weights_loopback(tmp_path, capsys):
    assert cli.main(["board", "eval", "--board", "icebreaker", "--dataset", "mnist-sample",
                     "--test-limit", "12", "--loopback", "--quiet", "--out",
                     str(tmp_path / "ev")]) == 0
    res = json.loads((tmp_path / "ev" / "report.json").read_text())["results"]
    config = small_network_config()
    x, y = _digits(12, "test")
    expected = BitTrueSSNN(config).evaluate(x, y)["accuracy_votes"]
    assert res["test_accuracy"] == expected and res["test_samples"] == 12
    out = tmp_path / "w.npz"
    assert cli.main(["board", "weights", "--board", "icebreaker", "--loopback",
                     "--out", str(out)]) == 0
    w = np.load(out)
    np.testing.assert_array_equal(w["w1"], BitTrueSSNN(config).W1)
    capsys.readouterr()
    err = one_line_error(capsys, ["board", "weights", "--board", "icebreaker", "--loopback",
                                  "--out", out])
    assert "exists" in err
    err = one_line_error(capsys, ["board", "weights", "--board", "icebreaker", "--loopback",
                                  "--out", tmp_path / "w.txt"])
    assert "must end in .npz" in err


def test_train_loopback_w1_spram_loads_w1_and_matches_bittrue(tmp_path, capsys):
    """--w1-spram (the golden engine of a host-loaded board, W1 at zero): the host writes the
    golden model's initial weights, then trains; --check compares every winner and weight."""
    out = tmp_path / "run"
    assert cli.main(TRAIN + ["--loopback", "--w1-spram", "--check", "--out", str(out)]) == 0
    assert "identical to BitTrueSSNN" in capsys.readouterr().out
    config = small_network_config()
    x, y = _digits(20)
    ref = BitTrueSSNN(config)
    ref.train(x[epoch_order(config.seed, 0, 20)], y[epoch_order(config.seed, 0, 20)],
              first_sample=0, engine="numpy")
    np.testing.assert_array_equal(np.load(out / "weights.npz")["w1"], ref.W1)
    report = json.loads((out / "report.json").read_text())
    assert "--w1-spram" in report["command"]


def test_host_loaded_w1_never_runs_unwritten(tmp_path, capsys):
    err = one_line_error(capsys, TRAIN + ["--loopback", "--w1-spram", "--keep-weights",
                                          "--out", tmp_path / "run"])
    assert err.startswith("snnforge board: error: --keep-weights: the board on loopback")
    assert "leave out --keep-weights" in err
    assert not (tmp_path / "run" / "report.json").exists()
    err = one_line_error(capsys, ["board", "eval", "--board", "icebreaker", "--dataset",
                                  "mnist-sample", "--test-limit", "3", "--loopback",
                                  "--w1-spram", "--quiet", "--out", tmp_path / "ev"])
    assert "its W1 has not been written since configuration or reset" in err
    assert not (tmp_path / "ev" / "report.json").exists()


def test_build_prints_the_programming_command(tmp_path, capsys, boards):
    out = tmp_path / "b"
    assert cli.main(["board", "build", "--board", "icebreaker", "--hidden", "12",
                     "--out", str(out)]) == 0
    text = capsys.readouterr().out
    call = boards.calls[-1]
    assert call["board"] == "icebreaker" and call["config"].n_hidden == 12 and call["pnr"]
    assert f"0x{P.config_hash(call['config']):08x}" in text and "20.5 MHz" in text
    assert "program it with: iceprog " in text and "is not installed here" in text
    report = json.loads((out / "report.json").read_text())
    assert report["results"]["build"]["fmax_mhz"] == 20.5
    err = one_line_error(capsys, ["board", "build", "--board", "icebreaker", "--out", out])
    assert "already holds a run" in err and "--overwrite" in err


def test_build_passes_the_clock_and_network_options(tmp_path, capsys, boards):
    assert cli.main(["board", "build", "--board", "ulx3s-85f", "--n-in", "784", "--hidden",
                     "256", "--weight-bits", "10", "--clock-mhz", "25", "--rng-architecture",
                     "pipelined", "--rounds-per-stage", "1", "--rng-cores", "8", "--hid-lanes",
                     "4", "--out", str(tmp_path / "b")]) == 0
    call = boards.calls[-1]
    assert call["clk_freq"] == 25e6 and call["config"].n_hidden == 256
    assert call["network_options"] == {"rng_architecture": "pipelined", "rounds_per_stage": 1,
                                       "rng_cores": 8, "hid_lanes": 4}
    assert cli.main(["board", "build", "--board", "icebreaker", "--n-in", "784", "--hidden",
                     "64", "--weight-bits", "10", "--w1-lanes", "4", "--w1-spram",
                     "--out", str(tmp_path / "s")]) == 0
    assert boards.calls[-1]["network_options"] == {"w1_lanes": 4, "w1_spram": True}
    assert cli.main(["board", "build", "--board", "icebreaker", "--n-in", "784", "--hidden",
                     "64", "--weight-bits", "10", "--w1-lanes", "4", "--w1-spram", "--u-ram",
                     "--frame-spram", "--out", str(tmp_path / "r")]) == 0
    assert boards.calls[-1]["network_options"] == {"w1_lanes": 4, "w1_spram": True,
                                                   "u_ram": True, "frame_spram": True}
    assert cli.main(["board", "build", "--board", "icebreaker", "--n-in", "784", "--hidden",
                     "64", "--weight-bits", "10", "--w1-lanes", "4", "--u-ram", "--dsp-adders",
                     "0", "--out", str(tmp_path / "d")]) == 0
    assert boards.calls[-1]["network_options"] == {"w1_lanes": 4, "u_ram": True,
                                                   "dsp_adders": 0}
    # --lr: the UP5K configuration of docs/boards.md, the same hash as the benchmarks' build
    assert cli.main(["board", "build", "--board", "icebreaker", "--n-in", "784", "--hidden",
                     "64", "--weight-bits", "10", "--lr", "0.002", "--seed", "0",
                     "--out", str(tmp_path / "u")]) == 0
    assert boards.calls[-1]["config"] == small_network_config(
        n_in=784, n_hidden=64, weight_bits=10, learning_rate=0.002, seed=0)
    assert cli.main(["board", "build", "--board", "icebreaker",
                     "--out", str(tmp_path / "c")]) == 0
    assert boards.calls[-1]["network_options"] == {} and boards.calls[-1]["clk_freq"] is None


def test_build_switches_turn_off_with_no(tmp_path, capsys, boards):
    """--no-w1-spram etc. turn the board's default switches off (the small iCEBreaker top of
    docs/boards.md); the run's command records them."""
    out = tmp_path / "small"
    assert cli.main(["board", "build", "--board", "icebreaker", "--n-in", "64", "--hidden", "8",
                     "--weight-bits", "6", "--lr", "0.01", "--seed", "1", "--rounds-per-stage",
                     "2", "--w1-lanes", "8", "--no-w1-spram", "--no-u-ram", "--no-w2-words",
                     "--no-frame-spram", "--out", str(out)]) == 0
    call = boards.calls[-1]
    assert call["config"] == small_network_config(n_hidden=8, weight_bits=6)
    assert call["network_options"] == {"rounds_per_stage": 2, "w1_lanes": 8, "w1_spram": False,
                                       "u_ram": False, "w2_words": False,
                                       "frame_spram": False}
    command = json.loads((out / "report.json").read_text())["command"]
    assert "--no-w1-spram --no-u-ram --no-w2-words --no-frame-spram" in command
    assert cli.main(["board", "build", "--board", "icebreaker", "--no-u-ram", "--u-ram",
                     "--out", str(tmp_path / "last")]) == 0
    assert boards.calls[-1]["network_options"] == {"u_ram": True}   # the last one given


def test_build_refuses_options_that_exclude_each_other_up_front(tmp_path, capsys, boards,
                                                               monkeypatch):
    """A conflict among the options given is a one-line error before the run folder exists."""
    monkeypatch.setattr(boards, "board_network_options",
                        _real_network_board().board_network_options)
    err = one_line_error(capsys, ["board", "build", "--board", "icebreaker", "--hidden", "6",
                                  "--w1-lanes", "3", "--hid-lanes", "2", "--u-ram", "--out",
                                  tmp_path / "b"])
    assert "--u-ram reads the --hid-lanes 2 hidden neurons" in err and "--no-u-ram" in err
    assert not boards.calls and not (tmp_path / "b").exists()


def test_build_that_misses_its_clock_keeps_the_report_and_exits_1(tmp_path, capsys, boards,
                                                                   monkeypatch):
    def missed(board, **kwargs):
        return {"bitstream": str(tmp_path / "top.bit"), "fmax_mhz": 21.37, "clock_mhz": 25.0,
                "timing_met": False, "config_hash": P.config_hash(kwargs["config"])}

    monkeypatch.setattr(boards, "build_network_board", missed)
    out = tmp_path / "b"
    assert cli.main(["board", "build", "--board", "ulx3s-85f", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "timing NOT met" in captured.out
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "21.37 MHz, below its 25 MHz clock" in err and "--clock-mhz 21 or lower" in err
    assert json.loads((out / "report.json").read_text())["results"]["build"]["timing_met"] is False


@pytest.mark.parametrize("extra, expect", [
    (["--hid-lanes", "3"], "--hid-lanes must be one of 1, 2, 4, got 3"),
    (["--rounds-per-stage", "14"], "--rounds-per-stage must be an integer from 1 to 13"),
    (["--rng-cores", "0"], "--rng-cores must be an integer from 1 to"),
    (["--rng-architecture", "fast"], "invalid choice"),
    (["--clock-mhz", "-1"], "--clock-mhz must be > 0"),
    (["--w1-lanes", "17"], "--w1-lanes must be at most the 16 hidden neurons (--hidden"),
    (["--w1-spram", "yes"], "unrecognized arguments: yes"),
    (["--weight-bits", "10", "--lr", "0.01"], "--lr 0.01 is not realisable with --weight-bits"),
])
def test_build_option_errors(tmp_path, capsys, boards, extra, expect):
    err = one_line_error(capsys, ["board", "build", "--board", "icebreaker", "--out",
                                  tmp_path / "b", *extra])
    assert expect in err
    assert not boards.calls


class _Dead(Transport):
    description = "/dev/ttyUSB7 at 115200 baud"

    def write(self, data):
        pass

    def read(self, size, timeout):
        return b""


@pytest.mark.parametrize("extra, expect", [
    ([], "--port is missing"),
    (["--port", "/dev/ttyDOES-NOT-EXIST"], "cannot open serial port /dev/ttyDOES-NOT-EXIST"),
    (["--port", "/dev/ttyUSB0", "--sim"], "--port and --sim exclude each other"),
    (["--loopback", "--n-in", "50"], "--n-in 50 is not a square"),
    (["--loopback", "--hidden", "0"], "--hidden must be >= 1"),
    (["--loopback", "--epochs", "0"], "--epochs must be >= 1"),
    (["--loopback", "--train-limit", "0"], "--train-limit must be >= 1"),
    (["--loopback", "--timeout", "0"], "--timeout must be > 0"),
    (["--loopback", "--w1-lanes", "0"], "--w1-lanes must be an integer from 1"),
    (["--sim", "--w1-lanes", "17"], "--w1-lanes must be at most the 16 hidden neurons"),
    (["--board", "nexys"], "invalid choice"),
])
def test_train_option_errors(tmp_path, capsys, extra, expect):
    err = one_line_error(capsys, TRAIN + extra + ["--out", tmp_path / "run"])
    assert expect in err
    assert not (tmp_path / "run" / "report.json").exists()


def test_board_that_does_not_answer(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(board_cmd, "open_transport", lambda args, cfg: _Dead())
    err = one_line_error(capsys, TRAIN + ["--out", tmp_path / "run"])
    assert "does not answer IDENTIFY" in err and "/dev/ttyUSB7 at 115200 baud" in err
    assert not (tmp_path / "run" / "report.json").exists()


def test_board_built_for_another_configuration(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(board_cmd, "open_transport",
                        lambda args, cfg: LoopbackEngineTransport(cfg, config_hash=0x1234ABCD))
    err = one_line_error(capsys, TRAIN + ["--out", tmp_path / "run"])
    want = P.config_hash(small_network_config())
    assert "0x1234abcd" in err and f"0x{want:08x}" in err and "snnforge board build" in err


def test_existing_run_is_not_replaced(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "report.json").write_text("{}")
    err = one_line_error(capsys, TRAIN + ["--loopback", "--out", out])
    assert "already holds a run" in err
    assert (out / "report.json").read_text() == "{}"


@pytest.mark.hw
def test_train_sim_checks_the_verilated_board(tmp_path, capsys, monkeypatch):
    """--sim: the same command against the Verilated board top, UART pins included."""
    pytest.importorskip("snnforge.host.sim_transport")
    monkeypatch.setattr(board_session, "network_board", _real_network_board)
    out = tmp_path / "sim"
    assert cli.main(["board", "train", "--board", "icebreaker", "--sim", "--dataset",
                     "mnist-sample", "--train-limit", "20", "--test-limit", "5", "--check",
                     "--quiet", "--out", str(out), *SMALL_ICEBREAKER]) == 0
    assert "identical to BitTrueSSNN" in capsys.readouterr().out
    res = json.loads((out / "report.json").read_text())["results"]
    assert res["samples"] == 20 and res["board_counters"]["samples"] == 20
    config = small_network_config(n_hidden=8, weight_bits=6)
    assert res["board_counters"]["cycles"] > 20 * config.n_in  # the gateware's measurement
    d = load_dataset("mnist-sample", "train", limit=20)
    side = int(round(config.n_in ** 0.5))
    x, y = downsample(d.images, size=side).reshape(20, -1), d.labels.astype(np.int64)
    order = epoch_order(config.seed, 0, 20)
    ref = BitTrueSSNN(config)
    ref.train(x[order], y[order], first_sample=0, engine="numpy")
    np.testing.assert_array_equal(np.load(out / "weights.npz")["w2"], ref.W2)


#: the small iCEBreaker top (64-8-10, 6-bit weights, 8x8 digits; docs/boards.md)
SMALL_ICEBREAKER = ["--n-in", "64", "--hidden", "8", "--weight-bits", "6", "--lr", "0.01",
                    "--seed", "1", "--rounds-per-stage", "2", "--w1-lanes", "8",
                    "--no-w1-spram", "--no-u-ram", "--no-w2-words", "--no-frame-spram"]


def _real_network_board():
    from snnforge.boards import network_board
    return network_board


def test_eval_check_names_a_diverging_test_digit(tmp_path, capsys, monkeypatch):
    assert cli.main(["board", "eval", "--board", "icebreaker", "--dataset", "mnist-sample",
                     "--test-limit", "8", "--loopback", "--check", "--quiet", "--out",
                     str(tmp_path / "ok")]) == 0
    assert "every winner identical to BitTrueSSNN" in capsys.readouterr().out

    class WrongEval(BitTrueNetwork):
        def sample(self, pixels, *, label, learn, key):
            w = super().sample(pixels, label=label, learn=learn, key=key)
            return (w + 1) % self.config.n_out if not learn and key == 3 else w

    monkeypatch.setattr(board_cmd, "open_transport", lambda args, cfg: LoopbackEngineTransport(
        cfg, network=WrongEval(cfg)))
    err = one_line_error(capsys, ["board", "eval", "--board", "icebreaker", "--dataset",
                                  "mnist-sample", "--test-limit", "8", "--check", "--quiet",
                                  "--out", tmp_path / "bad"])
    assert "test digit 3 (evaluation, key 3" in err and "the board's winner is" in err
