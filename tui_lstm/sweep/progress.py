"""A sweep's progress: one line rewritten in place on a terminal, plain lines in a pipe.

On a terminal the line says how the whole sweep stands (runs done, running, failed, and
the time left); in a log, one line per run as it lands says what became of it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from tui_lstm.sweep.folder import ResultRow
from tui_lstm.sweep.plan import PlannedRun
from tui_lstm.sweep.runner import Tally


def clock(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def tally_line(tally: Tally) -> str:
    landed = tally.done + tally.failed + tally.skipped
    parts = [f"runs {landed}/{tally.total} done", f"{tally.running} running"]
    if tally.failed:
        parts.append(f"{tally.failed} failed")
    if tally.skipped:
        parts.append(f"{tally.skipped} done before")
    eta = tally.eta()
    if eta is not None and tally.left:
        parts.append(f"ETA {clock(eta)}")
    return " · ".join(parts)


def run_line(tally: Tally, run: PlannedRun, row: ResultRow) -> str:
    landed = tally.done + tally.failed + tally.skipped
    head = f"[{landed}/{tally.total}] {run.name}: {row.state}"
    if row.state == "failed":
        return f"{head}: {row.error}"
    exact = "-" if row.eval_exact_accuracy is None else f"{row.eval_exact_accuracy:.2%}"
    return f"{head} after {row.epochs_run} epochs, exact {exact}, {row.train_seconds:.1f}s"


class SweepProgress:
    """An ``on_change`` for a SweepRunner that writes to ``stream``."""

    def __init__(self, stream: TextIO = sys.stderr):
        self.stream = stream
        console = Console(file=stream)
        self.live = Live(console=console, auto_refresh=False, transient=True) if console.is_terminal else None
        self._shown = ""

    def __call__(self, tally: Tally, run: PlannedRun | None, row: ResultRow | None) -> None:
        if self.live is None:
            if row is not None:
                print(run_line(tally, run, row), file=self.stream, flush=True)
            return
        if row is not None and row.state == "failed":  # above the line, where it stays
            self.live.console.print(run_line(tally, run, row))
        line = tally_line(tally)
        if line != self._shown:
            self._shown = line
            self.live.start()
            self.live.update(Text(line), refresh=True)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
