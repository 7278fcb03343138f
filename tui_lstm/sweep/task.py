"""One sweep run as a task for a worker process: plain data in, plain data out.

A worker may be another process on this machine or another machine altogether, with no
filesystem shared with the client: so a task takes the config and returns the whole
finished run (a ``RunRecord``: config, history, model bytes, summary), and the client
writes the folder. A failure inside the run comes back as its one line, never as an
exception that would look like a lost worker.

Each run uses one BLAS thread, set inside the task with threadpoolctl (an environment
variable is read only when NumPy is imported, which in a pool's worker is long before):
the workers are the parallelism, and one thread keeps the numbers the same everywhere.

Stopping: no executor can cancel a task that is running, so a stop is cooperative. The
sweep shares one stop event with its workers (``StopHandle``); each run checks it
between batches, through ``SweepStop``, which a run can also set and clear for itself
without touching the sweep's (a session clears its stop signal when a run begins).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from tui_lstm.config import TrainConfig
from tui_lstm.control import StopSignal
from tui_lstm.record import RunRecord
from tui_lstm.session import Session
from tui_lstm.training import EpochDone, Event


class StopHandle(Protocol):
    """Picklable: sent with each task, it finds the sweep's stop event in the worker."""

    poll: float  # seconds between looks at the event from a run

    def signal(self) -> StopSignal: ...


class SweepStop:
    """A run's stop signal: set if the run's own stop or the sweep's is. The sweep's is
    read at most every ``poll`` seconds, since asking it may cross the network."""

    def __init__(self, sweep: StopSignal, poll: float = 0.0):
        self.sweep, self.poll = sweep, poll
        self._own = False
        self._seen, self._asked = False, float("-inf")

    def set(self) -> None:
        self._own = True

    def clear(self) -> None:
        self._own = False

    def is_set(self) -> bool:
        return self._own or self.sweep_stopped()

    def sweep_stopped(self) -> bool:
        now = time.monotonic()
        if not self._seen and now - self._asked >= self.poll:
            self._asked, self._seen = now, self.sweep.is_set()
        return self._seen


@dataclass(frozen=True)
class RunTask:
    name: str
    config: TrainConfig
    until_exact: bool
    stop: StopHandle


@dataclass(frozen=True)
class RunResult:
    """What a worker sends back. ``record`` is None if the run failed (``error`` says
    why) or never started because the sweep was already stopping."""

    name: str
    record: RunRecord | None
    error: str = ""
    first_exact_epoch: int | None = None  # the first epoch with every evaluation pair right
    seconds_to_exact: float | None = None  # training seconds up to the end of that epoch
    worker_seconds: float = 0.0  # the whole task in the worker: building, training, testing

    @property
    def started(self) -> bool:
        return self.record is not None or bool(self.error)


class FirstExact:
    """An on_event that notes when every evaluation pair was first right."""

    def __init__(self):
        self.epoch: int | None = None
        self.seconds: float | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, EpochDone) and self.epoch is None and event.eval_exact_accuracy == 1.0:
            self.epoch, self.seconds = event.metrics.epoch, event.elapsed


def run_task(task: RunTask) -> RunResult:
    """Train one run in this process, with one BLAS thread."""
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    stop = SweepStop(task.stop.signal(), task.stop.poll)
    if stop.sweep_stopped():
        return RunResult(task.name, None)
    first = FirstExact()
    session = Session(first, stop_signal=stop)
    try:
        with threadpool_limits(limits=1):
            record = session.train(task.config, until_exact=task.until_exact)
    except Exception as error:  # the run's own failure: its line, and the sweep goes on
        return RunResult(task.name, None, error=f"{type(error).__name__}: {error}")
    if record.state == "stopped" and not record.history:  # stopped before its first epoch ended
        return RunResult(task.name, None)
    elapsed = time.perf_counter() - started
    return RunResult(task.name, record, "", first.epoch, first.seconds, elapsed)
