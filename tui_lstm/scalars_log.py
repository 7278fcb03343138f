"""A run's per-epoch figures as TensorBoard event files (``--tensorboard DIR``).

For people who follow training in TensorBoard: the scalars of history.csv, laid out as
Keras's own TensorBoard callback lays them out, so that a figure's train and test curves
share one chart. Each run is a folder under DIR (what ``tensorboard --logdir DIR``
lists as a run): ``train/`` holds the loss, bit accuracy, exact accuracy and learning
rate, ``validation/`` the test set's loss, bit accuracy and exact accuracy, each under
Keras's ``epoch_`` tag with the epoch's number as its step.

The log listens to a session's events (``Session(watcher=...)``): the engine and the
training loop know nothing of it. Its writer is tensorboardX, an optional extra,
imported only here and only when a log is made.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tui_lstm.runs import RunError, fresh_run_dir, write_atomically
from tui_lstm.training import EpochDone, Event, RunFinished, RunStarted, Trainer

INSTALL = "pip install tui-lstm[tensorboard]"
FLUSH_SECONDS = 5  # how stale a run TensorBoard shows live may be
RUN_FILE = "run_folder"  # in a headless run's log folder: that run's folder, for --from to find
# event folder -> {tag: history.csv's column}
TAGS = {
    "train": {
        "epoch_loss": "loss",
        "epoch_accuracy": "accuracy",
        "epoch_exact_accuracy": "exact_accuracy",
        "epoch_learning_rate": "lr",
    },
    "validation": {
        "epoch_loss": "val_loss",
        "epoch_accuracy": "val_accuracy",
        "epoch_exact_accuracy": "val_exact_accuracy",
    },
}


class ScalarLogError(Exception):
    """The log cannot be written: one line for the user."""


def _summary_writer():
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ScalarLogError(f"--tensorboard needs tensorboardX: {INSTALL}") from None
    return SummaryWriter


def _check_writable(directory: Path) -> None:
    """Refuse, before any run, a DIR that could not be made or written: nothing is created
    until a run's first epoch, so bad input changes nothing."""
    existing = next(path for path in (directory, *directory.absolute().parents) if path.exists())
    if not existing.is_dir():
        raise ScalarLogError(f"{directory}: a file is in the way ({existing}); choose another folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ScalarLogError(f"{directory}: cannot write there (permission denied)")


class ScalarLog:
    """A session's watcher writing each run's epochs under ``directory``, a folder per run,
    reserved with an exclusive mkdir as the runs folder reserves runs, so that two runs
    never write into one: named after ``run_dir`` if given (a headless run's folder), else
    ``<preset>-seed<seed>``, then -2, -3, ... if taken. A headless run's log folder holds
    RUN_FILE, its run folder's path: ``--from`` (``continues``) goes on in the folder that
    names the run, whatever the folder is called (r-2 where another r held r), and starts
    one of its own if DIR has none. A run continued by the same trainer (the console's
    start after a stop) stays in its folder."""

    def __init__(self, directory: Path):
        self._writer = _summary_writer()
        self.directory = Path(directory)
        self.run_dir: Path | None = None  # these two may be given later, before the run starts
        self.continues = False
        _check_writable(self.directory)
        self._trainer: Trainer | None = None
        self._writers: dict = {}  # event folder -> its SummaryWriter

    def __call__(self, trainer: Trainer, event: Event) -> None:
        if isinstance(event, RunStarted) and trainer is not self._trainer:
            self._begin(trainer)
        elif isinstance(event, EpochDone):
            metrics = event.metrics
            for folder, tags in TAGS.items():
                for tag, column in tags.items():
                    self._writers[folder].add_scalar(tag, getattr(metrics, column), metrics.epoch)
        elif isinstance(event, RunFinished):
            for writer in self._writers.values():
                writer.flush()

    def _begin(self, trainer: Trainer) -> None:
        self.close()
        run = self._continued_folder() if self.continues else None
        if run is None:
            try:
                run = fresh_run_dir(self.directory, trainer.config, self.run_dir.name if self.run_dir else None)
                if self.run_dir is not None:
                    write_atomically(run / RUN_FILE, self._mark())
            except RunError as error:  # in the run's thread: the run ends in ERROR, saying why
                raise ScalarLogError(str(error)) from None
        self._trainer = trainer
        # tensorboardX names a file by the second it was opened in: the nanoseconds after
        # that keep a second file of the same second (a run continued at once) from
        # replacing the first, and sort them as they were written, the order TensorBoard reads
        suffix = f".{time.time_ns()}"
        self._writers = {
            folder: self._writer(logdir=str(run / folder), flush_secs=FLUSH_SECONDS, filename_suffix=suffix)
            for folder in TAGS
        }

    def _mark(self) -> bytes:
        """What RUN_FILE holds: the run folder's path as the file system has it (bytes, so
        that a name that is no UTF-8 is a mark like any other)."""
        return os.fsencode(self.run_dir.resolve()) + b"\n"

    def _continued_folder(self) -> Path | None:
        """The log folder in DIR whose RUN_FILE names ``run_dir``, if there is one."""
        mark = self._mark()
        for path in sorted(self.directory.glob(f"*/{RUN_FILE}")):
            try:
                if path.read_bytes() == mark:
                    return path.parent
            except OSError:  # not a file, or unreadable: not the mark of this run
                continue
        return None

    def close(self) -> None:
        """Write out and close the current run's files."""
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
