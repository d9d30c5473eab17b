"""`snnforge sweep`: study expansion, tiny runs on a two-worker LocalCluster, resume, failures,
a lost worker, clear errors for bad studies."""
import csv
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from snnforge.cli import main
from snnforge.errors import ConfigError
from snnforge.sweep import RunSpec, Study, load_study, run_study, study_from_dict

TINY = {"dataset": "mnist-sample", "train-limit": 60, "test-limit": 40, "epochs": 1,
        "hidden": 8, "engine": "numpy", "no-plots": True, "quiet": True}


def _study(**job):
    return study_from_dict({"name": "tiny", "job": [{"algo": "ssnn-bp", "options": TINY, **job}]})


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as c:
        yield c


def test_grid_and_list_expand_into_validated_commands():
    study = _study(grid={"T": [2, 4], "seed": [0, 1]}, list=[{"hidden": 8}, {"hidden": 12}])
    assert len(study.runs) == 8
    assert {(r.params["T"], r.params["seed"], r.params["hidden"]) for r in study.runs} == \
        {(t, s, h) for t in (2, 4) for s in (0, 1) for h in (8, 12)}
    run = study.runs[0]
    assert run.swept == ("T", "seed", "hidden")
    argv = list(run.argv)
    assert argv[:5] == ["-m", "snnforge", "train", "--algo", "ssnn-bp"]
    assert argv[argv.index("--T") + 1] == "2" and "--no-plots" in argv and argv[-2:] == ["--out", "{out}"]
    assert len({r.run_id for r in study.runs}) == 8
    assert [r.run_id for r in _study(grid={"T": [2, 4], "seed": [0, 1]},
                                     list=[{"hidden": 8}, {"hidden": 12}]).runs] == \
        [r.run_id for r in study.runs]  # stable ids: the resume key


@pytest.mark.parametrize("job,msg", [
    ({"grid": {"hiden": [1, 2]}}, "unknown option 'hiden'"),
    ({"grid": {}}, "the grid is empty"),
    ({"grid": {"T": []}}, "grid.T is empty"),
    ({"grid": {"T": 4}}, "grid.T must be a list"),
    ({"grid": {"T": ["x"]}}, "invalid int value"),
    ({"options": {**TINY, "out": "x"}}, "set by the sweep itself"),
    ({"options": {**TINY, "no-ann": "yes"}}, "is a flag"),
    ({"kind": "board"}, "kind 'board' unknown"),
    ({"algo": "nope"}, "algo 'nope' unknown"),
])
def test_bad_jobs_are_refused_before_anything_runs(job, msg):
    with pytest.raises(ConfigError, match=msg):
        _study(**job)


def _cli_error(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


def test_bad_study_files_give_one_line_errors(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n[[job]]")
    assert "not valid TOML" in _cli_error(capsys, ["sweep", str(bad)])
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[[job]]\nalgo = "ssnn-bp"\ngrid = { depth = [1, 2] }\n')
    assert "unknown option 'depth'" in _cli_error(capsys, ["sweep", str(unknown)])
    empty = tmp_path / "empty.toml"
    empty.write_text('[[job]]\nalgo = "ssnn-bp"\ngrid = { T = [] }\n')
    assert "grid.T is empty" in _cli_error(capsys, ["sweep", str(empty)])
    nojob = tmp_path / "nojob.toml"
    nojob.write_text('name = "x"\n')
    assert "no [[job]] tables" in _cli_error(capsys, ["sweep", str(nojob)])
    assert "not found" in _cli_error(capsys, ["sweep", str(tmp_path / "missing.toml")])
    good = tmp_path / "good.toml"
    good.write_text('[[job]]\nalgo = "ssnn-bp"\ngrid = { T = [2, 4] }\n')
    afile = tmp_path / "afile"
    afile.write_text("")
    assert "is a file" in _cli_error(capsys, ["sweep", str(good), "--out", str(afile)])
    assert "is a file" in _cli_error(capsys, ["sweep", str(good), "--out", str(afile), "--dry-run"])


def _rows(folder):
    with open(folder / "results.csv") as f:
        return {r["run_id"]: r for r in csv.DictReader(f)}


def test_tiny_sweep_aggregates_resumes_and_reports_failures(tmp_path, cluster):
    study = study_from_dict({"name": "tiny", "job": [
        {"algo": "ssnn-bp", "options": TINY, "grid": {"T": [2, 4], "seed": [0, 1]}},
        {"algo": "ssnn-bp", "options": {**TINY, "beta": 3.0}},  # fails at run time
    ]})
    out = tmp_path / "sweep"
    res = run_study(study, out, scheduler=cluster.scheduler_address, quiet=True)
    bad = study.runs[-1].run_id
    assert sorted(res.done) == sorted(r.run_id for r in study.runs[:4]) and res.failed == [bad]
    status = json.loads((out / "status.json").read_text())["runs"]
    assert "power of two" in status[bad]["error"]
    rows = _rows(out)
    for run in study.runs[:4]:
        row = rows[run.run_id]
        report = json.loads((out / "runs" / run.run_id / "report.json").read_text())
        assert report["config"]["network"]["T"] == run.params["T"]
        final = report["results"]["final"]
        assert row["status"] == "done" and float(row["accuracy"]) == pytest.approx(
            final["test_accuracy_votes"], abs=1e-4)
        assert float(row["gap_points"]) == pytest.approx(
            100 * (final["ann_test_accuracy"] - final["test_accuracy_votes"]), abs=1e-3)
    assert rows[bad]["status"] == "failed"
    with open(out / "summary.csv") as f:
        summary = [r for r in csv.DictReader(f) if r["T"]]
    assert sorted((r["T"], r["runs"], r["seeds"]) for r in summary) == [("2", "2", "0 1"),
                                                                      ("4", "2", "0 1")]
    for r in summary:
        accs = [float(rows[x.run_id]["accuracy"]) for x in study.runs[:4]
                if str(x.params["T"]) == r["T"]]
        assert float(r["accuracy_mean"]) == pytest.approx(sum(accs) / 2, abs=1e-4)
    assert (out / "plots" / "accuracy_vs_T.png").is_file()
    assert "## Mean and spread over seeds" in (out / "results.md").read_text()

    # resume: finished runs are skipped (their reports untouched), the failed one is kept
    stamp = {r.run_id: os.stat(out / "runs" / r.run_id / "report.json").st_mtime_ns
             for r in study.runs[:4]}
    again = run_study(study, out, scheduler=cluster.scheduler_address, quiet=True)
    assert again.done == [] and len(again.skipped) == 5 and again.failed == [bad]
    assert stamp == {r.run_id: os.stat(out / "runs" / r.run_id / "report.json").st_mtime_ns
                     for r in study.runs[:4]}
    # a missing run folder is re-queued; --retry-failed re-queues the failed one
    import shutil

    shutil.rmtree(out / "runs" / study.runs[0].run_id)
    third = run_study(study, out, scheduler=cluster.scheduler_address, quiet=True,
                      retry_failed=True)
    assert third.done == [study.runs[0].run_id] and third.failed == [bad]
    assert json.loads((out / "status.json").read_text())["runs"][bad]["status"] == "failed"


def test_lost_worker_is_detected_and_its_run_requeued(tmp_path, cluster):
    script = ("import json, pathlib, sys, time; time.sleep(4); "
              "pathlib.Path(sys.argv[1], 'report.json').write_text(json.dumps({'results': {}}))")
    run = RunSpec(run_id="sleeper", kind="cocotb", params={"unit": "x"}, swept=(),
                  argv=("-c", script, "{out}"))
    out = tmp_path / "sweep"
    killed = []

    def kill_first_attempt():
        attempts = out / ".attempts" / "sleeper.json"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if attempts.is_file():
                info = json.loads(attempts.read_text())
                os.kill(info["pid"], signal.SIGKILL)
                killed.append(info["pid"])
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_first_attempt)
    killer.start()
    res = run_study(Study(name="lost", runs=[run]), out, scheduler=cluster.scheduler_address,
                    quiet=True)
    killer.join()
    assert killed, "the run never started"
    assert res.done == ["sleeper"]
    entry = json.loads((out / "status.json").read_text())["runs"]["sleeper"]
    assert entry["status"] == "done" and entry["attempts"] == 2


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG, process groups")
def test_ctrl_c_interrupts_cleanly_and_the_rerun_resumes_from_the_checkpoint(tmp_path):
    import subprocess

    # enough epochs that the interrupt, sent once the first checkpoint exists, always lands
    # before the run's end, however fast the machine
    epochs = 20
    study = tmp_path / "slow.toml"
    study.write_text('[[job]]\nalgo = "ssnn-bp"\n'
                     'options = { dataset = "mnist-sample", train-limit = 150, test-limit = 30, '
                     f'epochs = {epochs}, hidden = 16, T = 8, engine = "numpy", no-plots = true }}\n')
    out = tmp_path / "sweep"
    cmd = [sys.executable, "-m", "snnforge", "sweep", str(study), "--out", str(out),
           "--workers", "1"]
    # its own process group, which the Ctrl-C reaches as a whole, as in a terminal; SIGINT at
    # its default disposition as in a terminal (a suite started in the background by a
    # non-interactive shell inherits it ignored)
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 90
    while not list(out.glob("runs/*/checkpoint.npz")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    (run_id, entry), = json.loads((out / "status.json").read_text())["runs"].items()
    assert entry["status"] == "interrupted"
    with open(out / "results.csv") as f:
        assert [r["status"] for r in csv.DictReader(f)] == ["interrupted"]
    report = json.loads((out / "runs" / run_id / "report.json").read_text())
    assert 1 <= len(report["epochs"]) < epochs and not report["results"]
    # the same command again: the run continues from its checkpoint and finishes
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    entry = json.loads((out / "status.json").read_text())["runs"][run_id]
    assert entry["status"] == "done" and entry["resumed"] is True
    report = json.loads((out / "runs" / run_id / "report.json").read_text())
    assert [e["epoch"] for e in report["epochs"]] == list(range(1, epochs + 1))


SPIKEGRAD_TB = str(Path(__file__).resolve().parents[1] / "cocotb_tests" / "spikegrad")


@pytest.mark.parametrize("job,msg", [
    ({"kind": "network", "options": {"n_hiden": 4}}, "unexpected keyword"),
    ({"kind": "network", "options": {"T": 0}}, "network"),
    ({"kind": "network", "options": {"testcase": "x"}}, "testcase 'x' unknown"),
    ({"kind": "cocotb", "unit": "update"}, "needs testbench"),
    ({"kind": "cocotb", "unit": "update", "testbench": "/nonexistent"}, "no spikegrad_launch.py"),
    ({"kind": "cocotb", "unit": "adder", "testbench": SPIKEGRAD_TB}, "cocotb unit 'adder'"),
    ({"kind": "synth", "unit": "no_such_unit"}, "no unit named 'no_such_unit'"),
    ({"kind": "synth", "unit": "smoke_acc", "target": "asic"}, "target 'asic' unknown"),
])
def test_bad_rtl_jobs_are_refused(job, msg):
    with pytest.raises(ConfigError, match=msg):
        study_from_dict({"job": [job]})


def test_rtl_jobs_expand_into_rtl_runs():
    study = study_from_dict({"job": [
        {"kind": "network", "options": {"n_train": 2}, "grid": {"T": [4, 8]}},
        {"kind": "cocotb", "testbench": SPIKEGRAD_TB, "grid": {"unit": ["gate", "spikegrad_fanout"]}},
        {"kind": "synth", "unit": "smoke_acc", "grid": {"in_width": [4, 8]}}]})
    assert [r.kind for r in study.runs] == ["network"] * 2 + ["cocotb"] * 2 + ["synth"] * 2
    for run in study.runs:
        assert run.argv[:3] == ("-m", "snnforge.sweep.rtl", run.kind) and not run.resume_argv
        assert {k: v for k, v in json.loads(run.argv[4]).items() if k != "testbench"} == \
            {k: v for k, v in run.params.items() if k != "testbench"}
    assert study.runs[2].run_id.startswith("gate-")


@pytest.mark.slow
@pytest.mark.hw
def test_rtl_study_runs_network_unit_and_synth(tmp_path):
    """A small RTL study: the network top on Verilator, a SpikeGrad unit, a synthesis run."""
    study = study_from_dict({"name": "rtl", "job": [
        {"kind": "network", "options": {"n_train": 3, "n_eval": 3}},
        {"kind": "cocotb", "testbench": SPIKEGRAD_TB, "unit": "update",
         "options": {"weight_bits": 8, "error_bits": 6, "count_bits": 4, "lr_mult": 1,
                     "lr_shift": 0, "count": 500}},
        {"kind": "synth", "unit": "smoke_acc"}]})
    res = run_study(study, tmp_path / "sweep", workers=2, quiet=True)
    assert res.failed == [] and len(res.done) == 3
    rows = {r["kind"]: r for r in res.rows}
    assert rows["network"]["passed"] and rows["network"]["train_steps_checked"] == 3 * 8
    assert rows["cocotb"]["passed"] and rows["cocotb"]["cycles"] > 500
    assert rows["synth"]["lut"] > 0


def test_sweep_study_benchmark_short(tmp_path):
    import subprocess

    study = tmp_path / "seeds.toml"
    study.write_text('name = "seeds"\n[[job]]\nalgo = "ssnn-bp"\n'
                     'options = { dataset = "mnist-sample", train-limit = 60, test-limit = 40, '
                     'epochs = 1, hidden = 8, engine = "numpy", no-plots = true }\n'
                     'grid = { seed = [0, 1] }\n')
    result = tmp_path / "result.json"
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "sweep_study.py"
    proc = subprocess.run([sys.executable, str(script), str(study), "--out", str(tmp_path / "s"),
                           "--workers", "2", "--result", str(result)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(result.read_text())
    assert res["runs"] == res["done"] == 2 and res["failed"] == []
    assert len(res["sessions"]) == 1 and res["sessions"][0]["queued"] == 2
    assert res["sum_of_run_wall_s"] == pytest.approx(sum(r["wall_s"] for r in res["rows"]))
    (summary,) = res["summary_over_seeds"]
    assert summary["runs"] == 2 and summary["seeds"] == "0 1"
    assert summary["accuracy_mean"] == pytest.approx(
        sum(r["accuracy"] for r in res["rows"]) / 2)


@pytest.mark.parametrize("path", sorted(
    (Path(__file__).resolve().parents[1] / "benchmarks" / "studies").glob("*.toml")),
    ids=lambda p: p.name)
def test_shipped_studies_expand(path):
    study = load_study(path)
    assert study.runs and len({r.run_id for r in study.runs}) == len(study.runs)
