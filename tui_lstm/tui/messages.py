"""What the console's workers tell the app: each worker posts messages, never touches a widget.

Training events arrive from the training thread up to ten times a second; only the
newest batch progress matters, so a pending one is replaced by the next
(``can_replace``). Each training message names the worker it came from: a reset or a new
run makes an older worker's late messages stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.worker import Worker

from tui_lstm.training import BatchDone, Event


@dataclass
class TrainingEvent(Message):
    """One event of the session's run (see tui_lstm.training)."""

    worker: Worker
    event: Event

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, TrainingEvent)
            and isinstance(message.event, BatchDone)
            and isinstance(self.event, BatchDone)
        )


@dataclass
class TrainingEnded(Message):
    """The training worker is done, however it ended (a failure is reported separately)."""

    worker: Worker


@dataclass
class Generalized(Message):
    """Exact accuracy on random longer pairs: {width: accuracy}."""

    accuracy: dict[int, float]
