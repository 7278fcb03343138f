"""The board: the console's main screen, everything it shows of a run, and the state it is drawn from.

The board follows the session's run: the training worker sends it the run's events as
messages, and it keeps the newest; a timer turns them into the board's reactives (the
run's history, the epochs it is set to train, the newest predictions, the test rows and
the run's state) two or three times a second, however fast epochs arrive. Each widget
that draws one of them is bound to it with ``data_bind`` and redraws itself.

A redraw of the curves repaints most of the screen, and over SSH or a browser's websocket
that is most of the bytes sent: so the status line follows every redraw, and the history
and predictions (curves and test rows) at most every ``CURVES_SECONDS``, and at the end.
"""

from __future__ import annotations

import time

import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer

from tui_lstm.config import TrainConfig
from tui_lstm.session import RunState, Session
from tui_lstm.training import BatchDone, EpochDone, EpochMetrics, RunFinished, RunStarted, RunSummary, Trainer
from tui_lstm.tui.messages import Generalized, TrainingEnded, TrainingEvent
from tui_lstm.tui.widgets.curves import Charts, Sparklines
from tui_lstm.tui.widgets.hyperparams import Hyperparams
from tui_lstm.tui.widgets.results import ResultsTable, TestRows
from tui_lstm.tui.widgets.status import StatusLine

REDRAW_SECONDS = 0.4  # the status line is redrawn at most this often (bytes/s over SSH)
CURVES_SECONDS = 1.0  # the curves and test rows (most of the screen), at most this often


class Board(Screen):
    # var, not reactive: the board draws nothing itself, and a refresh of it would repaint
    # the whole screen whenever one of these changed
    history: var[tuple[EpochMetrics, ...]] = var(tuple)
    epochs: var[int] = var(1)
    test_rows: var[TestRows | None] = var(None)
    predictions: var[np.ndarray | None] = var(None, always_update=True)
    run_state: var[RunState] = var(RunState.READY)

    def __init__(self, config: TrainConfig, session: Session, **kwargs):
        super().__init__(**kwargs)
        self.config, self.session = config, session
        self.set_reactive(Board.epochs, config.epochs)
        self._latest: EpochDone | None = None  # the newest epoch not yet on the status line
        self._undrawn: EpochDone | None = None  # the newest epoch not yet in the curves and test rows
        self._curves_drawn = 0.0  # when they were last drawn (time.monotonic)
        self._progress: BatchDone | None = None  # the newest batch not yet drawn
        self._rows_of: Trainer | None = None  # the trainer whose test pairs are shown
        self.worker = None  # the training worker followed; others' messages are stale

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield Hyperparams(self.config, id="hyperparams")
            with Vertical(id="curves-and-rows"):
                yield Sparklines(id="sparklines").data_bind(Board.history)
                yield Charts(id="charts").data_bind(Board.history, Board.epochs)
                yield ResultsTable(id="results").data_bind(Board.test_rows, Board.predictions)
        yield StatusLine(self.session.stopwatch, id="status").data_bind(Board.run_state, Board.epochs)
        # ^p (the command palette) is on the help screen: 80 columns hold every other key
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.panel, self.status = self.query_one(Hyperparams), self.query_one(StatusLine)
        self.redraw_timer = self.set_interval(REDRAW_SECONDS, self._redraw, pause=True)

    def follow(self) -> None:
        """Show the session's state now (after a key changed it)."""
        self.run_state = self.session.state

    def forget_worker(self) -> None:
        """Stop following the training worker: its late messages are stale from now on (a reset)."""
        self.worker, self._progress, self._latest, self._undrawn = None, None, None, None
        self.redraw_timer.pause()
        self.panel.lock_shape(False)

    def show_run(self, rows: TestRows | None, predictions: np.ndarray | None = None, note: str = "") -> None:
        """The session's whole run at once: a new, reset or opened one."""
        trainer = self.session.trainer
        self._rows_of = trainer
        self.history = tuple(trainer.history) if trainer else ()
        self.test_rows, self.predictions = rows, predictions
        self._undrawn, self._curves_drawn = None, time.monotonic()
        self.status.clear(len(self.history), note)
        self.query_one(Sparklines).border_subtitle = ""  # no longer sums measured
        self.follow()

    @on(TrainingEvent)
    def _event(self, message: TrainingEvent) -> None:
        if message.worker is not self.worker:
            return
        event = message.event
        if isinstance(event, BatchDone):
            self._progress = event
        elif isinstance(event, EpochDone):
            self._latest, self._progress = event, None
        elif isinstance(event, RunStarted):
            self._started(event)
        elif isinstance(event, RunFinished):
            self._finished(event)
        self.follow()

    def _started(self, event: RunStarted) -> None:
        trainer = self.session.trainer
        if self._rows_of is not trainer:  # a new run, not a continued one
            self.show_run(TestRows.of(event.test_pairs, trainer.config.cell))
        self.epochs = trainer.config.epochs
        self.status.epoch, self.status.eta = len(trainer.history), None
        self.redraw_timer.resume()

    def _finished(self, event: RunFinished) -> None:
        self._redraw(final=True)
        self.show_summary(event.summary)

    def show_summary(self, summary: RunSummary) -> None:
        """A run's end-of-run figures: over the evaluation pairs, on longer sums, and why it ended early."""
        if summary.eval_exact_accuracy is not None:  # of the run's last epoch
            self.status.eval_accuracy, self.status.eval_epoch = summary.eval_exact_accuracy, None
            self.status.eval_over = "all pairs" if summary.eval_all_pairs else f"{summary.eval_pairs:,} random pairs"
        if summary.generalization:
            self.post_message(Generalized(summary.generalization))
        if summary.message:
            self.notify(summary.message, severity="warning")

    @on(TrainingEnded)
    def _ended(self, message: TrainingEnded) -> None:
        if message.worker is self.worker:
            self.redraw_timer.pause()
            self.panel.lock_shape(False)
            self.status.note = self.session.error or ""
            self.follow()

    def _redraw(self, final: bool = False) -> None:
        """Draw the newest batch and epoch on the status line, and in the curves and test
        rows if they were last drawn ``CURVES_SECONDS`` ago (or the run has ended)."""
        progress, latest, status = self._progress, self._latest, self.status
        self._progress = self._latest = None
        if progress is not None:
            status.epoch, status.rate = progress.epoch, progress.samples_per_second
        trainer = self.session.trainer
        if trainer is None:
            return
        if latest is not None:
            epoch = status.epoch = latest.metrics.epoch
            status.eta = self.session.eta(epoch, latest.epochs)
            history = trainer.history[:epoch]  # the worker may append meanwhile
            # the newest scored epoch, which may be one of several that landed since the last redraw
            scored = next((row for row in reversed(history) if row.eval_exact_accuracy is not None), None)
            if scored is not None:
                status.eval_accuracy = scored.eval_exact_accuracy
                status.eval_epoch = None if scored.epoch == epoch else scored.epoch
            self._undrawn = latest
        now = time.monotonic()
        if self._undrawn is None or not (final or now - self._curves_drawn >= CURVES_SECONDS):
            return
        self.history = tuple(trainer.history[: self._undrawn.metrics.epoch])
        self.predictions = self._undrawn.test_predictions
        self._undrawn, self._curves_drawn = None, now

    @on(Generalized)
    def _generalized(self, message: Generalized) -> None:
        line = self.query_one(Sparklines).show_longer(message.accuracy)
        self.notify(f"exact on longer sums: {line}")
