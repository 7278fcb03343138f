"""Run folders for the runs screen's tests and pictures, made without training.

Each folder is the committed recorded run (tests/fixtures/runs/format0-numpy: 12 epochs
of a 4-bit LSTM) saved again with other settings and figures, so every figure shown is
the same on every machine, the train time too. Its model stays the recorded one whatever
the settings say: neither the catalog nor the runs screen reads a model.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

from tui_lstm.record import RunRecord
from tui_lstm.runs import load_run, save_run
from tui_lstm.sweep.folder import SweepFolder
from tui_lstm.sweep.plan import SweepPlan

RECORDED = Path(__file__).parent / "fixtures" / "runs" / "format0-numpy"


@functools.cache
def recorded() -> RunRecord:
    return load_run(RECORDED).record


def save_recorded(
    folder: Path, *, pace: float = 1.0, epochs: int = 12, exact: float = 0.5, seconds: float = 1.5, **settings
) -> Path:
    """The recorded run saved to ``folder`` with ``settings`` over its own: its first
    ``epochs`` epochs, learning at ``pace`` (the loss divided by it, the test exact accuracy
    multiplied, up to 1), ``exact`` over all pairs (half that on 64-bit sums), trained in
    ``seconds``."""
    record = recorded()
    history = tuple(
        replace(m, loss=m.loss / pace, val_exact_accuracy=min(1.0, m.val_exact_accuracy * pace))
        for m in record.history[:epochs]
    )
    summary = replace(
        record.summary,
        epochs_run=len(history),
        train_seconds=seconds,
        eval_exact_accuracy=exact,
        generalization={64: exact / 2},
    )
    return save_run(folder, replace(record, config=record.config.replace(**settings), history=history, summary=summary))


def make_sweep(folder: Path, grid: dict, seeds: tuple[int, ...]) -> SweepFolder:
    """An empty sweep folder, as ``tui-lstm sweep`` starts one: sweep.json and results.csv."""
    sweep = SweepFolder.create(folder, SweepPlan("fast", {}, grid, seeds))
    sweep.unlock()
    return sweep
