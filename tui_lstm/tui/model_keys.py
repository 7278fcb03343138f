"""The keys that use the run's model: try a sum, see inside, longer sums, save, open.

Mixed into the app, whose ``session``, ``board`` and ``panel`` they use. Each first asks
``_model_or_say`` whether the model can do it now, and says why not if it cannot.
"""

from __future__ import annotations

from rich.text import Text

from tui_lstm.inspection import NoBitSteps, check_bits_layout
from tui_lstm.runs import RunError, fresh_run_dir
from tui_lstm.session import RunState
from tui_lstm.training import Trainer
from tui_lstm.tui.screens.inspect import InspectScreen
from tui_lstm.tui.screens.open import OpenedRun, OpenScreen
from tui_lstm.tui.screens.prompt import PromptScreen
from tui_lstm.tui.screens.widths import WidthsScreen
from tui_lstm.tui.sums import try_sum


class ModelKeys:
    def _model_or_say(self, *, predicting: bool = False, between_batches: bool = False) -> Trainer | None:
        """The run's model, if there is one, its backend can run it now (``predicting``),
        and (``between_batches``) no batch is changing it."""
        if self.trainer is None:
            self.notify("no model yet: start training (s) or open a run (o)")
        elif predicting and self.live and not self.session.spec.predicts_while_training:
            self.notify(f"the {self.trainer.config.backend} model predicts and saves between runs only: stop (x) first")
        elif between_batches and self.live and self.session.state != RunState.PAUSED:
            self.notify("pause (p) or stop (x) training first")
        else:
            return self.trainer
        return None

    def action_try_sum(self) -> None:
        if trainer := self._model_or_say(predicting=True):
            self.push_screen(PromptScreen("Try a sum", "93+116", lambda text: self._try(trainer, text)))

    def _try(self, trainer: Trainer, text: str) -> Text:
        try:
            tried = try_sum(trainer.backend, trainer.config, text)
        except ValueError as error:
            return Text(str(error), "red")
        self.last_sum = text.strip()
        return tried.describe(trainer.config.cell)

    def action_inspect(self) -> None:
        if trainer := self._model_or_say():
            try:
                check_bits_layout(trainer.config)
            except NoBitSteps as error:
                return self.notify(str(error), severity="warning")
            self.push_screen(InspectScreen(trainer.backend.numpy_network(), trainer.config, self.last_sum))

    def action_generalize(self) -> None:
        if not (trainer := self._model_or_say(predicting=True)):
            return
        if trainer.config.layout != "bits":
            return self.notify("only a bits-layout model can add longer numbers")
        self.push_screen(WidthsScreen(trainer.backend, trainer.config, ascii=self.ascii))

    def action_save(self) -> None:
        if not (trainer := self._model_or_say(predicting=True, between_batches=True)):
            return
        if not trainer.history:
            return self.notify("nothing to save: no epoch trained yet")
        try:
            path = self.session.save(fresh_run_dir(self.runs_dir, trainer.config))
        except (RunError, OSError) as error:
            self.notify(f"not saved: {error}", severity="error")
        else:
            self.notify(f"saved to {path}")

    def action_open(self) -> None:
        if self.live:
            self.notify("stop (x) training first")
        else:
            self.push_screen(OpenScreen(self.runs_dir), callback=self._opened)

    def _opened(self, opened: OpenedRun) -> None:
        """Make the opened run the session's: at once, as building its trainer draws no data."""
        saved = opened.saved
        try:
            self.session.adopt(saved)
        except RunError as error:
            return self.notify(str(error), severity="error")
        self.panel.load(saved.config)
        self.board.epochs = saved.config.epochs
        self.board.show_run(opened.rows, opened.predictions, f"opened {saved.directory}")
        self.board.show_summary(saved.record.summary)
        self.notify(f"opened {saved.directory}")
