"""The training console: pick settings, press s, and watch a network learn to add.

Training runs in one thread worker (group "train"); it builds the trainer there (so the
keras backend imports TensorFlow off the UI thread and keeps its state in one thread),
and reaches the screen only through the messages in ``messages.py``. The UI thread does
little per message: it keeps the newest, and a timer draws the progress, the curves and
the table two or three times a second.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer
from textual.worker import Worker, WorkerState, get_current_worker

from tui_lstm.config import TrainConfig, preset
from tui_lstm.evaluate import generalization, predicted_bits
from tui_lstm.inspection import NoBitSteps, check_bits_layout
from tui_lstm.runs import RunError, SavedRun, fresh_run_dir, load_run, save_run
from tui_lstm.seeding import EVAL, rng_for
from tui_lstm.training import BatchDone, EpochDone, Trainer
from tui_lstm.tui.commands import ConsoleCommands
from tui_lstm.tui.inspect_screen import InspectScreen
from tui_lstm.tui.messages import (
    BatchProgress,
    EpochFinished,
    TrainingFinished,
    TrainingMessage,
    TrainingStarted,
    message_for,
)
from tui_lstm.tui.screens.help import HelpScreen
from tui_lstm.tui.screens.prompt import PromptScreen
from tui_lstm.tui.sums import try_sum
from tui_lstm.tui.widgets.curves import Charts, Sparklines
from tui_lstm.tui.widgets.hyperparams import Hyperparams
from tui_lstm.tui.widgets.results import ResultsTable
from tui_lstm.tui.widgets.status import StatusLine, Stopwatch

REDRAW_SECONDS = 0.4  # progress, curves and table are redrawn at most this often (bytes/s over SSH)
UI_SWITCH_SECONDS = 0.001  # the longest the UI thread waits for the GIL (Python's default: 5 ms)


class TuiLstmApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tui-lstm"
    AUTO_FOCUS = "#results"  # not a field: the single-letter keys work from the start
    COMMANDS = App.COMMANDS | {ConsoleCommands}
    BINDINGS = [
        Binding("s", "start", "start", tooltip="Start training, or resume a paused or stopped run"),
        Binding("p", "pause", "pause", tooltip="Pause training, or resume it"),
        Binding("x", "stop", "stop", tooltip="Stop training after the current batch"),
        Binding("r", "reset", "reset", tooltip="Fresh weights, same settings"),
        Binding("t", "try_sum", "try", tooltip="Add two numbers with the model, bit by bit"),
        Binding(
            "i", "inspect", "see", tooltip="Inside the network: gates, states and the carry for the last sum tried"
        ),
        Binding("g", "generalize", "longer", tooltip="Test a bits model on 16-, 32- and 64-bit numbers"),
        Binding("ctrl+s", "save", "save", tooltip="Save the run to a new folder under runs/"),
        Binding("o", "open", "open", tooltip="Open a saved run: its curves, table and model"),
        Binding("question_mark", "help", "help", tooltip="Keys, and how to read the screen"),
        Binding("q", "quit", "quit", tooltip="Quit (a live run is stopped first)"),
        Binding("escape", "leave_field", show=False),
    ]

    def __init__(
        self, config: TrainConfig | None = None, *, start_training: bool = False, runs_dir: Path = Path("runs")
    ):
        super().__init__()
        self.initial_config = config or preset("fast")
        self.start_training = start_training
        self.runs_dir = Path(runs_dir)
        self.stopwatch = Stopwatch()
        self.trainer: Trainer | None = None  # None until a run starts or is opened
        self.train_worker: Worker | None = None
        self._latest: EpochDone | None = None  # the newest epoch not yet drawn
        self._progress: BatchDone | None = None  # the newest batch not yet drawn
        self._table_of: Trainer | None = None  # the trainer whose test pairs the table shows
        self._run_start = (0, 0.0)  # (epochs done, stopwatch seconds) when this run began
        self.last_sum = "93+116"  # the last sum tried (t): the one the inside view (i) opens with

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield Hyperparams(self.initial_config, id="hyperparams")
            with Vertical(id="board"):
                yield Sparklines(id="sparklines")
                yield Charts(id="charts")
                yield ResultsTable(id="results")
        yield StatusLine(self.stopwatch, id="status")
        # ^p (the command palette) is on the help screen: 80 columns hold every other key
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        # The training thread holds the GIL between small NumPy calls; by default the UI
        # thread may wait 5 ms for it at every turn of its loop, which adds up to keys
        # that feel sluggish. 1 ms costs the training thread next to nothing.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(UI_SWITCH_SECONDS)
        self.redraw_timer = self.set_interval(REDRAW_SECONDS, self._redraw, pause=True)
        self.status.epochs = self.initial_config.epochs
        self.query_one(Charts).show([], self.initial_config.epochs)
        if self.start_training:
            self.action_start()

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    @property
    def live(self) -> bool:
        """A training thread is running (or paused, or building its model)."""
        return self.train_worker is not None and self.train_worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    # --- training -------------------------------------------------------------------

    @work(thread=True, group="train", exit_on_error=False)
    def _train(self, config: TrainConfig, trainer: Trainer | None) -> None:
        """Build the trainer if need be, and run it; only posts messages."""
        worker = get_current_worker()
        if trainer is None:
            trainer = Trainer(config)

        def relay(event) -> None:
            if worker.is_cancelled:  # the app is going away: stop at this batch
                trainer.control.stop()
            self.post_message(message_for(event, trainer, worker))

        trainer.on_event = relay
        if not worker.is_cancelled:
            trainer.run()

    def action_start(self) -> None:
        if self.live:
            if self.trainer is not None and self.trainer.control.paused:
                self.action_pause()
            else:
                self.notify("already training")
            return
        panel = self.query_one(Hyperparams)
        if panel.config is None:
            name, reason = next(iter(panel.problems.items()))
            panel.scroll_to_widget(panel.control(name))
            self.notify(f"cannot start: {reason}", severity="error")
            return
        config, trainer = panel.config, self.trainer
        if trainer is not None and _continues(trainer, config):
            trainer.config = config  # only the epochs or the learning rate differ
            trainer.control.lr = config.lr
            self.notify(f"continuing after epoch {len(trainer.history)}")
        else:
            trainer = self.trainer = None
        panel.lock_shape(True)
        self.status.state, self.status.note = "starting", ""
        self.train_worker = self._train(config, trainer)

    def action_pause(self) -> None:
        trainer = self.trainer
        if not self.live or trainer is None or self.status.state not in ("training", "paused"):
            self.notify("not training")
        elif trainer.control.paused:
            trainer.control.resume()
            self.stopwatch.start()
            self.status.state = "training"
        else:
            trainer.control.pause()
            self.stopwatch.stop()
            self.status.state = "paused"

    def action_stop(self) -> None:
        if not self.live:
            self.notify("not training")
            return
        self._end_run()
        self.status.state = "stopping"

    def _end_run(self) -> None:
        """End a live run at its next batch (a stop skips the slow final tests), or
        before it begins while the model is still being built."""
        if not self.live:
            return
        if self.trainer is not None:
            self.trainer.control.stop()
        else:
            self.train_worker.cancel()

    async def action_reset(self) -> None:
        if self.live:
            self._end_run()
            try:
                await self.train_worker.wait()
            except Exception:  # its failure was already reported by _worker_changed
                pass
        self.trainer = self._table_of = self.train_worker = None
        self._show_empty()
        self.notify("reset: the next start trains fresh weights")

    def action_quit(self) -> None:
        """Exit at once: a live run ends at its next batch while Textual shuts down, and
        the process waits for that thread (asyncio.run joins its executor) before it ends."""
        self._end_run()
        self.exit()

    def _show_empty(self) -> None:
        config = self.query_one(Hyperparams).config or self.initial_config
        self.query_one(Sparklines).show([])
        self.query_one(Charts).show([], config.epochs)
        self.query_one(ResultsTable).empty()
        self._reset_status(0, config.epochs)

    def _reset_status(self, epoch: int, epochs: int, note: str = "") -> None:
        status = self.status
        status.state, status.epoch, status.epochs, status.note = "ready", epoch, epochs, note
        status.rate = status.eta = status.exhaustive = None
        status.exhaustive_over = "all pairs"
        self.query_one(Sparklines).border_subtitle = ""
        self.stopwatch.reset()

    def _stale(self, message: TrainingMessage) -> bool:
        """From a run that was reset or superseded: ignored."""
        return message.worker is not self.train_worker

    @on(TrainingStarted)
    def _started(self, message: TrainingStarted) -> None:
        if self._stale(message):
            return
        trainer = self.trainer = message.trainer
        if self._table_of is not trainer:  # a new run, not a continued one
            self.query_one(ResultsTable).set_pairs(trainer.test.pairs, trainer.config.cell)
            self._table_of = trainer
            self.stopwatch.reset()
        self._run_start = (len(trainer.history), self.stopwatch.seconds)
        self.stopwatch.start()
        status = self.status
        if status.state == "stopping":  # x was pressed before the run began
            trainer.control.stop()
        else:
            status.state = "training"
        status.epoch, status.epochs, status.eta = len(trainer.history), trainer.config.epochs, None
        self.redraw_timer.resume()

    @on(BatchProgress)
    def _batch(self, message: BatchProgress) -> None:
        if not self._stale(message):
            self._progress = message.event

    @on(EpochFinished)
    def _epoch(self, message: EpochFinished) -> None:
        if not self._stale(message):
            self._latest, self._progress = message.event, None

    @on(TrainingFinished)
    def _finished(self, message: TrainingFinished) -> None:
        if self._stale(message):
            return
        self.trainer.control.resume()  # a pause pressed during the final tests is moot
        self.stopwatch.stop()
        self._redraw()
        self.redraw_timer.pause()
        summary, status = message.event.summary, self.status
        status.state, status.epoch = message.event.state, len(self.trainer.history)
        if summary.exhaustive_exact_accuracy is not None:
            status.exhaustive = summary.exhaustive_exact_accuracy
            every = summary.exhaustive_pairs == 4**self.trainer.config.bits
            status.exhaustive_over = "all pairs" if every else f"{summary.exhaustive_pairs:,} random pairs"
        if summary.generalization:
            self._show_generalization(summary.generalization)
        if summary.message:
            self.notify(summary.message, severity="warning")

    def _redraw(self) -> None:
        """Draw the newest batch and epoch, where they are not drawn yet."""
        progress, latest = self._progress, self._latest
        self._progress = self._latest = None
        status = self.status
        if progress is not None:
            status.epoch, status.rate = progress.epoch, progress.samples_per_second
        if latest is None or self.trainer is None:
            return
        status.epoch = latest.metrics.epoch
        if latest.exhaustive_exact_accuracy is not None:
            status.exhaustive = latest.exhaustive_exact_accuracy
        done, seconds = latest.metrics.epoch - self._run_start[0], self.stopwatch.seconds - self._run_start[1]
        status.eta = seconds / done * (latest.epochs - latest.metrics.epoch) if done else None
        if latest.metrics.epoch == latest.epochs and status.state == "training":
            status.state = "testing"  # the final tests take a few seconds
        history = self.trainer.history[:]  # a copy: the worker appends to it
        self.query_one(Sparklines).show(history)
        self.query_one(Charts).show(history, latest.epochs)
        self.query_one(ResultsTable).show(latest.test_predictions)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """Every worker's failure is reported here; the app keeps running."""
        worker = event.worker
        if worker.group == "open":  # a bad folder is answered in the open prompt itself
            if worker.is_finished:
                self._opened(worker)
            return
        if worker.state == WorkerState.ERROR:
            self.notify(f"{worker.name or worker.group} failed: {worker.error}", severity="error", timeout=10)
        if worker is self.train_worker and worker.is_finished:
            self.query_one(Hyperparams).lock_shape(False)
            self.stopwatch.stop()
            self.redraw_timer.pause()
            if worker.state == WorkerState.ERROR:
                self.status.state, self.status.note = "error", str(worker.error)
            elif self.status.state in ("starting", "stopping"):  # ended before it began
                self.status.state = "stopped" if self.trainer else "ready"
        elif worker.group == "eval" and worker.is_finished:
            self.status.note = ""
            if worker.state == WorkerState.SUCCESS:
                self._show_generalization(worker.result)

    @on(Hyperparams.Changed)
    def _settings_changed(self, message: Hyperparams.Changed) -> None:
        """A new learning rate reaches a live run from its next batch."""
        if message.config is not None and self.live and self.trainer is not None:
            self.trainer.control.lr = message.config.lr
        if not self.live and self.trainer is None and message.config is not None:
            self.status.epochs = message.config.epochs
            self.query_one(Charts).show([], message.config.epochs)

    def choose_preset(self, name: str) -> None:
        if self.live:
            self.notify("stop the run before choosing a preset")
        else:
            self.query_one(Hyperparams).load(preset(name))

    def action_leave_field(self) -> None:
        self.query_one(ResultsTable).focus()

    # --- the model: try, test, save, open ---------------------------------------------

    def _model_or_say(self) -> Trainer | None:
        if self.trainer is None:
            self.notify("no model yet: start training (s) or open a run (o)")
        return self.trainer

    def _backend_or_say(self) -> Trainer | None:
        """The model, if its backend can run it now (predict, save), or None after saying why."""
        trainer = self._model_or_say()
        if trainer is not None and self.live and trainer.backend.name == "keras":
            # Keras works in one thread of its own, which a live run keeps busy (or holds
            # paused): asking it to predict now would freeze the console until the run ends.
            self.notify("the keras model predicts and saves between runs only: stop (x) the run first")
            return None
        return trainer

    def action_try_sum(self) -> None:
        trainer = self._backend_or_say()
        if trainer is not None:
            self.push_screen(PromptScreen("Try a sum", "93+116", lambda text: self._try(trainer, text)))

    def _try(self, trainer: Trainer, text: str) -> Text:
        try:
            tried = try_sum(trainer.backend, trainer.config, text)
        except ValueError as error:
            return Text(str(error), "red")
        self.last_sum = text.strip()
        return tried.describe(trainer.config.cell)

    def action_inspect(self) -> None:
        trainer = self._model_or_say()
        if trainer is None:
            return
        try:
            check_bits_layout(trainer.config)
        except NoBitSteps as error:
            self.notify(str(error), severity="warning")
            return
        self.push_screen(InspectScreen(trainer.backend.numpy_network(), trainer.config, self.last_sum))

    def action_generalize(self) -> None:
        trainer = self._backend_or_say()
        if trainer is None:
            return
        if trainer.config.layout != "bits":
            self.notify("only a bits-layout model can add longer numbers")
        elif self.live and not trainer.control.paused:
            self.notify("pause (p) or stop (x) training first")
        elif any(w.group == "eval" and not w.is_finished for w in self.workers):
            self.notify("already measuring")
        else:
            self.status.note = "measuring 16-, 32- and 64-bit sums…"
            self._generalize(trainer)

    @work(thread=True, group="eval", exit_on_error=False)
    def _generalize(self, trainer: Trainer) -> dict[int, float]:
        return generalization(trainer.backend, rng_for(trainer.config.seed, EVAL))

    def _show_generalization(self, accuracy: dict[int, float]) -> None:
        line = " · ".join(f"{width} bits {exact:.1%}" for width, exact in accuracy.items())
        self.query_one(Sparklines).border_subtitle = line
        self.notify(f"exact on longer sums: {line}")

    def action_save(self) -> None:
        trainer = self._backend_or_say()
        if trainer is None:
            return
        if not trainer.history:
            self.notify("nothing to save: no epoch trained yet")
        elif self.live and not trainer.control.paused:
            self.notify("pause (p) or stop (x) training first")
        else:
            try:
                path = save_run(fresh_run_dir(self.runs_dir, trainer.config), trainer)
            except (RunError, OSError) as error:
                self.notify(f"not saved: {error}", severity="error")
            else:
                self.notify(f"saved to {path}")

    def action_open(self) -> None:
        if self.live:
            self.notify("stop (x) training first")
        else:
            self.push_screen(PromptScreen("Open a run folder", str(self.runs_dir / "…"), self._open))

    def _open(self, text: str) -> Text:
        """Load the folder in a worker (a keras model imports TensorFlow): see _opened."""
        self._load_run(Path(text.strip()).expanduser())
        return Text("opening…")

    @work(thread=True, group="open", exclusive=True, exit_on_error=False)
    def _load_run(self, path: Path) -> SavedRun:
        return load_run(path)

    def _opened(self, worker: Worker) -> None:
        """Show the loaded run, or say in one line why not, changing nothing."""
        prompt = self.screen if isinstance(self.screen, PromptScreen) else None
        if worker.state == WorkerState.SUCCESS:
            self._show_run(worker.result)
            if prompt:
                prompt.dismiss()
        elif worker.state == WorkerState.ERROR and prompt:
            prompt.say(Text(str(worker.error).splitlines()[0], "red"))

    def _show_run(self, run: SavedRun) -> None:
        trainer = Trainer(run.config, backend=run.backend)
        trainer.history = list(run.history)
        self.trainer = self._table_of = trainer
        self.query_one(Hyperparams).load(run.config)
        results = self.query_one(ResultsTable)
        results.set_pairs(trainer.test.pairs, run.config.cell)
        results.show(predicted_bits(run.backend, run.config.layout, results.pairs))
        self.query_one(Sparklines).show(trainer.history)
        self.query_one(Charts).show(trainer.history, run.config.epochs)
        self._reset_status(len(run.history), run.config.epochs, f"opened {run.directory}")
        self.notify(f"opened {run.directory}")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())


def _continues(trainer: Trainer, config: TrainConfig) -> bool:
    """Whether starting with ``config`` continues the trainer's run: nothing but the
    epochs or the learning rate changed, there are epochs left, and the last run ended
    cleanly (a run that failed mid-epoch is started afresh)."""
    same = config.replace(epochs=trainer.config.epochs, lr=trainer.config.lr) == trainer.config
    return same and len(trainer.history) < config.epochs and trainer.state != "training"
