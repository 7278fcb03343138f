"""The runs screen (c) over a thousand runs: scan, opening, and the terminal while runs land.

Builds a runs folder of 1,000 run folders in a temporary directory (the committed
recorded run copied, each copy with its own settings in config.json; 200 of them in a
sweep folder), then measures:

- catalog.scan: the index of every run, read from config.json and summary.json; target
  well under 1 s;
- opening: ``tui-lstm`` in a pseudo-terminal of 80x24 (as benchmarks/tui_latency.py runs
  it), ``c`` written until the table's title says it lists all 1,000; target under 1 s;
- output rate with the screen open: bytes written to the terminal per second while the
  folder is still, then while a new run folder lands every 0.5 s; target under 50 KB/s.

    python benchmarks/runs_screen.py [--runs 1000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # tui_latency's Terminal

from tui_latency import COLUMNS, ROWS, Terminal  # noqa: E402

from tui_lstm.catalog import scan  # noqa: E402
from tui_lstm.runs import PARTIAL  # noqa: E402
from tui_lstm.sweep.folder import SweepFolder  # noqa: E402
from tui_lstm.sweep.plan import SweepPlan  # noqa: E402

RECORDED = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "runs" / "format0-numpy"
SWEEP_RUNS = 200  # of the runs, in one sweep folder: 10 learning rates x 20 seeds


def copy_run(target: Path, **settings) -> None:
    """The recorded run at ``target`` with ``settings`` in its config.json: copied beside
    it under a hidden name and renamed into place, as a save lands."""
    config = json.loads((RECORDED / "config.json").read_text())
    partial = target.parent / f"{PARTIAL}{os.getpid()}-{target.name}"
    shutil.copytree(RECORDED, partial)
    (partial / "config.json").write_text(json.dumps({**config, **settings}))
    partial.rename(target)


def build(base: Path, runs: int) -> None:
    for i in range(runs - SWEEP_RUNS):
        copy_run(base / f"run-{i:04}", lr=0.01 * (1 + i % 7), hidden=8 + i % 3, seed=i)
    plan = SweepPlan("fast", {"bits": 4}, {"lr": tuple(0.01 * (1 + k) for k in range(10))}, tuple(range(20)))
    sweep = SweepFolder.create(base / "sweep-lr", plan)
    sweep.unlock()
    for run in plan.runs():
        copy_run(sweep.run_dir(run), lr=run.point["lr"], seed=run.seed)


def scan_seconds(base: Path, repeats: int = 5) -> tuple[float, int]:
    """(median seconds, runs found)."""
    times, found = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        found = len(scan(base))
        times.append(time.perf_counter() - started)
    return statistics.median(times), found


def on_screen(base: Path, runs: int, seconds: float) -> tuple[float, float, float]:
    """(seconds from c to all rows listed, bytes/s still, bytes/s while runs land)."""
    terminal = Terminal([])  # the console, on the runs folder ./runs
    try:
        terminal.wait_for(b"quit", timeout=20)
        terminal.press("c")
        opened = terminal.wait_for(f"{runs} of {runs} runs".encode(), timeout=20)
        terminal.read(2.5)  # the first look at the folder's times
        terminal.total = 0
        started = time.perf_counter()
        terminal.read(seconds / 2)
        still = terminal.total / (time.perf_counter() - started)
        terminal.total = 0
        started = time.perf_counter()
        for i in range(int(seconds / 0.5)):
            copy_run(base / f"landed-{i:03}", seed=10_000 + i)
            terminal.read(0.5)
        landing = terminal.total / (time.perf_counter() - started)
        listed = f"{runs + i + 1} of {runs + i + 1} runs".encode()  # in all written since the screen opened
        deadline = time.perf_counter() + 10
        while listed not in terminal.output and time.perf_counter() < deadline:
            terminal.read(0.1)
        if listed not in terminal.output:
            raise TimeoutError(f"the runs landed were not all listed within 10 s of the last ({listed!r})")
    finally:
        terminal.close()
    return opened, still, landing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary) / "runs"
        base.mkdir()
        build(base, args.runs)
        seconds, found = scan_seconds(base)
        print(f"catalog.scan: {seconds * 1000:.0f} ms for {found:,} runs (median of 5; target well under 1 s)")
        os.chdir(temporary)  # the console's runs folder is ./runs
        opened, still, landing = on_screen(base, found, args.seconds)
        print(f"runs screen at {COLUMNS}x{ROWS}: c to all {found:,} rows listed in {opened:.3f}s (target < 1 s)")
        print(
            f"terminal output with the screen open: {still / 1024:.1f} KB/s with the folder still, "
            f"{landing / 1024:.1f} KB/s while a run lands every 0.5 s over {args.seconds:g}s (target < 50 KB/s)"
        )


if __name__ == "__main__":
    main()
