"""One run of ``tui-lstm train --headless``, safe under faults.

- The folder is reserved before the first epoch, so one that cannot take the run is
  refused before any work is done.
- The session trains in a thread; the main thread only waits, so Ctrl+C (SIGINT) and
  SIGTERM reach a handler that stops the run at its next batch. The run is then saved
  as stopped, with the model of its last whole epoch, and the command exits 130 or 143.
  A signal while the save is being written is answered "saving, one moment".
- Standard output closed by its reader (``| head -1``) stops and saves the run the same
  way, with the status a shell gives a writer whose reader left (141).
- A crash in the training thread is one line and exit 1: no traceback, and no folder
  that looks like a finished run (only the last checkpoint, if one was written).
- Every ``checkpoint_every`` epochs the run is saved into its folder (the same
  whole-or-nothing way), so a kill loses at most that many epochs; ``--from`` goes on
  from there.
- If the final save still fails, the run is kept in the temporary folder and the line
  says where.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path

from tui_lstm.runs import SUMMARY, RunError, replace_run, rescue_run
from tui_lstm.session import RunState, Session

EXIT_FAILED = 1
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal's number, as shells report it
EXIT_OUTPUT_CLOSED = 128 + signal.SIGPIPE  # 141: what a shell reports for a writer whose reader left


class HeadlessRun:
    def __init__(self, session: Session, out: Path, say: Callable[[str], None]):
        self.session = session
        self.out = out
        self._say = say  # one line for the user, on standard error
        self.signal: int | None = None  # the one that stopped the run
        self.output_closed = False  # or standard output's reader, by leaving
        self.saving = False
        self.crash: BaseException | None = None
        self.saved = None  # the record, once saved into ``out``
        session.checkpoint = self._checkpoint

    def run(self) -> int:
        """Train and save; the exit status (0: trained to its end and saved)."""
        handlers = {number: signal.signal(number, self._on_signal) for number in EXIT_SIGNAL}
        try:
            worker = threading.Thread(target=self._train, name="train")
            worker.start()
            while worker.is_alive():
                worker.join(0.1)  # short waits: a signal's handler runs between them
            if self.crash is not None:
                return self._failed()
            self.saving = True
            status = self._save()
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)
        return status

    def say(self, line: str) -> None:
        try:
            self._say(line)
        except OSError:  # standard error closed too: the exit status says it
            pass

    def _train(self) -> None:
        try:
            self.session.run()
        except BaseException as crash:  # the session is in ERROR and says why
            self.crash = crash

    def _on_signal(self, number: int, frame) -> None:
        if self.saving:
            self.say("saving, one moment")
            return
        self.signal = self.signal or number
        self.session.stop()

    def on_output_closed(self) -> None:
        """Standard output's reader has gone: stop at the next batch and save, as a signal does."""
        self.output_closed = True
        self.session.stop()

    def _checkpoint(self, record) -> None:
        replace_run(self.out, record)

    def _failed(self) -> int:
        error = self.session.error or type(self.crash).__name__
        kept = f"; its last checkpoint is in {self.out}" if (self.out / SUMMARY).exists() else ""
        if not kept:
            _remove_if_empty(self.out)
        self.say(f"training failed: {type(self.crash).__name__}: {error}{kept}")
        return EXIT_FAILED

    def _save(self) -> int:
        record = self.session.record()
        try:
            replace_run(self.out, record)
        except RunError as error:
            rescued = rescue_run(record)
            self.say(f"could not save to {self.out} ({error}); the run is kept in {rescued}")
            return EXIT_FAILED
        self.saved = record
        reader_left = self.output_closed and record.state == RunState.STOPPED.value  # not if the run had ended
        if self.signal is not None or reader_left:
            why = "its output's reader left: " if self.signal is None else ""
            self.say(f"{why}stopped after epoch {len(record.history)}; saved to {self.out}")
            return EXIT_SIGNAL[self.signal] if self.signal is not None else EXIT_OUTPUT_CLOSED
        return EXIT_FAILED if self.session.state == RunState.DIVERGED else 0


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
