"""The status line: what the run is doing, how far it is, how fast, and how good.

Its figures change many times a second while training, and every repaint is a line sent
to the terminal (or the browser); so they are plain vars, and the line is repainted only
when the text they make differs from the text on screen.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import var
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

    run_state: var[RunState] = var(RunState.READY)
    """Bound to the board's."""
    epochs: var[int] = var(0)
    """The epochs the run is set to train; bound to the board's."""
    epoch: var[int] = var(0)
    """The epoch being trained, or the last one trained."""
    rate: var[float | None] = var(None)
    """Training samples per second, from the latest batch."""
    eta: var[float | None] = var(None)
    """Seconds left, from the mean epoch time of this run."""
    eval_accuracy: var[float | None] = var(None)
    """Exact accuracy over the evaluation pairs, once measured."""
    eval_over: var[str] = var("all pairs")
    """What ``eval_accuracy`` was measured on: every pair, or (above 8 bits) a random sample."""
    eval_epoch: var[int | None] = var(None)
    """The epoch ``eval_accuracy`` was measured after, where that is not the last whole
    epoch (a run scores every ``eval_every`` epochs); None where it is."""
    note: var[str] = var("")
    """Anything else worth a glance: an opened run's folder, an error."""
    line: var[Text] = var(Text)
    """What the figures above make: recomputed whenever one of them is set."""

    def __init__(self, stopwatch: Stopwatch, **kwargs):
        self.stopwatch = stopwatch  # the session's: the same clock the training loop reads
        super().__init__(**kwargs)

    def clear(self, epoch: int = 0, note: str = "") -> None:
        """Nothing measured yet (a new, reset or opened run)."""
        self.epoch, self.note = epoch, note
        self.rate = self.eta = self.eval_accuracy = self.eval_epoch = None
        self.eval_over = "all pairs"

    def watch_line(self) -> None:
        self.refresh()  # only when the text changed: an equal value calls no watcher

    def render(self) -> Text:
        return self.line

    def compute_line(self) -> Text:
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
