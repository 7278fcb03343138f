"""Seconds of a run, pauses excluded: the one clock that the training loop and the status line read.

The loop starts it when a run begins, stops it while it waits on a pause and when the run
ends; anyone may read ``seconds`` meanwhile from another thread.
"""

from __future__ import annotations

import threading
import time


class Stopwatch:
    def __init__(self):
        self._lock = threading.Lock()
        self._total = 0.0
        self._since: float | None = None  # when it was last started, None while stopped

    def start(self) -> None:
        with self._lock:
            if self._since is None:
                self._since = time.perf_counter()

    def stop(self) -> None:
        with self._lock:
            if self._since is not None:
                self._total += time.perf_counter() - self._since
                self._since = None

    def reset(self) -> None:
        with self._lock:
            self._total, self._since = 0.0, None

    @property
    def running(self) -> bool:
        return self._since is not None

    @property
    def seconds(self) -> float:
        with self._lock:
            return self._total + (time.perf_counter() - self._since if self._since is not None else 0.0)
