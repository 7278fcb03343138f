"""The status line: what the run is doing, how far it is, how fast, and how good."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui_lstm.session import RunState
from tui_lstm.stopwatch import Stopwatch

TIMED = frozenset({RunState.TRAINING, RunState.PAUSED, RunState.STOPPING, RunState.TESTING})  # show timing


def clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def rate_text(per_second: float) -> str:
    """``950``, ``9,500``, ``95k``: short enough for the line to fit 80 columns."""
    return f"{per_second / 1000:,.0f}k" if per_second >= 10_000 else f"{per_second:,.0f}"


class StatusLine(Widget):
    """One line: state · epoch i/N · samples/s · elapsed · ETA · exact over all pairs · note."""

    DEFAULT_CSS = "StatusLine { height: 1; }"

    run_state: reactive[RunState] = reactive(RunState.READY)
    """Bound to the board's."""
    epochs: reactive[int] = reactive(0)
    """The epochs the run is set to train; bound to the board's."""
    epoch: reactive[int] = reactive(0)
    """The epoch being trained, or the last one trained."""
    rate: reactive[float | None] = reactive(None)
    """Training samples per second, from the latest batch."""
    eta: reactive[float | None] = reactive(None)
    """Seconds left, from the mean epoch time of this run."""
    eval_accuracy: reactive[float | None] = reactive(None)
    """Exact accuracy over the evaluation pairs, once measured."""
    eval_over: reactive[str] = reactive("all pairs")
    """What ``eval_accuracy`` was measured on: every pair, or (above 8 bits) a random sample."""
    eval_epoch: reactive[int | None] = reactive(None)
    """The epoch ``eval_accuracy`` was measured after, where that is not the last whole
    epoch (a run scores every ``eval_every`` epochs); None where it is."""
    note: reactive[str] = reactive("")
    """Anything else worth a glance: an opened run's folder, an error."""

    def __init__(self, stopwatch: Stopwatch, **kwargs):
        super().__init__(**kwargs)
        self.stopwatch = stopwatch  # the session's: the same clock the training loop reads

    def clear(self, epoch: int = 0, note: str = "") -> None:
        """Nothing measured yet (a new, reset or opened run)."""
        self.epoch, self.note = epoch, note
        self.rate = self.eta = self.eval_accuracy = self.eval_epoch = None
        self.eval_over = "all pairs"

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {self.run_state.value} ", "reverse bold")
        parts = [f"epoch {self.epoch}/{self.epochs}"]
        if self.run_state in TIMED:
            if self.rate is not None:
                parts.append(f"{rate_text(self.rate)} samples/s")
            parts.append(clock(self.stopwatch.seconds))
            if self.eta is not None:
                parts.append(f"ETA {clock(self.eta)}")
        if self.eval_accuracy is not None:
            when = "" if self.eval_epoch is None else f" (epoch {self.eval_epoch})"
            parts.append(f"{self.eval_over} {self.eval_accuracy:.2%}{when}")
        if self.note:
            parts.append(self.note)
        text.append(" " + " · ".join(parts))
        return text
