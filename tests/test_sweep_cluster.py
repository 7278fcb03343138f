"""`tui-lstm sweep --cluster` against a real Dask cluster that this module starts.

A scheduler and one ``dask worker`` with two single-threaded worker processes (each
under a nanny) run as subprocesses on 127.0.0.1 for the whole module, in their own
process group, which is always ended. What is checked is what the local pool promises
too, now across the network seam: the same numbers as on this machine, no run lost or
run twice when a worker dies, a refusal in one line before anything is written, Ctrl+C
keeping what is done so that --resume finishes the rest, and a scheduler lost mid-sweep
not passing for a finished sweep.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import tui_lstm
from tui_lstm.cli import main
from tui_lstm.runs import HISTORY, load_run
from tui_lstm.sweep.cluster import CONNECT_SECONDS
from tui_lstm.sweep.folder import LOCK, RESULTS, SWEEP, read_plan

distributed = pytest.importorskip("distributed", reason="the cluster tests need Dask: pip install 'tui-lstm[cluster]'")

COMMAND = [sys.executable, "-m", "tui_lstm.cli", "sweep"]
WORKERS = 2
TIMINGS = ("train_seconds", "seconds_to_exact")  # the figures two machines may not agree on
# 8 runs of well under a second: enough to spread over both workers
SMALL = ["--preset", "fast", "--grid", "cell=lstm,gru", "--grid", "hidden=4,8", "--seeds", "2"]
SMALL += ["--epochs", "3", "--samples", "64", "--test-samples", "10"]
# runs of about 1.7 s, some 45 ms an epoch (5x that on a busy machine): long enough to be
# caught in the middle, and a run is some epochs in 0.6 s after it starts
LONG = ["--preset", "fast", "--epochs", "30", "--samples", "128", "--test-samples", "10"]


def free_port() -> int:
    """A port nothing listens on (the OS's pick, released again)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def end_group(process: subprocess.Popen) -> None:
    """End ``process`` and everything it started (its own process group): politely, then not."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            pass
        os.killpg(process.pid, signal.SIGKILL)  # what is left of the group, if anything
    except ProcessLookupError:
        pass  # the whole group is gone
    process.wait()


class Cluster:
    """A running cluster: its address, its processes, and a client of the test's own to look into it."""

    def __init__(self, address: str, client, processes: list[subprocess.Popen], workers: int):
        self.address, self.client, self.processes, self.workers = address, client, processes, workers

    def worker_pids(self) -> dict[str, int]:
        return self.client.run(os.getpid)

    def ready(self) -> Cluster:
        """Wait until every worker is up (again, after a test killed one)."""
        self.client.wait_for_workers(self.workers, timeout=60)
        return self


@contextmanager
def local_cluster(here: Path, workers: int):
    """A scheduler and ``workers`` single-threaded worker processes on a free local port,
    each command in its own process group, all ended on leaving."""
    dask = str(Path(sys.executable).parent / "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    commands = [
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        [dask, "worker", address, "--nworkers", str(workers), "--nthreads", "1", "--no-dashboard"],
    ]
    processes, client = [], None
    try:
        for n, command in enumerate(commands):
            with open(here / f"dask-{port}-{n}.log", "wb") as log:
                processes.append(
                    subprocess.Popen(command, cwd=here, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
                )
        client = distributed.Client(address, timeout=30, set_as_default=False)
        yield Cluster(address, client, processes, workers).ready()
    finally:
        if client is not None:
            client.close()
        for process in reversed(processes):  # the workers, then the scheduler
            end_group(process)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """The cluster most tests share, for the whole module."""
    with local_cluster(tmp_path_factory.mktemp("dask"), WORKERS) as cluster:
        yield cluster


@pytest.fixture
def cluster(dask_cluster) -> Cluster:
    return dask_cluster.ready()


def rows_of(folder: Path) -> list[dict]:
    with open(folder / RESULTS, newline="") as f:
        return list(csv.DictReader(f))


def without_timings(rows: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in row.items() if k not in TIMINGS} for row in rows), key=lambda row: row["name"])


def planned(folder: Path) -> list[str]:
    return sorted(run.name for run in read_plan(folder).runs())


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {seconds} s")
        time.sleep(0.05)
    return found


def landed(folder: Path, state: str = "finished") -> list[dict]:
    """The rows in ``state`` so far: results.csv is appended to as each run lands."""
    try:
        return [row for row in rows_of(folder) if row["state"] == state]
    except FileNotFoundError:
        return []


def assert_complete(folder: Path) -> None:
    """Every planned run is in results.csv once, finished, and its folder is a whole run."""
    names = planned(folder)
    rows = rows_of(folder)
    assert sorted(row["name"] for row in rows) == names
    assert {row["state"] for row in rows} == {"finished"}
    for name in names:
        record = load_run(folder / name).record
        assert record.state == "finished" and len(record.history) == record.config.epochs
    assert sorted(path.name for path in folder.iterdir()) == sorted([LOCK, RESULTS, SWEEP, *names])  # no leftovers


def ended(process: subprocess.Popen) -> None:
    """Kill a sweep a failed test left running (it starts no processes of its own)."""
    if process.poll() is None:
        process.kill()
        process.wait()


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tui-lstm: error:"), err
    return lines[0]


def test_a_sweep_on_the_cluster_gives_what_the_local_pool_gives(cluster, tmp_path):
    """A run's numbers come from its config and seed alone, on one BLAS thread: where it
    runs (a spawn pool's process, a Dask worker's thread) must not change a digit."""
    local, remote = tmp_path / "local", tmp_path / "cluster"
    assert main(["sweep", *SMALL, "--workers", "2", "--out", str(local)]) == 0
    assert main(["sweep", *SMALL, "--cluster", cluster.address, "--out", str(remote)]) == 0

    assert len(rows_of(local)) == 8
    assert without_timings(rows_of(remote)) == without_timings(rows_of(local))
    for name in planned(local):
        assert (remote / name / HISTORY).read_bytes() == (local / name / HISTORY).read_bytes(), name
        with np.load(local / name / "model.npz") as ours, np.load(remote / name / "model.npz") as theirs:
            assert sorted(theirs.files) == sorted(ours.files), name
            for key in ours.files:
                assert np.array_equal(theirs[key], ours[key]), f"{name}: {key}"


def test_a_worker_killed_mid_sweep_loses_no_run_and_repeats_none(cluster, tmp_path):
    """Dask gives a dead worker's task to another worker (the executor's ``lost`` leaves
    it to Dask): the run lands once, whole, and the sweep ends as if nothing happened."""
    out = tmp_path / "sweep"
    with open(tmp_path / "stderr", "wb") as log:
        argv = [*COMMAND, *LONG, "--seeds", "4", "--cluster", cluster.address, "--out", str(out)]
        sweep = subprocess.Popen(argv, stderr=log)
    try:
        busy = wait_for(lambda: [w for w, keys in cluster.client.processing().items() if keys], 60, "run on a worker")
        time.sleep(0.5)  # into the run
        os.kill(cluster.worker_pids()[busy[0]], signal.SIGKILL)  # its nanny starts another
        assert sweep.wait(120) == 0, (tmp_path / "stderr").read_text()
    finally:
        ended(sweep)
    assert_complete(out)


def test_a_cluster_running_another_version_is_refused_before_anything_is_written(
    cluster, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    theirs = tui_lstm.__version__  # what the workers import
    monkeypatch.setattr(tui_lstm, "__version__", "0.0.0-test")
    assert main(["sweep", *SMALL, "--cluster", cluster.address, "--out", "sweep"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"runs tui-lstm {theirs}; this is 0.0.0-test" in line
    assert list(tmp_path.iterdir()) == []


def test_an_address_nobody_listens_on_is_one_line_after_the_connect_timeout(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    assert main(["sweep", *SMALL, "--cluster", f"tcp://127.0.0.1:{free_port()}"]) == 2
    assert time.monotonic() - started < CONNECT_SECONDS + 10
    assert "cannot reach the Dask scheduler" in one_error_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


MALFORMED = ["notanaddress", "127.0.0.1", "tcp://", "tcp://127.0.0.1:abc", "tcp://[::1", "bogus://127.0.0.1:1"]
MALFORMED += ["tcp://127.0.0.1:99999", "tcp://127.0.0.1:0", "inproc://x"]


@pytest.mark.parametrize("address", MALFORMED)
def test_a_malformed_address_is_refused_in_one_line_without_trying_to_connect(tmp_path, monkeypatch, capsys, address):
    """No Client is made for an address Dask cannot parse (or a port no one can listen on):
    a half-made Client waits 20 s on its way out, and a port out of range is tried for
    CONNECT_SECONDS."""
    monkeypatch.chdir(tmp_path)
    made = []
    monkeypatch.setattr(distributed, "Client", lambda *args, **kwargs: made.append(args) or pytest.fail("connected"))
    assert main(["sweep", *SMALL, "--cluster", address]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"--cluster {address}:" in line and "cannot reach" not in line
    assert made == [] and list(tmp_path.iterdir()) == []


def test_a_malformed_address_leaves_nothing_else_on_standard_error_at_exit(tmp_path):
    """What the user sees: the one line, and no Client's complaint when the process ends."""
    sweep = subprocess.run(
        [*COMMAND, "--cluster", "notanaddress", "--preset", "fast", "--epochs", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert sweep.returncode == 2
    assert "--cluster notanaddress:" in one_error_line(sweep.stderr)
    assert sweep.stdout == "" and list(tmp_path.iterdir()) == []


def test_ctrl_c_keeps_the_runs_done_stops_the_running_ones_and_resume_finishes(cluster, tmp_path):
    """A running task cannot be cancelled, so a stop is cooperative (task.py): the runs it
    reaches stop at their next batch and must come back, to be kept as stopped, not be
    dropped as cancelled. A sweep that drops them still keeps a run that comes back within
    a tenth of a second of the signal, so it passes now and then."""
    out = tmp_path / "sweep"
    with open(tmp_path / "stderr", "wb") as log:
        argv = [*COMMAND, *LONG, "--seeds", "6", "--cluster", cluster.address, "--out", str(out)]
        sweep = subprocess.Popen(argv, stderr=log)
    try:
        wait_for(lambda: landed(out), 60, "run landed")
        time.sleep(0.6)  # the worker that landed it some epochs into its next run
        sweep.send_signal(signal.SIGINT)
        assert sweep.wait(60) == 130, (tmp_path / "stderr").read_text()
    finally:
        ended(sweep)

    finished, stopped = landed(out, "finished"), landed(out, "stopped")
    assert finished and len(finished) + len(stopped) == len(rows_of(out)) < 6
    assert stopped, "the runs running at Ctrl+C should come back as stopped, not vanish"
    for row in stopped:
        assert load_run(out / row["name"]).record.state == "stopped"
    kept = {row["name"]: (out / row["name"] / "model.npz").stat().st_mtime_ns for row in finished}

    assert main(["sweep", "--resume", "--cluster", cluster.address, "--out", str(out)]) == 0
    assert_complete(out)
    assert {name: (out / name / "model.npz").stat().st_mtime_ns for name in kept} == kept  # not run again


def test_a_sweep_whose_scheduler_dies_does_not_end_as_if_it_had_finished(tmp_path):
    """Its runs still to do are lost with the scheduler (the client's futures come back
    cancelled), so exit status 0, "every run finished", would be a lie."""
    out = tmp_path / "sweep"
    with local_cluster(tmp_path, 1) as doomed:
        with open(tmp_path / "stderr", "wb") as log:
            argv = [*COMMAND, *LONG, "--seeds", "4", "--cluster", doomed.address, "--out", str(out)]
            sweep = subprocess.Popen(argv, stderr=log)
        try:
            wait_for(lambda: landed(out), 60, "run landed")
            os.killpg(doomed.processes[0].pid, signal.SIGKILL)
            status = sweep.wait(60)
        finally:
            ended(sweep)
    done = len(rows_of(out))
    assert status != 0, f"exit status 0 with {done} of 4 runs in results.csv"
