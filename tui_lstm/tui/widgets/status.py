"""The status line: what the run is doing, how far it is, how fast, and how good."""

from __future__ import annotations

import time

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

LIVE = ("training", "paused", "stopping", "testing")  # states that show timing


def clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def rate_text(per_second: float) -> str:
    """``950``, ``9,500``, ``95k``: short enough for the line to fit 80 columns."""
    return f"{per_second / 1000:,.0f}k" if per_second >= 10_000 else f"{per_second:,.0f}"


class Stopwatch:
    """Seconds of a run, pauses excluded, read whenever the status line is drawn."""

    def __init__(self):
        self.total = 0.0
        self.since: float | None = None  # when it was last started, None while stopped

    def start(self) -> None:
        if self.since is None:
            self.since = time.monotonic()

    def stop(self) -> None:
        if self.since is not None:
            self.total += time.monotonic() - self.since
            self.since = None

    def reset(self) -> None:
        self.total, self.since = 0.0, None

    @property
    def seconds(self) -> float:
        return self.total + (time.monotonic() - self.since if self.since is not None else 0.0)


class StatusLine(Widget):
    """One line: state · epoch i/N · samples/s · elapsed · ETA · exact over all pairs · note."""

    DEFAULT_CSS = "StatusLine { height: 1; }"

    state: reactive[str] = reactive("ready")
    """ready, training, paused, stopping, testing, stopped, finished, diverged or error."""
    epoch: reactive[int] = reactive(0)
    """The epoch being trained, or the last one trained."""
    epochs: reactive[int] = reactive(0)
    """The epochs the run is set to train."""
    rate: reactive[float | None] = reactive(None)
    """Training samples per second, from the latest batch."""
    eta: reactive[float | None] = reactive(None)
    """Seconds left, from the mean epoch time of this run."""
    exhaustive: reactive[float | None] = reactive(None)
    """Exact accuracy over every pair of the operand width, once measured."""
    exhaustive_over: reactive[str] = reactive("all pairs")
    """What ``exhaustive`` was measured on: every pair, or (above 8 bits) a random sample."""
    note: reactive[str] = reactive("")
    """Anything else worth a glance: an opened run's folder, an error."""

    def __init__(self, stopwatch: Stopwatch, **kwargs):
        super().__init__(**kwargs)
        self.stopwatch = stopwatch

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f" {self.state} ", "reverse bold")
        parts = [f"epoch {self.epoch}/{self.epochs}"]
        if self.state in LIVE:
            if self.rate is not None:
                parts.append(f"{rate_text(self.rate)} samples/s")
            parts.append(clock(self.stopwatch.seconds))
            if self.eta is not None:
                parts.append(f"ETA {clock(self.eta)}")
        if self.exhaustive is not None:
            parts.append(f"{self.exhaustive_over} {self.exhaustive:.2%}")
        if self.note:
            parts.append(self.note)
        text.append(" " + " · ".join(parts))
        return text
