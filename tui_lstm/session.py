"""A session: the runs one user drives, one at a time, from the console or the command line.

The session is where a run's life is kept: its state (one ``RunState``, moved only along
``TRANSITIONS``), the rule for when a start continues the last run, pause, resume, stop
and reset, the stopwatch that both the loop and the status line read, and the services
that need a model: saving and opening. It imports no UI:
the console and the headless CLI both drive runs through it.

Threads: ``begin`` and the controls are called from the caller's thread (the console's UI
thread); ``run`` blocks, in whatever thread the caller gives it (the console's worker, the
CLI's training thread), and builds the model there, so the keras backend imports
TensorFlow off the UI thread. Everything the run reports reaches ``on_event``, in the
thread that produced it.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from enum import Enum
from pathlib import Path

from tui_lstm.backends import BACKENDS, Backend
from tui_lstm.config import TrainConfig
from tui_lstm.control import Control, StopSignal
from tui_lstm.evaluate import predicted_bits
from tui_lstm.presentation import result_row
from tui_lstm.record import RunRecord, pack, provenance, unpack
from tui_lstm.runs import RunError, SavedRun, load_run, save_run
from tui_lstm.stopwatch import Stopwatch
from tui_lstm.task import Pairs, bits_to_int
from tui_lstm.training import EpochDone, Event, FinalTests, RunFinished, RunStarted, Trainer


class RunState(str, Enum):
    READY = "ready"  # no run yet, or a reset one, or an opened one
    STARTING = "starting"  # building the model
    TRAINING = "training"
    PAUSED = "paused"
    STOPPING = "stopping"  # asked to stop: at the next batch
    TESTING = "testing"  # the end-of-run tests
    FINISHED = "finished"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    ERROR = "error"  # the run raised; its message is the session's ``error``

    @property
    def live(self) -> bool:
        """A run's thread is at work (or paused)."""
        return self in LIVE


S = RunState
LIVE = frozenset({S.STARTING, S.TRAINING, S.PAUSED, S.STOPPING, S.TESTING})
ENDED = frozenset({S.FINISHED, S.STOPPED, S.DIVERGED, S.ERROR})
# Every move a run can make, and any state may fail (ERROR). A pause or a stop may land
# just as the loop ends without seeing it, so PAUSED and STOPPING lead on wherever the
# run's outcome does; a stop while the model is still being built ends at READY.
TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    state: frozenset(moves) | {S.ERROR}
    for state, moves in {
        S.READY: {S.STARTING},
        S.STARTING: {S.TRAINING, S.STOPPING},
        S.TRAINING: {S.PAUSED, S.STOPPING, S.TESTING, S.STOPPED, S.DIVERGED},
        S.PAUSED: {S.TRAINING, S.STOPPING, S.TESTING, S.DIVERGED},
        S.STOPPING: {S.READY, S.TESTING, S.FINISHED, S.STOPPED, S.DIVERGED},
        S.TESTING: {S.FINISHED, S.DIVERGED},
        **{ended: {S.STARTING, S.READY} for ended in ENDED},
    }.items()
}


class IllegalMove(RuntimeError):
    """A move not in TRANSITIONS: a bug in whoever asked for it."""


def result_rows(backend: Backend, config: TrainConfig, pairs: Pairs) -> tuple[str, ...]:
    """The report's rows for ``pairs``, as the model answers them now."""
    bits = predicted_bits(backend, config.layout, pairs)
    return tuple(
        result_row(i, config.cell, int(a), int(b), bits_to_int(row))
        for i, (a, b, row) in enumerate(zip(pairs.a, pairs.b, bits))
    )


class Session:
    def __init__(
        self,
        on_event: Callable[[Event], None] = lambda event: None,
        *,
        stop_signal: StopSignal | None = None,
        checkpoint: Callable[[RunRecord], None] | None = None,
        watcher: Callable[[Trainer, Event], None] | None = None,
    ):
        self.on_event = on_event
        # told every event, with the trainer that made it (a new one is a new run), before
        # on_event, whoever drives the session: the TensorBoard log (scalars_log.py)
        self.watcher = watcher
        self.stop_signal = stop_signal  # shared with another process, to stop a run from there
        self.checkpoint = checkpoint  # given a record every config.checkpoint_every epochs, in the run's thread
        self.stopwatch = Stopwatch()
        self.trainer: Trainer | None = None  # the run's, once built or opened
        self.state = RunState.READY
        self.error: str | None = None
        self._lock = threading.Lock()
        self._next: tuple[TrainConfig, bool] | None = None  # what ``run`` builds, if not continuing
        self._step = False  # the run begun pauses after its first epoch
        self._started_at = (0, 0.0)  # (epochs done, stopwatch seconds) when this run began

    # --- the state machine ------------------------------------------------------------

    def _move(self, to: RunState, *, only_from: frozenset[RunState] | None = None) -> bool:
        """Move to ``to``; False (and no move) if ``only_from`` is given and the state is
        not in it. IllegalMove if TRANSITIONS does not allow it."""
        with self._lock:
            if only_from is not None and self.state not in only_from:
                return False
            if to not in TRANSITIONS[self.state]:
                raise IllegalMove(f"{self.state.value} -> {to.value}")
            self.state = to
            return True

    @property
    def live(self) -> bool:
        return self.state.live

    # --- starting a run ---------------------------------------------------------------

    def continues(self, config: TrainConfig) -> bool:
        """Whether starting with ``config`` continues the last run: there is one that did
        not fail, nothing but the epochs or the learning rate changed, and epochs are left."""
        trainer = self.trainer
        if trainer is None or self.state == RunState.ERROR:
            return False
        same = config.replace(epochs=trainer.config.epochs, lr=trainer.config.lr) == trainer.config
        return same and len(trainer.history) < config.epochs

    def begin(self, config: TrainConfig, *, until_exact: bool = False, step: bool = False) -> bool:
        """Get a run ready for ``run()``: the last one continued, if ``continues(config)``,
        else a new one; ``step``: paused after its first epoch (see ``step()``). True if it
        continues. Call from the thread that steers."""
        if self.live:
            raise IllegalMove(f"a run is {self.state.value}")
        continuing = self.continues(config)
        self._move(RunState.STARTING)
        self.error, self._step = None, step
        if continuing:
            trainer = self.trainer
            trainer.config, trainer.until_exact, trainer.control.lr = config, until_exact, config.lr
            trainer.control.rearm()  # the last run's stop; one asked from now on stops this run
            self._next = None
        else:
            self.trainer, self._next = None, (config, until_exact)
            self.stopwatch.reset()
            if self.stop_signal is not None:
                self.stop_signal.clear()  # an old stop, as rearm() clears it
        return continuing

    def run(self) -> RunState:
        """Build the model if the run is new, and train; blocks. Returns the state the run
        ended in. An exception is re-raised after moving to ERROR."""
        try:
            if self._next is not None:
                config, until_exact = self._next
                if self.state == RunState.STOPPING:  # stopped before its model was built
                    self._next = None
                    self._move(RunState.READY)
                    return self.state
                control = Control(config.lr, self.stopwatch, self.stop_signal)
                self.trainer = Trainer(config, until_exact=until_exact, control=control)
                self._next = None
            if self.state == RunState.STOPPING:  # stopped before it began
                self.trainer.control.stop()
            elif self._step:
                self.trainer.control.pause_after_epoch()
            self.trainer.on_event = self._relay
            self._started_at = (len(self.trainer.history), self.stopwatch.seconds)
            self.trainer.run()
        except BaseException as error:
            self.error = str(error) or type(error).__name__
            self._move(RunState.ERROR)
            raise
        return self.state

    def train(self, config: TrainConfig, *, until_exact: bool = False) -> RunRecord:
        """A whole run in this thread, new or continued: its record."""
        self.begin(config, until_exact=until_exact)
        self.run()
        return self.record()

    def _relay(self, event: Event) -> None:
        """Follow the run's events with the state, then pass them on."""
        if isinstance(event, RunStarted):
            self._move(RunState.TRAINING, only_from=frozenset({RunState.STARTING}))
        elif isinstance(event, FinalTests):
            self._move(RunState.TESTING)
        elif isinstance(event, EpochDone):
            if self.trainer.control.end_epoch():  # a step's pause, from the next batch on
                self._move(RunState.PAUSED, only_from=frozenset({RunState.TRAINING}))
            if self.checkpoint is not None:
                self._checkpoint(event.metrics.epoch, event.epochs)
        elif isinstance(event, RunFinished):
            self.trainer.control.resume()  # a pause that landed as the loop ended is moot
            self._move(RunState(event.outcome))
        if self.watcher is not None:
            self.watcher(self.trainer, event)
        self.on_event(event)

    def _checkpoint(self, epoch: int, epochs: int) -> None:
        every = self.trainer.config.checkpoint_every
        if every and epoch % every == 0 and epoch < epochs:
            self.checkpoint(self.record(f"a checkpoint after epoch {epoch} of {epochs}; the run went on"))

    # --- steering a live run ----------------------------------------------------------

    def pause(self) -> str | None:
        """Pause a training run or resume a paused one; or say why not. A resume trains on:
        it cancels a step's pause still pending (n, then p to pause, then p or s)."""
        if self.state == RunState.PAUSED:
            self.trainer.control.cancel_step()
            self.trainer.control.resume()
            self._move(RunState.TRAINING)
        elif self._move(RunState.PAUSED, only_from=frozenset({RunState.TRAINING})):
            self.trainer.control.pause()
        else:
            return "not training"
        return None

    def step(self) -> str | None:
        """Train to the end of an epoch, then pause (TF Playground's step): a paused run
        trains one epoch more, a training one pauses when its epoch ends; or say why not.
        A run begun with ``begin(step=True)`` pauses after its first."""
        if self.state == RunState.PAUSED:
            self._move(RunState.TRAINING)  # before the resume: the epoch may end at once
            self.trainer.control.pause_after_epoch()
            self.trainer.control.resume()
        elif self.state == RunState.TRAINING:
            self.trainer.control.pause_after_epoch()
        else:
            return "not training"
        return None

    def stop(self) -> str | None:
        """End a live run at its next batch (a stop skips the slow end-of-run tests), or
        before it begins while its model is being built; or say why not."""
        if not self._move(RunState.STOPPING, only_from=LIVE - {RunState.STOPPING, RunState.TESTING}):
            return None if self.state in (RunState.STOPPING, RunState.TESTING) else "not training"
        if self.trainer is not None:
            self.trainer.control.stop()
        return None

    def reset(self) -> None:
        """Forget the run: the next start trains fresh weights. Only between runs."""
        if self.live:
            raise IllegalMove(f"a run is {self.state.value}")
        if self.state != RunState.READY:
            self._move(RunState.READY)
        self.trainer, self.error = None, None
        self.stopwatch.reset()

    # --- what the status line reads ---------------------------------------------------

    @property
    def epoch(self) -> int:
        return len(self.trainer.history) if self.trainer else 0

    def eta(self, epoch: int, epochs: int) -> float | None:
        """Seconds left after ``epoch`` of ``epochs``, at this run's mean epoch time so far."""
        done = epoch - self._started_at[0]
        if done <= 0:
            return None
        return (self.stopwatch.seconds - self._started_at[1]) / done * (epochs - epoch)

    # --- services on the model --------------------------------------------------------

    @property
    def spec(self):
        return BACKENDS[self.trainer.config.backend]

    def record(self, note: str = "") -> RunRecord:
        """The run as plain data, to save or send: between runs, or between epochs from the
        run's own thread (a checkpoint; ``note`` then says so in its summary's message)."""
        trainer = self.trainer
        # The console saves once the state reads PAUSED, while the run's thread may still be
        # between an epoch's probe and its history row: the epochs are the history's, so that
        # the folder's files agree (a loader refuses files that do not).
        history = tuple(trainer.history)
        summary = dataclasses.replace(trainer.summary, epochs_run=len(history), message=note or trainer.summary.message)
        return RunRecord(
            config=trainer.config.replace(lr=trainer.control.lr),
            state=trainer.outcome or RunState.STOPPED.value,
            history=history,
            summary=summary,
            model=trainer.backend.model_bytes(),
            results=result_rows(trainer.backend, trainer.config, trainer.test.pairs),
            provenance=provenance(),
            training_state=pack(trainer.training_state()),
            flow=tuple(row for row in trainer.flow if row.epoch <= len(history)),
        )

    def save(self, directory: Path) -> Path:
        return save_run(directory, self.record())

    def open(self, directory: Path) -> SavedRun:
        """Load a run folder and make it the session's run (READY: a start continues it)."""
        if self.live:
            raise IllegalMove(f"a run is {self.state.value}")
        saved = load_run(directory)
        self.adopt(saved)
        return saved

    def adopt(self, saved: SavedRun) -> None:
        """Make a loaded run the session's run."""
        record = saved.record
        trainer = Trainer(
            record.config, backend=saved.backend, control=Control(record.config.lr, self.stopwatch, self.stop_signal)
        )
        trainer.history, trainer.summary, trainer.outcome = list(record.history), record.summary, record.state
        trainer.flow = list(record.flow)
        if record.training_state:
            try:
                trainer.resume(unpack(record.training_state))
            except ValueError as error:
                raise RunError(f"{saved.directory}: its training state does not fit the run ({error})") from None
        self.reset()
        self.trainer = trainer
