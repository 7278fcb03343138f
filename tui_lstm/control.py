"""Pause, resume, stop and the learning rate: how another thread steers a training run.

The training loop calls ``checkpoint()`` between batches; the UI thread calls the rest.
Nothing else crosses between the two threads.
"""

from __future__ import annotations

import threading
import time


class Control:
    def __init__(self, lr: float):
        self.lr = lr  # read by the backend before every batch
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self.paused_seconds = 0.0  # time spent waiting in checkpoint()

    def rearm(self) -> None:
        """Clear a stop, so that a stopped run can be continued."""
        self._stop.clear()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused loop wakes up to see the stop

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
        """Block while paused; True if the run must stop now."""
        if not self._running.is_set():
            waited = time.perf_counter()
            self._running.wait()
            self.paused_seconds += time.perf_counter() - waited
        return self._stop.is_set()
