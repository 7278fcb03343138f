"""The lab report's model on both engines, side by side: epoch time and accuracy.

    python benchmarks/keras_vs_numpy.py [--epochs 100] [--seeds 3] [--backends numpy,keras]

Trains the ``report`` preset (NumPy) and ``report-keras`` (Keras) with the same seeds and
prints, per run and as a mean over seeds: the time of one training epoch (mean over all
epochs, and the median, which leaves out Keras' first epoch spent tracing its graph),
the test bit and exact accuracy on the report's 100 rows, and the bit and exact accuracy
over all 16,384 pairs, which the 100 rows hide: 100 rows are 800 bits, so at the 99.4%
the report's model gets over all pairs, one seed's rows show anything from 98.6% to
99.9%.

The keras backend's epoch ends with a forward pass over the training set (Keras' fit
keeps its predictions to itself); the "of it, outputs" column measures that pass alone,
so the epoch time of Keras' fit by itself is the median less that.

"whole epoch s" is the training loop's time an epoch: training, the test rows, and the
scoring of every pair in the epochs that score them (every ``eval_every``).

Targets (issue 3): report-keras test bit accuracy >= 99.5%; NumPy epoch time no slower
than Keras', all-pairs exact accuracy within 2 points (mean of 3 seeds). Issue 13: the
NumPy whole epoch at most 0.5x Keras', all-pairs exact accuracy within 1.5 points.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from tui_lstm.backends import make_backend
from tui_lstm.config import preset
from tui_lstm.training import EpochDone, Trainer

PRESETS = {"numpy": "report", "keras": "report-keras"}


class TimedBackend:
    """A backend whose ``fit_epoch`` calls are timed; everything else passes through."""

    def __init__(self, backend):
        self.backend = backend
        self.epoch_seconds: list[float] = []

    def fit_epoch(self, *args):
        started = time.perf_counter()
        fit = self.backend.fit_epoch(*args)
        self.epoch_seconds.append(time.perf_counter() - started)
        return fit

    def __getattr__(self, name):
        return getattr(self.backend, name)


@dataclass
class Result:
    backend: str
    seed: int
    whole_epoch: float  # the loop's time an epoch: training, the test rows, and every pair where scored
    epoch_mean: float
    epoch_median: float
    outputs_seconds: float  # one forward pass over the training set
    test_bit: float
    test_exact: float
    eval_bit: float
    eval_exact: float


def run(backend_name: str, seed: int, epochs: int) -> Result:
    config = preset(PRESETS[backend_name], seed=seed, epochs=epochs)
    backend = TimedBackend(make_backend(config))
    ends: list[float] = []
    trainer = Trainer(
        config, lambda event: isinstance(event, EpochDone) and ends.append(event.elapsed), backend=backend
    )
    summary = trainer.run()
    passes = []
    for _ in range(5):
        started = time.perf_counter()
        backend.predict(trainer.training_set().x)
        passes.append(time.perf_counter() - started)
    return Result(
        backend_name,
        seed,
        ends[-1] / len(ends),
        statistics.mean(backend.epoch_seconds),
        statistics.median(backend.epoch_seconds),
        statistics.median(passes),
        summary.test_bit_accuracy,
        summary.test_exact_accuracy,
        summary.eval_bit_accuracy,
        summary.eval_exact_accuracy,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--backends", default="numpy,keras")
    args = parser.parse_args()
    names = args.backends.split(",")
    console = Console(width=120)  # the whole table, also when the output goes to a file
    results: dict[str, list[Result]] = {name: [] for name in names}
    for seed in range(args.seeds):  # the backends take turns, so both see the same load
        for name in names:
            result = run(name, seed, args.epochs)
            console.print(f"{PRESETS[name]} seed {seed}: {result}", style="dim")
            results[name].append(result)
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    table = Table(
        "preset",
        "seed",
        "whole epoch s",
        "epoch s (mean)",
        "epoch s (median)",
        "of it, outputs s",
        "test bits",
        "test exact",
        "all pairs bits",
        "all pairs exact",
        title=f"report model, {args.epochs} epochs, OPENBLAS_NUM_THREADS={blas}, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
    )
    fields = (
        "whole_epoch",
        "epoch_mean",
        "epoch_median",
        "outputs_seconds",
        "test_bit",
        "test_exact",
        "eval_bit",
        "eval_exact",
    )
    for name in names:
        rows = [(str(r.seed), *(getattr(r, f) for f in fields)) for r in results[name]]
        rows.append(("mean", *(statistics.mean(getattr(r, f) for r in results[name]) for f in fields)))
        for i, (seed, whole, mean, median, outputs, bit, exact, every_bit, every) in enumerate(rows):
            table.add_row(
                PRESETS[name],
                seed,
                f"{whole:.3f}",
                f"{mean:.3f}",
                f"{median:.3f}",
                f"{outputs:.3f}",
                f"{bit:.2%}",
                f"{exact:.0%}",
                f"{every_bit:.2%}",
                f"{every:.2%}",
                style="bold" if seed == "mean" else None,
                end_section=i == len(rows) - 1,
            )
    console.print(table)


if __name__ == "__main__":
    main()
