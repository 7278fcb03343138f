"""``tui-lstm sweep``: from the command's flags to a plan, a folder, an executor and a table.

Everything that can be refused is refused before the first run starts: the grid and the
seeds (``plan``), a run too big for a worker's memory, a folder that cannot take the sweep,
a cluster that cannot be reached or runs another tui-lstm. Each is one line (the
errors below), which the command line turns into exit status 2.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tui_lstm.config import PRESETS
from tui_lstm.runs import FORMAT, RunError, safe_name
from tui_lstm.sweep.estimate import run_bytes, run_seconds
from tui_lstm.sweep.executors import cores, make_executor
from tui_lstm.sweep.folder import DONE_STATES, SWEEP, ResultRow, SweepFolder, read_plan
from tui_lstm.sweep.plan import PlanError, SweepPlan, parse_axis, parse_seeds
from tui_lstm.sweep.progress import SweepProgress, clock
from tui_lstm.sweep.runner import SweepRunner, check_memory
from tui_lstm.sweep.table import points_table, summarize

MAX_WORKERS = 1024


def plan_from(preset_name: str, overrides: dict, grid: list[str], seeds: str, until_exact: bool) -> SweepPlan:
    axes = dict(parse_axis(text) for text in grid)
    if len(axes) != len(grid):
        names = [parse_axis(text)[0] for text in grid]
        raise PlanError(f"--grid {next(n for n in names if names.count(n) > 1)} is given twice")
    flagged = sorted(set(axes) & set(overrides))
    if flagged:
        raise PlanError(f"--{flagged[0].replace('_', '-')} and --grid {flagged[0]}=...: give one of them")
    if preset_name not in PRESETS:
        raise PlanError(f"unknown preset {preset_name!r}; choose from {', '.join(PRESETS)}")
    base_seed = SweepPlan(preset_name, overrides, axes, (0,)).base()["seed"]
    plan = SweepPlan(preset_name, overrides, axes, parse_seeds(seeds, base_seed), until_exact)
    plan.runs()  # every config made, so every value checked, before anything else
    return plan


def default_folder(runs_dir: Path, plan: SweepPlan, kind: str = "sweep") -> Path:
    """``runs/sweep-<preset>-<axes>``, or with -2, -3, ... if that is taken."""
    stem = safe_name("-".join([kind, plan.preset, *plan.grid]))
    for n in range(1, 10_000):
        folder = runs_dir / (stem if n == 1 else f"{stem}-{n}")
        if not folder.exists():
            return folder
    raise RunError(f"{runs_dir}: no free name for the sweep; give --out")


def dry_run(plan: SweepPlan, workers: int, folder: SweepFolder | None, as_json: bool) -> int:
    """List the runs left to do, each with its time and memory estimate; run nothing."""
    runs = plan.runs()
    done = folder.done(runs) if folder else {}
    left = [run for run in runs if run.name not in done]
    costs = [(run, run_seconds(run.config, plan.until_exact), run_bytes(run.config)) for run in left]
    total = sum(seconds for _, seconds, _ in costs)
    if as_json:
        listed = [{"name": run.name, "seconds": seconds, "bytes": size} for run, seconds, size in costs]
        print(json.dumps({"format": FORMAT, "runs": listed, "done": len(done), "workers": workers, "seconds": total}))
        return 0
    table = Table("run", "epochs", "time (est.)", "memory (est.)", title=f"{len(left)} runs to do")
    for run, seconds, size in costs:
        table.add_row(run.name, f"{run.config.epochs:,}", clock(seconds), f"{size / 1e6:,.0f} MB")
    console = Console()
    console.print(table)
    bound = " at most" if plan.until_exact else ""
    console.print(
        f"{len(left)} runs{bound} {clock(total)} of training, about {clock(total / max(min(workers, len(left)), 1))} "
        f"on {workers} workers" + (f"; {len(done)} done already" if done else "")
    )
    return 0


def run_sweep(args, plan: SweepPlan | None, runs_dir: Path) -> int:
    """The sweep the parsed ``args`` ask for (``plan`` is None with --resume)."""
    if args.workers is not None and args.cluster:
        raise PlanError("--workers is for this machine's pool; a cluster has the workers it has")
    if args.resume:
        if args.out is None:
            raise PlanError("--resume needs --out, the sweep's folder")
        plan, out = read_plan(args.out), args.out
    else:
        out = args.out or default_folder(runs_dir, plan)
        if (Path(out) / SWEEP).exists():
            raise PlanError(f"{out} holds a sweep already; add --resume to finish it")
    if args.dry_run:
        folder = SweepFolder(out, plan) if args.resume else None
        return dry_run(plan, args.workers or cores(), folder, args.json)
    folder, rows, status = execute(plan, out, resume=args.resume, workers=args.workers, cluster=args.cluster)
    summaries = summarize(plan, rows)
    if args.json:
        point_of = {run.name: run.point for run in plan.runs()}
        runs = [{"point": point_of[row.name], **asdict(row)} for row in rows]
        points = [summary.to_dict() for summary in summaries]
        print(
            json.dumps({"format": FORMAT, "sweep": str(folder.path), **plan.to_dict(), "runs": runs, "points": points})
        )
    else:
        Console().print(points_table(plan, summaries, title=f"{folder.path}: {plan.preset}"))
    return status


def execute(
    plan: SweepPlan, out: Path, *, resume: bool = False, workers: int | None = None, cluster: str | None = None
) -> tuple[SweepFolder, list[ResultRow], int]:
    """Run ``plan`` in the sweep folder ``out`` (new, or the one to resume), with progress
    on standard error: the folder, every run's row, and the exit status."""
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise PlanError(f"--workers must be between 1 and {MAX_WORKERS}, not {workers}")
    executor = make_executor(workers, cluster)
    try:
        check_memory(plan.runs(), executor.memory_room())
        folder = SweepFolder.open(out) if resume else SweepFolder.create(out, plan)
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    progress = SweepProgress(sys.stderr)
    runner = SweepRunner(folder, executor, progress)
    try:
        status = runner.run()
    finally:
        progress.close()
    if runner.signal is not None:
        kept = sum(row.state in DONE_STATES for row in runner.rows.values())
        resume = f"tui-lstm sweep --out {folder.path} --resume"
        print(f"tui-lstm: stopped with {kept} runs done; {resume} finishes the sweep", file=sys.stderr)
    return folder, list(runner.rows.values()), status
