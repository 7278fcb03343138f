"""`tui-lstm sweep` on this machine's pool: planning, the folder, failures, stops and resuming.

The cluster's side (the same sweep on Dask, a worker killed) is in test_sweep_cluster.py.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tui_lstm.cli import main
from tui_lstm.config import PRESETS
from tui_lstm.runs import FORMAT, load_run
from tui_lstm.sweep.executors import LocalPool
from tui_lstm.sweep.folder import RESULTS, SWEEP, ResultRow, SweepFolder, read_plan
from tui_lstm.sweep.plan import NAME_LENGTH, PlanError, SweepPlan, parse_axis, parse_seeds, run_name
from tui_lstm.sweep.runner import SweepRunner

COMMAND = [sys.executable, "-m", "tui_lstm.cli"]
TINY = ["--preset", "fast", "--epochs", "2", "--samples", "64", "--test-samples", "10", "--bits", "4"]


def sweep(*argv: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, "sweep", *argv], capture_output=True, text=True, **kwargs)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def rows_of(folder: Path) -> list[dict]:
    with open(folder / RESULTS, newline="") as f:
        return list(csv.DictReader(f))


def by_name(rows: list[dict]) -> dict[str, dict]:
    """results.csv's rows by run, without the figures that are timings."""
    timings = ("train_seconds", "seconds_to_exact")
    return {row["name"]: {key: value for key, value in row.items() if key not in timings} for row in rows}


# --- the plan ------------------------------------------------------------------------


def test_a_grid_makes_every_combination_with_every_seed():
    plan = SweepPlan("fast", {"epochs": 3}, dict([parse_axis("cell=lstm,gru"), parse_axis("hidden=8,16")]), (5, 6))
    runs = plan.runs()
    assert [(run.config.cell, run.config.hidden, run.config.seed) for run in runs] == [
        (cell, hidden, seed) for cell in ("lstm", "gru") for hidden in (8, 16) for seed in (5, 6)
    ]
    assert all(run.config.epochs == 3 and run.config.preset == "fast" for run in runs)
    assert runs[0].name == "cell-lstm_hidden-8_seed-5"
    assert SweepPlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan


def test_a_grid_over_presets_starts_each_point_from_its_preset():
    plan = SweepPlan("fast", {"epochs": 2}, dict([parse_axis("preset=iamtrask-rnn,gru")]), (0,))
    configs = [run.config for run in plan.runs()]
    assert [(c.preset, c.cell, c.epochs) for c in configs] == [("iamtrask-rnn", "rnn", 2), ("gru", "gru", 2)]


def test_names_are_the_same_everywhere_and_long_ones_end_in_a_hash():
    point = {"state_noise": 0.25, "noise_rise": 0.02, "noise_max": 1.0, "halve_lr_on_rise": True, "batch_size": 64}
    name = run_name(point, 12)
    assert name == run_name(dict(point), 12) and len(name) <= NAME_LENGTH
    assert name != run_name({**point, "batch_size": 65}, 12)  # the hash tells them apart
    assert run_name({"lr": 0.05}, 0) == "lr-0.05_seed-0"


def test_values_one_name_cannot_tell_apart_are_refused():
    plan = SweepPlan("fast", {}, {"lr": (0.1234561, 0.1234562)}, (0,))
    with pytest.raises(PlanError, match="would share the folder"):
        plan.runs()


@pytest.mark.parametrize(
    "text, says",
    [
        ("seeds=1", "no setting named 'seeds'"),
        ("hidden=8,x", "'x' is not a valid int"),
        ("hidden=0", "hidden must be between 1 and 4,096"),
        ("cell=", "no values"),
        ("cell=lstm,lstm", "given twice"),
        ("seed=1,2", "not a grid axis"),
        ("cell", "write it as field=value"),
    ],
)
def test_bad_axes_are_refused(text, says):
    with pytest.raises(PlanError, match=says):
        parse_axis(text)


def test_seeds_are_a_count_from_the_base_seed_or_a_list():
    assert parse_seeds("3", 10) == (10, 11, 12)
    assert parse_seeds("3,7,11", 0) == (3, 7, 11)
    for text in ("0", "x", "5,5", "-1,2", ","):
        with pytest.raises(PlanError):
            parse_seeds(text, 0)


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--grid", "cel=lstm"], "no setting named 'cel'"),
        (["--grid", "hidden=8,eight"], "'eight' is not a valid int"),
        (["--grid", "hidden="], "no values"),
        (["--grid", "hidden=8", "--grid", "hidden=16"], "given twice"),
        (["--grid", "hidden=8", "--hidden", "4"], "give one of them"),
        (["--grid", "cell=lstm,mgu", "--preset", "report-keras"], "cell=mgu: "),  # a point the backend refuses
        (["--seeds", "0"], "--seeds must be between 1"),
        (["--seed", "4294967295", "--seeds", "2"], "not 4,294,967,296"),
        (["--workers", "0"], "--workers must be between 1"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, monkeypatch, capsys, argv, says):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", *TINY, *argv]) == 2
    captured = capsys.readouterr()
    assert one_line(captured.err).startswith("tui-lstm: error: ") and says in captured.err
    assert captured.out == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--resume"], "--resume needs --out"),
        (["--resume", "--out", "nowhere"], "nowhere: no sweep there"),
    ],
)
def test_resuming_nothing_is_one_line_exit_2(tmp_path, monkeypatch, capsys, argv, says):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", *argv]) == 2
    captured = capsys.readouterr()
    assert one_line(captured.err).startswith("tui-lstm: error: ") and says in captured.err
    assert captured.out == "" and list(tmp_path.iterdir()) == []


def test_a_run_too_big_for_a_worker_is_refused_before_any_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("tui_lstm.resources.available", lambda: 8 * 10**9)
    assert main(["sweep", "--grid", "samples=100,10000000", "--bits", "64", "--workers", "2"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("tui-lstm: error: samples-10000000_seed-0: --samples 10,000,000 at 64 bits needs about")
    assert line.endswith("4.0 GB is available")  # the machine's memory shared by its two workers
    assert list(tmp_path.iterdir()) == []


def test_a_dry_run_lists_every_run_with_estimates_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", *TINY, "--grid", "hidden=4,8", "--seeds", "2", "--dry-run", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [run["name"] for run in listed["runs"]] == [f"hidden-{h}_seed-{s}" for h in (4, 8) for s in (0, 1)]
    assert all(run["seconds"] > 0 and run["bytes"] > 0 for run in listed["runs"])
    assert listed["seconds"] == pytest.approx(sum(run["seconds"] for run in listed["runs"]))
    assert list(tmp_path.iterdir()) == []


# --- running on the pool -------------------------------------------------------------


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("sweeps") / "cells"
    done = sweep(*TINY, "--grid", "cell=lstm,gru", "--grid", "hidden=4,8", "--seeds", "2", "--out", str(out), "--json")
    return out, done


def test_a_sweep_writes_its_plan_a_run_folder_per_run_and_a_row_each(swept):
    out, done = swept
    assert done.returncode == 0, done.stderr
    names = {f"cell-{c}_hidden-{h}_seed-{s}" for c in ("lstm", "gru") for h in (4, 8) for s in (0, 1)}
    assert {path.name for path in out.iterdir() if path.is_dir()} == names
    plan = json.loads((out / SWEEP).read_text())
    assert plan["grid"] == {"cell": ["lstm", "gru"], "hidden": [4, 8]} and plan["seeds"] == [0, 1]
    assert plan["base"]["epochs"] == 2 and plan["format"] == FORMAT
    rows = rows_of(out)
    assert sorted(row["name"] for row in rows) == sorted(names)
    for row in rows:  # each row is its run's folder
        run = load_run(out / row["name"])
        assert (run.config.cell, run.config.hidden, run.config.seed) == (
            row["cell"],
            int(row["hidden"]),
            int(row["seed"]),
        )
        assert row["state"] == run.record.state == "finished" and int(row["epochs_run"]) == 2
        assert float(row["eval_exact_accuracy"]) == run.record.summary.eval_exact_accuracy
        assert float(row["exact_64bit"]) == run.record.summary.generalization[64]


def test_a_run_of_a_sweep_opens_and_evaluates_like_any_other(swept, capsys):
    out, _ = swept
    assert main(["eval", str(out / "cell-gru_hidden-8_seed-1"), "--json"]) == 0
    row = next(row for row in rows_of(out) if row["name"] == "cell-gru_hidden-8_seed-1")
    assert json.loads(capsys.readouterr().out)["exact_accuracy"] == float(row["eval_exact_accuracy"])


def test_the_json_sums_up_each_grid_point_over_its_seeds(swept):
    out, done = swept
    result = json.loads(done.stdout)
    assert result["sweep"] == str(out) and len(result["runs"]) == 8
    points = {(p["point"]["cell"], p["point"]["hidden"]): p for p in result["points"]}
    assert list(points) == [("lstm", 4), ("lstm", 8), ("gru", 4), ("gru", 8)]
    for (cell, hidden), point in points.items():
        exact = [
            r["eval_exact_accuracy"] for r in result["runs"] if r["name"].startswith(f"cell-{cell}_hidden-{hidden}_")
        ]
        mean = sum(exact) / 2
        assert point["runs"] == 2 and point["exact_mean"] == pytest.approx(mean)
        assert point["exact_std"] == pytest.approx((sum((e - mean) ** 2 for e in exact)) ** 0.5)  # n - 1 = 1


def test_progress_in_a_pipe_is_a_line_per_run(swept):
    _, done = swept
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 8 and all(": finished after 2 epochs" in line for line in lines)
    assert lines[-1].startswith("[8/8] ")


def test_an_existing_sweep_is_refused_without_resume_and_resume_redoes_nothing_done(swept):
    out, _ = swept
    again = sweep(*TINY, "--grid", "hidden=4", "--out", str(out))
    assert again.returncode == 2 and "add --resume" in one_line(again.stderr)
    before = (out / RESULTS).read_bytes()
    resumed = sweep("--out", str(out), "--resume")
    assert resumed.returncode == 0 and resumed.stderr == ""  # no run to do
    assert (out / RESULTS).read_bytes() == before
    changed = sweep("--out", str(out), "--resume", "--epochs", "3")
    assert changed.returncode == 2 and "as it was planned" in one_line(changed.stderr)


def test_a_second_sweep_in_the_same_folder_is_refused_while_the_first_runs(swept):
    out, _ = swept
    first = SweepFolder.open(out)
    try:
        from tui_lstm.runs import RunError

        with pytest.raises(RunError, match="another sweep is running in it"):
            SweepFolder.open(out)
    finally:
        first.unlock()


def test_resume_redoes_a_run_whose_row_or_folder_is_missing_or_cut_short(swept, tmp_path):
    out, _ = swept
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(out), str(copy)], check=True)
    (copy / ".lock").unlink()
    header, *lines = (copy / RESULTS).read_text().splitlines(keepends=True)
    lost_row, cut_name = "cell-lstm_hidden-4_seed-1", "cell-lstm_hidden-8_seed-0"  # its row goes; its row is cut
    kept = [line for line in lines if f",{lost_row}," not in line and f",{cut_name}," not in line]
    cut = next(line for line in lines if f",{cut_name}," in line)[:30]
    (copy / RESULTS).write_text(header + "".join(kept) + cut)
    subprocess.run(["rm", "-r", str(copy / "cell-gru_hidden-8_seed-1")], check=True)
    resumed = sweep("--out", str(copy), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    redone = {line.split(": ")[0].split("] ")[1] for line in resumed.stderr.strip().splitlines()}
    assert redone == {lost_row, cut_name, "cell-gru_hidden-8_seed-1"}
    assert by_name(rows_of(copy)) == by_name(rows_of(out))  # the same runs
    for name in redone:
        assert (copy / name / "history.csv").read_bytes() == (out / name / "history.csv").read_bytes()


FORMAT_2_SWEEP = Path(__file__).parent / "fixtures" / "sweeps" / "format2-fast"


def test_resuming_a_format_2_sweep_runs_the_configs_it_was_planned_with(tmp_path):
    """A sweep of fast planned in format 2 (by 9d65920: fast then had 80 epochs and no
    lr_anneal_from; now 100 and 61), its hidden=8 run missing: --resume runs that run
    as it was planned, from the stored base, not from today's preset."""
    copy = tmp_path / "sweep"
    shutil.copytree(FORMAT_2_SWEEP, copy)
    planned = (copy / SWEEP).read_bytes()
    base = json.loads(planned)["base"]
    assert base["epochs"] == 80 and "lr_anneal_from" not in base  # what the fixture holds
    resumed = sweep("--out", str(copy), "--resume", "--workers", "1")
    assert resumed.returncode == 0, resumed.stderr
    config = json.loads((copy / "hidden-8_seed-0" / "config.json").read_text())
    assert config["lr_anneal_from"] == 0 and config["hidden"] == 8
    assert {name: config[name] for name in base if name != "hidden"} == {k: v for k, v in base.items() if k != "hidden"}
    rows = by_name(rows_of(copy))
    kept = by_name(rows_of(FORMAT_2_SWEEP))["hidden-4_seed-0"]
    assert rows["hidden-4_seed-0"] == kept  # the done run's row, untouched
    assert set(rows) == {"hidden-4_seed-0", "hidden-8_seed-0"}
    assert (rows["hidden-8_seed-0"]["hidden"], rows["hidden-8_seed-0"]["state"]) == ("8", "finished")
    assert rows["hidden-8_seed-0"]["epochs_run"] == kept["epochs_run"] == "80"
    assert (copy / SWEEP).read_bytes() == planned


# --- failures, lost workers and stops ------------------------------------------------


class ThreadExecutor:
    """The executor seam on threads, so a test can make one run fail in this process."""

    workers = 2

    def __init__(self):
        self.pool = ThreadPoolExecutor(2)
        self.stop_event = multiprocessing.Event()

    def submit(self, fn, /, *args):
        return self.pool.submit(fn, *args)

    def lost(self, future, error):
        return False

    def stop_handle(self):
        return self

    poll = 0.0

    def signal(self):
        return self.stop_event

    def stop(self):
        self.stop_event.set()

    def memory_room(self):
        return None

    def shutdown(self, wait=True, *, cancel_futures=False):
        self.pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_a_failed_run_is_its_row_with_one_line_and_the_sweep_goes_on(tmp_path, monkeypatch):
    from tui_lstm.session import Session

    real = Session.train

    def train(self, config, **kwargs):
        if config.hidden == 8 and config.seed == 1:
            raise FloatingPointError("overflow in the\nforward pass")
        return real(self, config, **kwargs)

    monkeypatch.setattr(Session, "train", train)
    plan = SweepPlan("fast", {"epochs": 1, "samples": 32, "test_samples": 5, "bits": 3}, {"hidden": (4, 8)}, (0, 1))
    runner = SweepRunner(SweepFolder.create(tmp_path / "s", plan), ThreadExecutor())
    assert runner.run() == 1  # a run failed
    rows = {row["name"]: row for row in rows_of(tmp_path / "s")}
    assert len(rows) == 4 and rows["hidden-8_seed-1"]["state"] == "failed"
    assert rows["hidden-8_seed-1"]["error"] == "FloatingPointError: overflow in the forward pass"
    assert not (tmp_path / "s" / "hidden-8_seed-1").exists()
    assert all(rows[name]["state"] == "finished" for name in rows if name != "hidden-8_seed-1")


def test_a_run_that_diverges_in_its_first_epoch_is_done_with_its_row(tmp_path):
    """Diverged is a result, even with no epoch to keep: resuming must not run it again."""
    diverging = {"cell": "rnn", "activation": "relu", "init": "uniform-1", "optimizer": "sgd", "lr": 1.0}
    settings = {**diverging, "hidden": 64, "samples": 64, "epochs": 3, "state_noise": 0.0, "noise_rise": 0.0}
    plan = SweepPlan("fast", settings, {"batch_size": (32,)}, (0,))
    runner = SweepRunner(SweepFolder.create(tmp_path / "s", plan), ThreadExecutor())
    assert runner.run() == 0
    (row,) = rows_of(tmp_path / "s")
    assert row["state"] == "diverged" and row["epochs_run"] == "0"
    assert load_run(tmp_path / "s" / row["name"]).record.state == "diverged"


def test_a_pool_broken_by_a_dead_worker_is_replaced_and_its_runs_done_again(tmp_path):
    plan = SweepPlan("report", {"epochs": 3, "samples": 2000}, {"hidden": (8, 16, 32)}, (0,))
    killed = []

    def kill_a_worker(tally, run, row):
        children = multiprocessing.active_children()
        if not killed and tally.running and children:
            time.sleep(0.5)  # into a run
            killed.append(children[0].pid)
            os.kill(children[0].pid, signal.SIGKILL)

    runner = SweepRunner(SweepFolder.create(tmp_path / "s", plan), LocalPool(2), kill_a_worker)
    assert runner.run() == 0 and killed
    rows = rows_of(tmp_path / "s")
    assert sorted(row["name"] for row in rows) == ["hidden-16_seed-0", "hidden-32_seed-0", "hidden-8_seed-0"]
    assert all(row["state"] == "finished" for row in rows)


def test_ctrl_c_keeps_finished_runs_stops_running_ones_and_resume_finishes_the_same_sweep(tmp_path):
    out, whole = tmp_path / "stopped", tmp_path / "whole"
    # The first run is over in a tenth of a second; the others take seconds, so they are still running when
    # Ctrl+C arrives (with 3,000 and 5,000 samples the second run at times landed first on a loaded machine).
    argv = ["--preset", "fast", "--bits", "4", "--epochs", "30", "--grid", "samples=100,12000,16000", "--workers", "2"]
    process = subprocess.Popen([*COMMAND, "sweep", *argv, "--out", str(out)], stderr=subprocess.PIPE, text=True)
    process.stderr.readline()  # the first run has landed
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].endswith(f"tui-lstm sweep --out {out} --resume finishes the sweep")
    rows = rows_of(out)
    states = sorted(row["state"] for row in rows)
    assert states[0] == "finished" and states[1:] in (["stopped"], ["stopped", "stopped"])
    for row in rows:
        assert load_run(out / row["name"]).record.state == row["state"]
    assert sweep("--out", str(out), "--resume").returncode == 0
    assert sweep(*argv, "--out", str(whole)).returncode == 0
    assert by_name(rows_of(out)) == by_name(rows_of(whole))
    for row in rows_of(whole):
        assert (out / row["name"] / "history.csv").read_bytes() == (whole / row["name"] / "history.csv").read_bytes()


def test_a_sweep_over_presets_resumes_each_preset_as_it_was_planned(tmp_path, monkeypatch):
    """Every preset on a grid's preset axis is stored with its settings when the sweep is
    planned: a preset changed since (as fast's epochs once were) does not change the runs
    a resumed sweep makes, for the sweep's own preset or any other on the axis."""
    plan = SweepPlan("fast", {"bits": 4}, {"preset": ("fast", "iamtrask-rnn", "gru")}, (0,))
    planned = {run.name: run.config for run in plan.runs()}
    SweepFolder.create(tmp_path / "s", plan).unlock()
    for name, changed in (("fast", {"epochs": 7}), ("iamtrask-rnn", {"hidden": 3}), ("gru", {"lr": 0.25})):
        monkeypatch.setitem(PRESETS, name, {**PRESETS[name], **changed})
    resumed = {run.name: run.config for run in read_plan(tmp_path / "s").runs()}
    assert resumed == planned
    assert {config.bits for config in resumed.values()} == {4}  # the flags given, over every preset
    today = {run.name: run.config for run in SweepPlan("fast", {"bits": 4}, plan.grid, (0,)).runs()}
    assert all(today[name] != planned[name] for name in planned)  # what the changed presets would make


@pytest.mark.parametrize(
    "damage, says",
    [
        ({"base": [1]}, "a base is list"),
        ({"bases": [1]}, "its bases are list"),
        ({"bases": {"gru": "fast"}}, "a base is str"),
        ({"bases": {"gru": {"hidden": 4}}}, "missing setting"),
    ],
)
def test_a_damaged_base_in_sweep_json_is_refused_in_one_line_and_nothing_changes(tmp_path, damage, says):
    plan = SweepPlan("fast", {"epochs": 2}, {"preset": ("fast", "gru")}, (0,))
    SweepFolder.create(tmp_path / "s", plan).unlock()
    data = json.loads((tmp_path / "s" / SWEEP).read_text())
    (tmp_path / "s" / SWEEP).write_text(json.dumps({**data, **damage}))
    before = sorted((path.name, path.read_bytes()) for path in (tmp_path / "s").iterdir())
    resumed = sweep("--out", str(tmp_path / "s"), "--resume")
    assert resumed.returncode == 2 and says in one_line(resumed.stderr)
    assert sorted((path.name, path.read_bytes()) for path in (tmp_path / "s").iterdir()) == before


def test_result_rows_read_back_as_written(tmp_path):
    plan = SweepPlan("fast", {}, {"lr": (0.1,)}, (0,))
    folder = SweepFolder.create(tmp_path / "s", plan)
    row = ResultRow("lr-0.1_seed-0", 0, "finished", 3, 0.123456789012345, 2, 0.1, 1.0, 0.99993896484375, None, "")
    folder.append(row, {"lr": 0.1})
    assert folder.read_rows() == [row]
    folder.unlock()
