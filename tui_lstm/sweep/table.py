"""A sweep summed up per grid point: what its seeds agree on, and how much they vary."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass

from rich.table import Table

from tui_lstm.sweep.folder import ResultRow
from tui_lstm.sweep.plan import SweepPlan


@dataclass(frozen=True)
class PointSummary:
    point: dict  # grid field -> value
    runs: int  # that ran to an end (finished, diverged or stopped)
    failed: int
    exact_mean: float | None  # all-pairs exact accuracy over the runs that have it
    exact_std: float | None  # sample standard deviation (0 for one run)
    every_pair_exact: int  # runs that had every evaluation pair right at some epoch or at the end
    exact_64bit: int | None  # runs exact on every random 64-bit pair; None where the layout has no such test
    median_seconds_to_exact: float | None  # over the runs that got every pair right

    def to_dict(self) -> dict:
        return asdict(self)


def _reached_exact(row: ResultRow) -> bool:
    return row.first_exact_epoch is not None or row.eval_exact_accuracy == 1.0


def summarize(plan: SweepPlan, rows: list[ResultRow]) -> list[PointSummary]:
    """One summary per grid point, in the plan's order, of the rows that have landed."""
    by_name = {row.name: row for row in rows}
    points: dict[tuple, tuple[dict, list[ResultRow]]] = {}
    for run in plan.runs():
        key = tuple(run.point.items())
        points.setdefault(key, (run.point, []))
        if run.name in by_name:
            points[key][1].append(by_name[run.name])
    return [_summary(point, point_rows) for point, point_rows in points.values()]


def _summary(point: dict, rows: list[ResultRow]) -> PointSummary:
    ran = [row for row in rows if row.state != "failed"]
    exact = [row.eval_exact_accuracy for row in ran if row.eval_exact_accuracy is not None]
    wide = [row.exact_64bit for row in ran if row.exact_64bit is not None]
    times = [row.seconds_to_exact for row in ran if _reached_exact(row) and row.seconds_to_exact is not None]
    return PointSummary(
        point,
        len(ran),
        len(rows) - len(ran),
        statistics.fmean(exact) if exact else None,
        (statistics.stdev(exact) if len(exact) > 1 else 0.0) if exact else None,
        sum(_reached_exact(row) for row in ran),
        sum(value == 1.0 for value in wide) if wide else None,
        statistics.median(times) if times else None,
    )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def points_table(plan: SweepPlan, summaries: list[PointSummary], title: str = "") -> Table:
    """The per-point summary as a Rich table, one column per grid field first."""
    table = Table(
        *plan.grid, "runs", "exact, all pairs", "every pair exact", "64-bit exact", "time to exact", title=title or None
    )
    for summary in summaries:
        runs = f"{summary.runs}" + (f" ({summary.failed} failed)" if summary.failed else "")
        spread = "" if summary.exact_std is None or summary.runs < 2 else f" ± {summary.exact_std:.2%}"
        table.add_row(
            *(str(value) for value in summary.point.values()),
            runs,
            _percent(summary.exact_mean) + spread,
            f"{summary.every_pair_exact}/{summary.runs}",
            "-" if summary.exact_64bit is None else f"{summary.exact_64bit}/{summary.runs}",
            "-" if summary.median_seconds_to_exact is None else f"{summary.median_seconds_to_exact:.2f}s",
        )
    return table
