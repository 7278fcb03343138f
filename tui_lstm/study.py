"""The lab report's sample-size study (its section 4), for either backend.

The report trained its Keras model on 100, 10000 and 20000 samples and judged each by its
100 printed test rows: 100 samples were wrong, 10000 got every row right, 20000 did
worse. The study here repeats that and adds what the rows hide, the exact accuracy over
every pair, averaged over seeds so that one lucky run does not decide it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tui_lstm.config import TrainConfig
from tui_lstm.session import Session
from tui_lstm.training import RunSummary

DEFAULT_SIZES = (100, 10_000, 20_000)


@dataclass(frozen=True)
class SampleSizeRow:
    """One training-set size, measured over ``len(seeds)`` runs (means, and each run's)."""

    samples: int
    seeds: tuple[int, ...]
    test_exact_accuracy: float  # on the test rows (the report's 100)
    eval_exact_accuracy: float  # on every pair
    train_seconds: float  # per run
    runs: tuple[RunSummary, ...]


def _mean(values: Iterable[float | None]) -> float:
    """The mean, counting a run that diverged before any epoch was measured as 0."""
    values = [value or 0.0 for value in values]
    return sum(values) / len(values)


def sample_size_study(
    config: TrainConfig,
    sizes: Iterable[int] = DEFAULT_SIZES,
    seeds: int = 1,
    on_run: Callable[[int, int, RunSummary], None] = lambda samples, seed, summary: None,
) -> list[SampleSizeRow]:
    """Train ``config`` at each size with seeds config.seed, config.seed + 1, ...

    Every config is made (and so validated) before the first run starts. Runs go one
    after another in the calling thread; ``on_run(samples, seed, summary)`` after each.
    """
    seed_list = tuple(config.seed + k for k in range(seeds))
    plan = [(samples, [config.replace(samples=samples, seed=seed) for seed in seed_list]) for samples in sizes]
    rows = []
    for samples, configs in plan:
        runs = []
        for run_config in configs:
            summary = Session().train(run_config).summary
            on_run(samples, run_config.seed, summary)
            runs.append(summary)
        rows.append(
            SampleSizeRow(
                samples,
                seed_list,
                _mean(run.test_exact_accuracy for run in runs),
                _mean(run.eval_exact_accuracy for run in runs),
                _mean(run.train_seconds for run in runs),
                tuple(runs),
            )
        )
    return rows
