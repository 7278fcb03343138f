"""Drive a sweep: submit its runs, keep each one as it lands, stop cleanly.

The runner works in the client's main thread, waiting on the futures in short steps so
that Ctrl+C (SIGINT) and SIGTERM reach its handler: that sets the sweep's stop event,
cancels the runs not yet started, and keeps waiting for the running ones, which stop at
their next batch and come back to be saved as stopped. Each finished run is written into
the sweep's folder and its row appended to results.csv the moment it lands, so a sweep
killed at any point keeps every run that finished. A run that fails is its row with one
line of error, and the sweep goes on; a run whose worker died is submitted again (up to
``ATTEMPTS`` times: one that kills every worker it is given is then recorded as failed).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field

from tui_lstm.resources import too_big
from tui_lstm.sweep.folder import ResultRow, SweepFolder
from tui_lstm.sweep.plan import PlanError, PlannedRun
from tui_lstm.sweep.task import RunResult, RunTask, run_task

ATTEMPTS = 3
WAIT_SECONDS = 0.1  # between looks for landed runs: a signal's handler runs between them
EXIT_FAILED = 1
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass
class Tally:
    """How the sweep stands, for its progress line."""

    total: int
    done: int = 0  # landed: finished, diverged or stopped
    failed: int = 0
    skipped: int = 0  # done by an earlier sweep (--resume)
    running: int = 0
    started: float = field(default_factory=time.monotonic)
    run_seconds: list[float] = field(default_factory=list)  # each landed run's time in its worker
    workers: int = 1

    @property
    def left(self) -> int:
        return self.total - self.done - self.failed - self.skipped

    def eta(self) -> float | None:
        """Seconds until the last run lands, from the runs landed so far."""
        if not self.run_seconds:
            return None
        mean = sum(self.run_seconds) / len(self.run_seconds)
        return mean * self.left / max(min(self.workers, self.left), 1)


def check_memory(runs: list[PlannedRun], room: int | None) -> None:
    """Refuse, before anything starts, a run that would not fit a worker's memory."""
    for run in runs:
        refused = too_big(run.config, room)
        if refused:
            raise PlanError(f"{run.name}: {refused[1]}")


class SweepRunner:
    def __init__(
        self,
        folder: SweepFolder,
        executor,
        on_change: Callable[[Tally, PlannedRun | None, ResultRow | None], None] = lambda tally, run, row: None,
    ):
        self.folder = folder
        self.executor = executor
        self.on_change = on_change  # after each landed run (run and row), and as runs start
        self.signal: int | None = None
        self.rows: dict[str, ResultRow] = {}

    def run(self) -> int:
        """Run what is not done yet; the exit status (0: every run finished or diverged)."""
        runs = self.folder.plan.runs()
        self.rows = self.folder.start(runs)
        todo = [run for run in runs if run.name not in self.rows]
        tally = Tally(len(runs), skipped=len(self.rows), workers=self.executor.workers)
        handlers = {number: signal.signal(number, self._on_signal) for number in EXIT_SIGNAL}
        try:
            self._execute(todo, tally)
        except BaseException:  # a folder that cannot take a run: the runs still going stop too
            self.executor.stop()
            raise
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.folder.unlock()
        if self.signal is not None:
            return EXIT_SIGNAL[self.signal]
        return EXIT_FAILED if tally.failed else 0

    def _on_signal(self, number: int, frame) -> None:
        if self.signal is None:
            self.signal = number
            self.executor.stop()

    def _execute(self, todo: list[PlannedRun], tally: Tally) -> None:
        handle = self.executor.stop_handle()
        until_exact = self.folder.plan.until_exact
        attempts: dict[str, int] = {}
        submitted: dict[Future, PlannedRun] = {}

        def submit(run: PlannedRun) -> None:
            attempts[run.name] = attempts.get(run.name, 0) + 1
            task = RunTask(run.name, run.config, until_exact, handle)
            submitted[self.executor.submit(run_task, task)] = run

        for run in todo:
            submit(run)
        cancelled = False
        while submitted:
            if self.signal is not None and not cancelled:
                cancelled = True
                for future in submitted:
                    future.cancel()  # those not started; the running ones stop themselves
            landed, pending = wait(submitted, timeout=WAIT_SECONDS, return_when=FIRST_COMPLETED)
            tally.running = min(len(pending), tally.workers)
            for future in landed:
                run = submitted.pop(future)
                if future.cancelled():
                    continue
                error = future.exception()
                if error is not None and self.executor.lost(future, error) and attempts[run.name] < ATTEMPTS:
                    if self.signal is None:
                        submit(run)
                    continue
                result = future.result() if error is None else RunResult(run.name, None, _worker_error(error))
                self._land(run, result, tally)
            self.on_change(tally, None, None)

    def _land(self, run: PlannedRun, result: RunResult, tally: Tally) -> None:
        """Keep a run that came back: its folder, then its row."""
        if not result.started:
            return  # the sweep was stopping before it began
        if result.record is not None:
            self.folder.save(run, result.record)
            row = ResultRow.of(run, result.record, result.first_exact_epoch, result.seconds_to_exact)
            tally.done += 1
            tally.run_seconds.append(result.worker_seconds)
        else:
            row = ResultRow.failed(run, result.error)
            tally.failed += 1
        self.folder.append(row, run.point)
        self.rows[run.name] = row
        self.on_change(tally, run, row)


def _worker_error(error: BaseException) -> str:
    """An error that came from the executor, not the run: a worker lost too often."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
