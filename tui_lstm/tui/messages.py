"""What the training worker tells the app: one small message per engine event.

The worker thread never touches a widget; it posts these and the app's handlers (on the
UI thread) update the screen. Batch progress arrives up to ten times a second and only
the newest matters, so a pending one is replaced by the next (``can_replace``).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.worker import Worker

from tui_lstm.training import BatchDone, EpochDone, Event, RunFinished, RunStarted, Trainer


@dataclass
class TrainingMessage(Message):
    """From the training worker ``worker``: a reset or a new run makes its late ones stale."""

    worker: Worker


@dataclass
class TrainingStarted(TrainingMessage):
    """A run (new or continued) has begun; ``trainer`` is the one to steer."""

    trainer: Trainer


@dataclass
class BatchProgress(TrainingMessage):
    event: BatchDone

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BatchProgress)


@dataclass
class EpochFinished(TrainingMessage):
    event: EpochDone


@dataclass
class TrainingFinished(TrainingMessage):
    event: RunFinished


def message_for(event: Event, trainer: Trainer, worker: Worker) -> TrainingMessage:
    """The message that carries a training event to the app."""
    if isinstance(event, RunStarted):
        return TrainingStarted(worker, trainer)
    if isinstance(event, BatchDone):
        return BatchProgress(worker, event)
    if isinstance(event, EpochDone):
        return EpochFinished(worker, event)
    if isinstance(event, RunFinished):
        return TrainingFinished(worker, event)
    raise TypeError(f"no message for {event!r}")
