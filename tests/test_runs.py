"""Run plumbing: atomic JSON and checkpoint writes, resume guard, plots."""
import json
import os

import numpy as np
import pytest

from snnforge import checkpoints, plotting, runs
from snnforge.errors import ConfigError, SnnforgeError


def test_checkpoint_round_trip(tmp_path):
    path = tmp_path / "ck.npz"
    w = np.arange(12, dtype=np.int16).reshape(3, 4)
    checkpoints.save_checkpoint(path, {"w": w}, {"epoch": 3, "rng": [1, 2]})
    arrays, meta = checkpoints.load_checkpoint(path)
    assert arrays["w"].dtype == np.int16 and (arrays["w"] == w).all()
    assert meta == {"epoch": 3, "rng": [1, 2]}
    assert [p.name for p in tmp_path.iterdir()] == ["ck.npz"]  # no temp files left


def test_missing_and_corrupt_checkpoint(tmp_path):
    with pytest.raises(SnnforgeError, match="no checkpoint"):
        checkpoints.load_checkpoint(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SnnforgeError, match="unreadable checkpoint"):
        checkpoints.load_checkpoint(bad)


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    runs.write_json(path, {"a": 1})

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(runs.os, "replace", boom)
    with pytest.raises(OSError):
        runs.write_json(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_rundir_report_and_resume_guard(tmp_path):
    run = runs.RunDir(tmp_path, config={"lr": 0.1, "T": 8}, command="train")
    run.add_epoch(epoch=1, acc=np.float64(0.5))
    run.set_result("test_acc", 0.9)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["epochs"] == [{"epoch": 1, "acc": 0.5}]
    assert report["results"]["test_acc"] == 0.9
    with pytest.raises(ConfigError, match="already holds a run"):
        runs.RunDir(tmp_path, config={"lr": 0.1, "T": 8}, command="train")
    with pytest.raises(ConfigError, match="no checkpoint.npz"):
        runs.RunDir(tmp_path, config={"lr": 0.1, "T": 8}, command="train", resume=True)
    checkpoints.save_checkpoint(run.checkpoint_path, {"w": np.zeros(2)}, {"epoch": 1})
    again = runs.RunDir(tmp_path, config={"lr": 0.1, "T": 8}, command="train", resume=True)
    assert again.report["epochs"] == [{"epoch": 1, "acc": 0.5}]
    with pytest.raises(ConfigError, match="changed: T"):
        runs.RunDir(tmp_path, config={"lr": 0.1, "T": 16}, command="train", resume=True)


def test_plots_are_written(tmp_path):
    p = plotting.plot_lines(tmp_path / "a.png", {"x": ([1, 2], [0.1, 0.2])}, title="t",
                            xlabel="x", ylabel="y")
    r = plotting.plot_raster(tmp_path / "r.png", {"in": (np.array([1, 2]), np.array([0, 3]))},
                             title="r")
    assert p.stat().st_size > 1000 and r.stat().st_size > 1000


def test_counts_spanning_orders_of_magnitude_get_a_log_axis(tmp_path, monkeypatch):
    scales = []
    real = plotting.save_figure

    def spy(fig, path):
        scales.append(fig.axes[0].get_yscale())
        return real(fig, path)

    monkeypatch.setattr(plotting, "save_figure", spy)
    plotting.plot_lines(tmp_path / "wide.png",
                        {"a": ([1, 2], [3, 2]), "b": ([1, 2], [900, 1500])},
                        title="t", xlabel="x", ylabel="y")
    plotting.plot_lines(tmp_path / "narrow.png", {"a": ([1, 2], [3, 20])}, title="t",
                        xlabel="x", ylabel="y")
    plotting.plot_lines(tmp_path / "forced.png", {"a": ([1, 2], [3, 20])}, title="t",
                        xlabel="x", ylabel="y", logy=True)
    assert scales == ["log", "linear", "log"]


def test_raster_takes_boolean_steps_and_signed_spikes(tmp_path):
    spikes = np.zeros((4, 5), bool)
    spikes[1, 2] = spikes[3, 0] = True
    signed = (np.array([0, 1]), np.array([2, 2]), np.array([1, -1]))
    r = plotting.plot_raster(tmp_path / "r.png", {"steps": spikes, "signed": signed}, title="r")
    assert r.stat().st_size > 1000


def test_atomic_files_get_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        runs.write_json(tmp_path / "r.json", {"a": 1})
        checkpoints.save_checkpoint(tmp_path / "c.npz", {"w": np.zeros(2)}, {})
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "c.npz").stat().st_mode & 0o777 == 0o644


def test_upsert_row_replaces_the_row_with_the_same_key_and_keeps_the_others(tmp_path):
    from snnforge.runs import read_json, upsert_row
    path = tmp_path / "study.json"
    upsert_row(path, benchmark="b", row={"row": "a", "x": 1})
    upsert_row(path, benchmark="b", row={"row": "b", "x": 2})
    rows = upsert_row(path, benchmark="b", row={"row": "a", "x": 3})
    assert rows == [{"row": "b", "x": 2}, {"row": "a", "x": 3}]
    assert read_json(path) == {"benchmark": "b", "rows": rows}


def test_run_script_turns_a_user_error_into_one_line_and_status_2(capsys):
    from snnforge.errors import ConfigError
    from snnforge.runs import run_script

    def main(argv):
        raise ConfigError(f"--seeds must be positive, got {argv[0]}")

    with pytest.raises(SystemExit) as exit_info:
        run_script(main, ["0"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: --seeds must be positive, got 0\n"
    with pytest.raises(SystemExit) as exit_info:
        run_script(lambda argv: 0, [])
    assert exit_info.value.code == 0


def test_git_head_names_the_checkout_commit_and_none_outside_git(tmp_path):
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    head = runs.git_head(root)
    if (root / ".git").exists():
        assert head is not None and len(head) == 40 and int(head, 16) >= 0
    assert runs.git_head(tmp_path) is None
