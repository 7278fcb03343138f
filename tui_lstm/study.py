"""The lab report's sample-size study (its section 4), for either backend, as a sweep.

The report trained its Keras model on 100, 10000 and 20000 samples and judged each by its
100 printed test rows: 100 samples were wrong, 10000 got every row right, 20000 did
worse. The study here repeats that and adds what the rows hide, the exact accuracy over
every pair, averaged over seeds so that one lucky run does not decide it. It is a sweep
over ``samples`` (its runs are kept in a sweep folder, and run side by side), summed up
as the report's table.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from tui_lstm.sweep.folder import ResultRow
from tui_lstm.sweep.plan import SweepPlan

DEFAULT_SIZES = (100, 10_000, 20_000)


@dataclass(frozen=True)
class SampleSizeRow:
    """One training-set size, measured over ``len(seeds)`` runs (means, and each run's)."""

    samples: int
    seeds: tuple[int, ...]
    test_exact_accuracy: float  # on the test rows (the report's 100)
    eval_exact_accuracy: float  # on every pair
    train_seconds: float  # per run
    runs: tuple[ResultRow, ...]


def _mean(values: Iterable[float | None]) -> float:
    """The mean, counting a run that diverged (or failed) before any epoch was measured as 0."""
    return statistics.fmean(value or 0.0 for value in values)


def sample_size_rows(plan: SweepPlan, rows: Iterable[ResultRow]) -> list[SampleSizeRow]:
    """The report's table from a sweep over ``samples``: a row per size, in the plan's order."""
    by_name = {row.name: row for row in rows}
    table = []
    for samples in plan.grid["samples"]:
        runs = tuple(
            by_name[run.name] for run in plan.runs() if run.point["samples"] == samples and run.name in by_name
        )
        if runs:
            table.append(
                SampleSizeRow(
                    samples,
                    tuple(run.seed for run in runs),
                    _mean(run.test_exact_accuracy for run in runs),
                    _mean(run.eval_exact_accuracy for run in runs),
                    _mean(run.train_seconds for run in runs),
                    runs,
                )
            )
    return table
