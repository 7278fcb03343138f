"""Open a saved run: a one-line prompt for its folder that returns the loaded run.

The folder is read, and its test rows drawn and answered by its model, in a thread
worker: a keras model imports TensorFlow, which takes seconds, and a run's test pairs
may be a million. A folder that is not a run is answered in the prompt, in one line,
and nothing changes. A good one closes the screen with ``dismiss(opened_run)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.text import Text
from textual import on, work
from textual.worker import Worker, WorkerState

from tui_lstm.evaluate import predicted_bits
from tui_lstm.runs import SavedRun, load_run
from tui_lstm.training import pairs_for_testing
from tui_lstm.tui.screens.prompt import PromptScreen
from tui_lstm.tui.widgets.results import TestRows


@dataclass(frozen=True)
class OpenedRun:
    """A loaded run, with what the board shows of it: its test rows and its model's answers."""

    saved: SavedRun
    rows: TestRows
    predictions: np.ndarray


def open_run(path: Path) -> OpenedRun:
    saved = load_run(path)
    rows = TestRows.of(pairs_for_testing(saved.config), saved.config.cell)
    return OpenedRun(saved, rows, predicted_bits(saved.backend, saved.config.layout, rows.pairs))


class OpenScreen(PromptScreen):
    def __init__(self, runs_dir: Path):
        super().__init__("Open a run folder", str(runs_dir / "…"), self._open)

    def _open(self, text: str) -> Text:
        self._load(Path(text.strip()).expanduser())
        return Text("opening…")

    @work(thread=True, group="open", exclusive=True, exit_on_error=False)
    def _load(self, path: Path) -> OpenedRun:
        return open_run(path)

    @on(Worker.StateChanged)
    def _loaded(self, event: Worker.StateChanged) -> None:
        event.stop()  # a bad folder is this screen's to answer, not the app's to report
        if event.state == WorkerState.SUCCESS:
            self.dismiss(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self.say(Text(str(event.worker.error).splitlines()[0], "red"))
