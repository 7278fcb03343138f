"""The training console: pick settings, press s, and watch a network learn to add.

The app binds keys to the ``Session``, which keeps the run's state and its rules, and
runs the session in a thread worker whose events go to the board as messages; the board
keeps the reactive state the widgets are bound to. Screens ask for a sum, a folder, or
show the inside of the network.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState, get_current_worker

from tui_lstm.config import TrainConfig, preset
from tui_lstm.headless_run import EXIT_SIGNAL
from tui_lstm.resources import too_big
from tui_lstm.runs import RunError, write_atomically
from tui_lstm.session import RunState, Session
from tui_lstm.training import Trainer
from tui_lstm.tui.board import Board
from tui_lstm.tui.charset import shows_drawing
from tui_lstm.tui.commands import ConsoleCommands
from tui_lstm.tui.messages import TrainingEnded, TrainingEvent
from tui_lstm.tui.model_keys import ModelKeys
from tui_lstm.tui.screens.help import HelpScreen
from tui_lstm.tui.terminal import screen_of_its_own
from tui_lstm.tui.thread_priority import ui_first
from tui_lstm.tui.widgets.hyperparams import Hyperparams
from tui_lstm.tui.widgets.results import ResultsTable


class TuiLstmApp(ModelKeys, App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tui-lstm"
    AUTO_FOCUS = "#results"  # not a field: the single-letter keys work from the start
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    BINDINGS = [
        Binding("s", "start", "start", tooltip="Start training, or resume a paused or stopped run"),
        Binding("p", "pause", "pause", tooltip="Pause training, or resume it"),
        # n, c and P are off the footer, which 80 columns fill already
        Binding("n", "step", "step", show=False, tooltip="Train one epoch, then pause (again: one more epoch)"),
        Binding("x", "stop", "stop", tooltip="Stop training after the current batch"),
        Binding("r", "reset", "reset", tooltip="Fresh weights, same settings"),
        Binding("t", "try_sum", "try", tooltip="Add two numbers with the model, bit by bit"),
        Binding(
            "i", "inspect", "see", tooltip="Inside the network: gates, states and the carry for the last sum tried"
        ),
        Binding(
            "g", "generalize", "longer", tooltip="Longer sums: exact accuracy from the training width to 4,096 bits"
        ),
        Binding(
            "v",
            "flow",
            "flow",
            show=False,
            tooltip="Gradient flow through time by epoch, gate saturation, and exact accuracy by carry-chain length",
        ),
        Binding("ctrl+s", "save", "save", tooltip="Save the run to a new folder under runs/"),
        Binding("o", "open", "open", tooltip="Open a saved run: its curves, table and model"),
        # off the footer, which 80 columns fill already; the help screen and the palette list it
        Binding(
            "c",
            "compare",
            "compare",
            show=False,
            tooltip="Compare the saved runs and sweeps: sort, filter, overlay their curves, note, delete",
        ),
        Binding(
            "P",
            "screenshot",
            "screenshot",
            show=False,
            tooltip="Save the screen as SVG in the runs folder's screenshots/ (in a browser, download it too)",
        ),
        Binding("question_mark", "help", "help", tooltip="Keys, and how to read the screen"),
        Binding("q", "quit", "quit", tooltip="Quit (a live run is stopped first)"),
        Binding("escape", "leave_field", show=False),
    ]

    def __init__(
        self,
        config: TrainConfig | None = None,
        *,
        start_training: bool = False,
        runs_dir=Path("runs"),
        watcher=None,  # the session's (see Session): --tensorboard's log
        ascii: bool | None = None,  # charts and sparklines in ASCII; None: where stdout cannot show them
    ):
        super().__init__()
        self.ascii = not shows_drawing(getattr(sys.stdout, "encoding", None)) if ascii is None else ascii
        self.set_class(self.ascii, "-ascii", update=False)  # app.tcss's ASCII borders
        self.initial_config = config or preset("fast")
        self.start_training = start_training
        self.runs_dir = Path(runs_dir)
        self.session = Session(watcher=watcher)
        self.last_sum = "93+116"  # the last sum tried (t): the one the inside view (i) opens with

    def get_system_commands(self, screen):
        """Textual's palette commands, less its screenshot (into the downloads folder): the
        console's own (P, into the runs folder) is in the palette under the same name."""
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command

    def get_default_screen(self) -> Board:
        self.board = Board(self.initial_config, self.session, id="board")
        return self.board

    def on_mount(self) -> None:
        # SIGTERM ends the console as q does, so the terminal is restored (the default
        # would kill the process with the screen still in Textual's modes)
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self.action_quit, EXIT_SIGNAL[signal.SIGTERM])

    def on_ready(self) -> None:
        if self.start_training:
            self.action_start()

    @property
    def panel(self) -> Hyperparams:
        return self.board.panel

    @property
    def trainer(self) -> Trainer | None:
        return self.session.trainer

    @property
    def live(self) -> bool:
        return self.session.live

    def _say(self, problem: str | None) -> None:
        if problem:
            self.notify(problem)
        self.board.follow()

    # --- a run: start, pause, stop, reset, quit -------------------------------------

    def action_start(self) -> None:
        if self.session.state == RunState.PAUSED:
            return self._say(self.session.pause())
        self._begin()

    def action_step(self) -> None:
        """One epoch, then a pause (TF Playground's step): a new or continued run from idle,
        one epoch more from a pause."""
        if self.live:
            return self._say(self.session.step())
        self._begin(step=True)

    def _begin(self, step: bool = False) -> None:
        """Start training the panel's settings, a continued run where they allow it."""
        if self.live:
            return self._say("already training")
        if self.panel.config is None:
            name, reason = next(iter(self.panel.problems.items()))
            self.panel.scroll_to_widget(self.panel.control(name))
            return self.notify(f"cannot start: {reason}", severity="error")
        if refused := too_big(self.panel.config):
            return self.notify(f"cannot start: {refused[1]}", severity="error")
        if self.session.begin(self.panel.config, step=step):
            self.notify(f"continuing after epoch {self.session.epoch}")
        self.panel.lock_shape(True)
        self.board.status.note = ""
        self.board.follow()
        # the worker once the screen says "starting": a backend's first import (TensorFlow's
        # takes seconds) holds the GIL, and the screen would wait for it to end
        self.call_after_refresh(self._start_worker)

    def _start_worker(self) -> None:
        self.board.worker = self._train()

    @work(thread=True, group="train", exit_on_error=False)
    def _train(self) -> None:
        """Run the session in this thread; everything it reports goes to the board."""
        worker = get_current_worker()

        def relay(event) -> None:
            if worker.is_cancelled:  # the app is going away: stop at this batch
                self.session.stop()
            self.board.post_message(TrainingEvent(worker, event))

        self.session.on_event = relay
        try:
            with ui_first():
                self.session.run()
        finally:
            self.board.post_message(TrainingEnded(worker))

    def action_pause(self) -> None:
        self._say(self.session.pause())

    def action_stop(self) -> None:
        self._say(self.session.stop())

    async def action_reset(self) -> None:
        if self.live:
            self.session.stop()
            await self.board.worker.wait()
        self.session.reset()
        self.board.forget_worker()
        self.board.epochs = (self.panel.config or self.initial_config).epochs
        self.board.show_run(None)
        self._say("reset: the next start trains fresh weights")

    def action_quit(self, return_code: int = 0) -> None:
        """Exit at once: a live run ends at its next batch while Textual shuts down, and
        the process waits for that thread (asyncio.run joins its executor) before it ends.
        ``return_code`` is the command's exit status: a SIGTERM's says so, as headless runs' do."""
        self.session.stop()
        self.exit(return_code=return_code)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.notify(f"{event.worker.group} failed: {event.worker.error}", severity="error", timeout=10)

    @on(Hyperparams.Changed)
    def _settings_changed(self, message: Hyperparams.Changed) -> None:
        """A new learning rate reaches a live run from its next batch."""
        if message.config is None:
            return
        if self.live and self.trainer is not None:
            self.trainer.control.lr = message.config.lr
        elif self.trainer is None:
            self.board.epochs = message.config.epochs

    def choose_preset(self, name: str) -> None:
        if self.live:
            self.notify("stop the run before choosing a preset")
        else:
            self.panel.load(preset(name))

    def action_leave_field(self) -> None:
        self.query_one(ResultsTable).focus()

    def action_screenshot(self) -> None:
        """The screen as Textual's SVG, written whole under the runs folder's screenshots/
        and named for the time; in a browser, also downloaded."""
        folder = self.runs_dir / "screenshots"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = reserve_screenshot(folder, datetime.now())
        except OSError as error:
            return self.notify(f"no screenshot: {error}", severity="error")
        try:
            write_atomically(path, self.export_screenshot().encode())  # over the reserved empty file
        except (OSError, RunError) as error:
            path.unlink(missing_ok=True)
            return self.notify(f"no screenshot: {error}", severity="error")
        self.board.status.note = f"screenshot {path}"
        if self.is_web:
            self.deliver_binary(path, save_filename=path.name, mime_type="image/svg+xml")

    def action_flow(self) -> None:
        from tui_lstm.nn.flow import check_bits_layout
        from tui_lstm.tui.screens.flow import FlowScreen

        if trainer := self._model_or_say():
            try:
                check_bits_layout(trainer.config.layout)
            except ValueError as error:
                return self.notify(str(error), severity="warning")
            self.push_screen(FlowScreen(trainer, ascii=self.ascii))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_compare(self) -> None:
        from tui_lstm.tui.screens.runs import RunsScreen  # here: the console's first frame does without it

        self.push_screen(RunsScreen(self.runs_dir))


def reserve_screenshot(folder: Path, now: datetime) -> Path:
    """A new empty file in ``folder`` named for ``now``: tui-lstm-2026-11-24-192248.svg, then
    -2, -3, ... for more in the same second. Made with an exclusive create, so consoles
    served side by side never take one name (the SVG then replaces it whole)."""
    stem = f"tui-lstm-{now:%Y-%m-%d-%H%M%S}"
    for n in itertools.count(1):
        path = folder / (f"{stem}.svg" if n == 1 else f"{stem}-{n}.svg")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            continue
        return path


def run(
    config: TrainConfig, start_training: bool = False, runs_dir=Path("runs"), watcher=None, ascii: bool = False
) -> int:
    """The console, on a screen of its own (see terminal.py), until it is quit; its exit
    status: 0, 143 after a SIGTERM, 1 if it failed. ``ascii``: charts and sparklines in
    ASCII (they are anyway where stdout's encoding cannot show them)."""
    app = TuiLstmApp(config, start_training=start_training, runs_dir=runs_dir, watcher=watcher, ascii=ascii or None)
    with screen_of_its_own():
        app.run()
    return app.return_code or 0
