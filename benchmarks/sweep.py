"""What a second worker gains a sweep, here and on a Dask cluster, and what the seam costs a run.

The same runs of the ``fast`` preset (20 by default: seeds 0..19, the preset as it is, 80
epochs, some 5 s each on an idle core), through the runner that ``tui-lstm sweep``
drives (``command.execute``'s, without its progress line, so that each run's time inside
its worker, which results.csv does not keep, can be summed):

- this machine's spawn pool with 1 worker, then 2: wall time of each and the speed-up
  (target >= 1.7x on 2 cores);
- a local Dask cluster of two single-threaded workers, each under a nanny (``dask
  scheduler`` and ``dask worker``, started by this script before the clock starts;
  connecting and the version check are timed), against the 1-worker pool as the
  sequential run: speed-up (target >= 1.5x). Dask's nanny starts its workers with
  ``MALLOC_TRIM_THRESHOLD_=65536`` (``distributed.nanny.pre-spawn-environ``), which pins
  glibc's mmap threshold at 128 KB: every NumPy temporary above that (an epoch's scoring
  of 16,384 pairs makes many) is mapped and faulted in afresh. So the cluster is measured
  twice, as Dask starts it and with that variable unset, to show what it costs;
- the seam's cost per run (target < 50 ms): the 1-worker pool's wall time less the time
  its runs spent in the worker, over the runs; the pool's start-up (spawning its worker
  and importing tui-lstm there, once a sweep) is measured apart and taken out. Then the
  parts: an empty task's round trip through each executor (dispatch and result
  transfer), and the client's own work per run, timed in this process on the runs just
  made: a RunResult pickled and unpickled (as the pool carries it), and the run's folder
  and results.csv row written. The pool holds one run more than it has workers, so the
  worker trains the next run while the client writes: that write is hidden from the
  wall time, and is shown on its own.

The machine's load average is printed at the start and the end: other work on the
cores slows the 2-worker sweeps, never the 1-worker one as much.

    python benchmarks/sweep.py [--runs 20] [--epochs EPOCHS]
"""

from __future__ import annotations

import argparse
import os
import pickle
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tui_lstm.runs import load_run
from tui_lstm.sweep.executors import LocalPool, cores, make_executor
from tui_lstm.sweep.folder import ResultRow, SweepFolder
from tui_lstm.sweep.plan import SweepPlan
from tui_lstm.sweep.runner import SweepRunner
from tui_lstm.sweep.task import FirstExact, RunResult

WORKERS = 2
ROUND_TRIPS = 50
# Dask's own setting, and the same with glibc's malloc left to adapt its thresholds
NANNY_ENVIRONS = {
    "": {},
    ", no malloc trim": {"DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON": "{'MALLOC_TRIM_THRESHOLD_': None}"},
}


def timed_sweep(plan: SweepPlan, out: Path, workers: int | None = None, cluster: str | None = None):
    """(wall seconds from making the executor to its shutdown, each run's seconds in its worker)."""
    seen = {}
    started = time.perf_counter()
    executor = make_executor(workers, cluster)
    runner = SweepRunner(SweepFolder.create(out, plan), executor, lambda tally, run, row: seen.update(tally=tally))
    status = runner.run()
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{out}: the sweep ended with status {status}; its figures would mean nothing")
    return wall, seen["tally"].run_seconds


def pool_start_seconds() -> float:
    """A new 1-worker pool until its worker can take a run: spawned, and tui-lstm's task
    module imported (unpickling a callable from it does that)."""
    started = time.perf_counter()
    pool = LocalPool(1)
    try:
        pool.submit(FirstExact).result()
        return time.perf_counter() - started
    finally:
        pool.shutdown()


def round_trip_seconds(executor) -> float:
    """The median time an empty task takes to go out through ``executor``, run and come back,
    once its workers are warm; the executor is shut down after."""
    executor.submit(os.getpid).result()
    times = []
    for _ in range(ROUND_TRIPS):
        started = time.perf_counter()
        executor.submit(os.getpid).result()
        times.append(time.perf_counter() - started)
    executor.shutdown()
    return statistics.median(times)


def client_seconds(made: Path, plan: SweepPlan) -> tuple[float, float, float]:
    """Per run, for the runs in the sweep folder ``made``: (seconds to pickle and unpickle
    its RunResult, bytes pickled, seconds to write its folder and row into a new sweep)."""
    runs = plan.runs()
    records = [load_run(made / run.name).record for run in runs]
    started = time.perf_counter()
    sizes = []
    for run, record in zip(runs, records):
        data = pickle.dumps(RunResult(run.name, record))
        pickle.loads(data)
        sizes.append(len(data))
    pickled = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as scratch:
        folder = SweepFolder.create(Path(scratch) / "sweep", plan)
        started = time.perf_counter()
        for run, record in zip(runs, records):
            folder.save(run, record)
            folder.append(ResultRow.of(run, record), run.point)
        written = time.perf_counter() - started
        folder.unlock()
    return pickled / len(runs), statistics.fmean(sizes), written / len(runs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalDask:
    """A Dask scheduler and ``WORKERS`` single-threaded worker processes on 127.0.0.1, each
    command in its own process group so that ending it ends everything it started."""

    def __init__(self, logs: Path, environ: dict[str, str]):
        from distributed import Client

        port = free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        dask = str(Path(sys.executable).parent / "dask")
        commands = [
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            [dask, "worker", self.address, "--nworkers", str(WORKERS), "--nthreads", "1", "--no-dashboard"],
        ]
        self.processes = []
        try:
            for n, command in enumerate(commands):
                with open(logs / f"dask-{port}-{n}.log", "wb") as log:
                    self.processes.append(
                        subprocess.Popen(
                            command,
                            env={**os.environ, **environ},
                            stdout=log,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
            with Client(self.address, timeout=30, set_as_default=False) as client:
                client.wait_for_workers(WORKERS, timeout=60)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for process in reversed(self.processes):  # the workers, then the scheduler
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of the fast preset, seeds 0, 1, ...")
    parser.add_argument("--epochs", type=int, help="epochs a run (default: the preset's)")
    args = parser.parse_args()

    overrides = {} if args.epochs is None else {"epochs": args.epochs}
    plan = SweepPlan("fast", overrides, {}, tuple(range(args.runs)))
    epochs = plan.runs()[0].config.epochs
    print(
        f"{args.runs} runs of fast, {epochs} epochs, seeds 0..{args.runs - 1}; {cores()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the start"
    )
    print(f"\n{'executor':34} {'wall s':>7} {'s a run':>8} {'busy':>5} {'speed-up':>9}")

    def show(name: str, workers: int, wall: float, inside: list[float], note: str) -> None:
        busy = sum(inside) / (wall * workers)
        mean = sum(inside) / len(inside)
        print(f"{name:34} {wall:>7.1f} {mean:>8.2f} {busy:>5.0%} {sequential / wall:>8.2f}x  {note}")

    dask_trips = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        start = pool_start_seconds()
        sequential, one = timed_sweep(plan, scratch / "pool-1", workers=1)
        show("local pool, 1 worker", 1, sequential, one, "(the sequential run)")
        wall, inside = timed_sweep(plan, scratch / "pool-2", workers=WORKERS)
        show(f"local pool, {WORKERS} workers", WORKERS, wall, inside, "(target >= 1.7x)")
        for n, (variant, environ) in enumerate(NANNY_ENVIRONS.items()):
            cluster = LocalDask(scratch, environ)
            try:
                wall, inside = timed_sweep(plan, scratch / f"dask-{n}", cluster=cluster.address)
                dask_trips[variant] = round_trip_seconds(make_executor(None, cluster.address))
            finally:
                cluster.close()
            show(f"Dask, {WORKERS} workers{variant}", WORKERS, wall, inside, "(target >= 1.5x)")
        pool_trip = round_trip_seconds(LocalPool(1))
        pickled, size, written = client_seconds(scratch / "pool-1", plan)

    seam = (sequential - sum(one)) / args.runs
    print(
        f"\nseam per run, 1-worker pool: ({sequential:.2f} s wall - {sum(one):.2f} s in the worker) / {args.runs} "
        f"= {seam * 1e3:.0f} ms, of which the pool's start-up {start:.2f} s / {args.runs} = "
        f"{start / args.runs * 1e3:.0f} ms: {(seam - start / args.runs) * 1e3:.0f} ms a run after start-up "
        f"(target < 50 ms)"
    )
    trips = ", ".join(f"Dask{variant} {seconds * 1e3:.2f} ms" for variant, seconds in dask_trips.items())
    print(f"an empty task's round trip (median of {ROUND_TRIPS}): pool {pool_trip * 1e3:.2f} ms, {trips}")
    print(
        f"the client's work per run: its RunResult pickled and unpickled {pickled * 1e3:.2f} ms ({size / 1e3:.0f} KB), "
        f"its folder and row written {written * 1e3:.1f} ms (while the worker trains the next run)"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
