"""Pause, resume, stop and the learning rate: how another thread, or process, steers a run.

The training loop calls ``checkpoint()`` between batches and before each epoch after its
first, and its session ``end_epoch()`` between epochs; anyone else calls the rest.
The stop is a signal object with ``set``, ``clear`` and ``is_set``: a ``threading.Event``
by default, but a ``multiprocessing`` manager's Event or a Dask ``distributed.Event``
work the same, so a run in another process (a sweep's worker) can be stopped from here.
"""

from __future__ import annotations

import threading
from typing import Protocol

from tui_lstm.stopwatch import Stopwatch


class StopSignal(Protocol):
    def set(self) -> None: ...

    def clear(self) -> None: ...

    def is_set(self) -> bool: ...


class Control:
    def __init__(self, lr: float, stopwatch: Stopwatch | None = None, stop_signal: StopSignal | None = None):
        self.lr = lr  # the run's learning rate, which the console may change at any time
        self.lr_factor = 1.0  # times this in the epoch under way: its annealing (TrainConfig.lr_factor)
        self.stopwatch = stopwatch or Stopwatch()  # stopped while checkpoint() waits on a pause
        self._stop = stop_signal if stop_signal is not None else threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._pause_at_epoch_end = threading.Event()  # a step (the console's n) is under way

    @property
    def batch_lr(self) -> float:
        """The learning rate of the next batch: read by the backend before every batch."""
        return self.lr * self.lr_factor

    def rearm(self) -> None:
        """Clear a stop, so that a stopped run can be continued."""
        self._stop.clear()
        self._pause_at_epoch_end.clear()

    def stop(self) -> None:
        self._pause_at_epoch_end.clear()
        self._stop.set()
        self._running.set()  # a paused loop wakes up to see the stop

    def pause_after_epoch(self) -> None:
        """Pause when the epoch being trained ends: before the next one's first batch."""
        self._pause_at_epoch_end.set()

    def end_epoch(self) -> bool:
        """An epoch has ended (the loop's thread, before the next epoch's first checkpoint):
        pause here if pause_after_epoch() asked to; True if it did."""
        if not self._pause_at_epoch_end.is_set() or self._stop.is_set():
            return False
        self._pause_at_epoch_end.clear()
        self._running.clear()
        # A stop between the check above and the pause has woken the loop before the pause
        # put it to sleep again: read the stop once more, after the pause, and give way to
        # it. Whichever way stop() interleaves, the loop ends up awake (no lock: the signal
        # may live in another process).
        if self._stop.is_set():
            self._running.set()
            return False
        return True

    def cancel_step(self) -> None:
        """Forget a pending pause_after_epoch(): a resume by hand trains on, with no pause
        left over from a step asked before it."""
        self._pause_at_epoch_end.clear()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def checkpoint(self) -> bool:
        """Block while paused (the stopwatch stopped meanwhile); True if the run must stop now."""
        if not self._running.is_set():
            self.stopwatch.stop()
            self._running.wait()
            self.stopwatch.start()
        return self._stop.is_set()
