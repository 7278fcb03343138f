"""Training without the console: progress lines for a terminal or a log, and the summary.

On a terminal the progress is one Rich line rewritten in place per epoch; elsewhere
(a pipe, a CI log) it is one plain line per epoch.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text

from tui_lstm.training import EpochDone, Event, RunFinished, RunSummary


def epoch_line(event: EpochDone) -> str:
    m = event.metrics
    line = (
        f"epoch {m.epoch}/{event.epochs}  loss {m.loss:.4f}  acc {m.accuracy:.4f}  "
        f"val_loss {m.val_loss:.4f}  val_acc {m.val_accuracy:.4f}  "
        f"exact {m.val_exact_accuracy:.2%}"
    )
    if event.eval_exact_accuracy is not None:
        line += f"  all pairs {event.eval_exact_accuracy:.2%}"
    return line + f"  {event.samples_per_second:,.0f} samples/s  {event.elapsed:.1f}s"


def summary_lines(state: str, summary: RunSummary) -> list[str]:
    lines = [f"{state} after {summary.epochs_run} epochs, {summary.train_seconds:.2f}s of training"]
    if summary.message:
        lines.append(summary.message)
    if summary.eval_exact_accuracy is not None:
        which = "all" if summary.eval_all_pairs else "random"
        lines.append(f"exact on {which} {summary.eval_pairs:,} pairs: {summary.eval_exact_accuracy:.2%}")
    for width, accuracy in summary.generalization.items():
        lines.append(f"exact on random {width}-bit pairs: {accuracy:.2%}")
    return lines


class Progress:
    """An ``on_event`` for a session or trainer that writes progress to a stream.

    A stream whose reader has gone (``| head -1``, a ``less`` quit early) is no reason to
    lose the run: the progress falls silent and ``on_closed`` is called, once, to stop it."""

    def __init__(self, stream: TextIO = sys.stdout):
        self.stream = stream
        self.on_closed: Callable[[], None] = lambda: None  # set by whoever can stop the run
        self.closed = False
        self.console = Console(file=stream)
        self.live = Live(console=self.console, auto_refresh=False) if self.console.is_terminal else None

    def __call__(self, event: Event) -> None:
        if self.closed:
            return
        try:
            self._show(event)
        except BrokenPipeError:
            self.closed = True
            self.on_closed()

    def _show(self, event: Event) -> None:
        if isinstance(event, EpochDone):
            if self.live:
                self.live.start()
                self.live.update(Text(epoch_line(event)), refresh=True)
            else:
                print(epoch_line(event), file=self.stream, flush=True)
        elif isinstance(event, RunFinished):
            if self.live:
                self.live.stop()
            for line in summary_lines(event.outcome, event.summary):
                print(line, file=self.stream, flush=True)
