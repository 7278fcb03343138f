"""Where a sweep's runs execute: behind one ``concurrent.futures.Executor``-shaped seam.

An executor here is an object with ``submit(fn, *args) -> Future`` and ``shutdown()``
(as ``concurrent.futures.Executor`` has), and what a sweep needs besides:

- ``workers``: how many runs go at once;
- ``stop_handle()`` / ``stop()``: the sweep's stop event, which reaches every worker
  (see task.py: a running task cannot be cancelled, so runs stop themselves);
- ``lost(future, error)``: whether ``error`` means the run's worker died, and the run
  should be submitted again (the executor is ready for it when this returns);
- ``memory_room()``: the bytes one run may hold, so that a run too big for a worker
  is refused before it starts rather than killing the worker.

``LocalPool`` is the default: a process pool on this machine. ``cluster.DaskCluster``
runs on a Dask cluster; it is imported only for ``--cluster``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from tui_lstm import resources

_SWEEP_STOP = None  # in a pool's worker process: the sweep's stop event, set up at its start


def cores() -> int:
    """The cores this process may use (its affinity, where the system says)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _start_worker(stop, parent: int) -> None:
    """A pool worker's start: the sweep's stop event; Ctrl+C on the terminal is the
    client's to handle (it reaches the whole process group); and the worker ends if its
    client dies without shutting the pool down (killed), rather than run on alone."""
    global _SWEEP_STOP
    _SWEEP_STOP = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(parent,), daemon=True, name="parent-watch").start()


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


class LocalStop:
    """The pool's stop event, as its workers find it."""

    poll = 0.0  # a semaphore's look: free

    def signal(self):
        return _SWEEP_STOP


class LocalPool:
    """A pool of ``workers`` processes on this machine, started fresh (spawn: no state
    of the client's copied in), replaced if a worker dies and breaks it."""

    def __init__(self, workers: int):
        self.workers = workers
        self._context = multiprocessing.get_context("spawn")
        self._stop = self._context.Event()
        self._pool = self._new_pool()
        self._generation = 0
        self._born: dict[Future, int] = {}  # each future's pool, by generation

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.workers, mp_context=self._context, initializer=_start_worker, initargs=(self._stop, os.getpid())
        )

    def submit(self, fn, /, *args) -> Future:
        future = self._pool.submit(fn, *args)
        self._born[future] = self._generation
        return future

    def lost(self, future: Future, error: BaseException) -> bool:
        """A broken pool fails every run it held: the first of them replaces it."""
        if not isinstance(error, BrokenProcessPool):
            return False
        if self._born.pop(future, None) == self._generation:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            self._generation += 1
        return True

    def stop_handle(self) -> LocalStop:
        return LocalStop()

    def stop(self) -> None:
        self._stop.set()

    def memory_room(self) -> int | None:
        room = resources.available()
        return None if room is None else room // self.workers

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def make_executor(workers: int | None, cluster: str | None):
    """The executor a sweep's flags ask for: a local pool, or the Dask cluster at ``cluster``."""
    if cluster is not None:
        from tui_lstm.sweep.cluster import DaskCluster

        return DaskCluster(cluster)
    return LocalPool(workers or cores())
