"""Longer sums: exact accuracy against operand width, from the training width to 4,096 bits.

A model trained on 7-bit sums may add 4,096-bit ones without a mistake, or fail from
some width on; this screen shows which, one width at a time on a doubling scale, each
drawn as it is measured. It scores a copy of the weights taken when it opens, in a
thread worker, so training may go on behind it; closing it stops the worker after the
width being scored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static
from textual.worker import get_current_worker

from tui_lstm.backends.numpy_backend import NumpyBackend
from tui_lstm.config import TrainConfig
from tui_lstm.evaluate import SCALE_WIDTH, Scores, doubling_widths, scale_samples, score_width

EIGHTHS = " ▏▎▍▌▋▊▉█"  # a bar's last cell, in eighths
BAR = 20  # cells of a bar at 100%, at the least: it takes what the other columns leave
OTHER_COLUMNS = 60  # cells the table's other columns and gaps take, at the most


@dataclass
class WidthScored(Message):
    """One width of the scale, measured."""

    width: int
    scores: Scores
    all_pairs: bool
    seconds: float


def bar(fraction: float, cells: int = BAR, ascii: bool = False) -> str:
    """A horizontal bar ``fraction`` of ``cells`` long, to an eighth of a cell (to a cell in ASCII)."""
    if ascii:
        return "#" * round(fraction * cells)
    eighths = round(fraction * cells * 8)
    whole, part = divmod(eighths, 8)
    return "█" * whole + (EIGHTHS[part] if part else "")


def scale_table(rows: list[WidthScored], pending: int | None, cells: int = BAR, ascii: bool = False) -> Table:
    """A row per width measured: the bar, exact and bit accuracy, over how many pairs, how long."""
    table = Table(box=None, padding=(0, 1), show_edge=False)
    for name, justify in (("width", "right"), ("exact accuracy", "left"), ("exact", "right"), ("bits", "right")):
        table.add_column(name, justify=justify, no_wrap=True)
    table.add_column("over", no_wrap=True)
    table.add_column("took", justify="right", no_wrap=True)
    for row in rows:
        exact = row.scores.exact_accuracy
        over = f"all {row.scores.pairs:,} pairs" if row.all_pairs else f"{row.scores.pairs:,} random pairs"
        table.add_row(
            f"{row.width:,} bits",
            Text(bar(exact, cells, ascii), "green" if exact == 1.0 else "yellow"),
            f"{exact:.2%}",
            f"{row.scores.bit_accuracy:.3%}",
            over,
            f"{row.seconds:.1f} s",
        )
    if pending is not None:
        table.add_row(f"{pending:,} bits", Text("measuring…", "dim"))
    return table


class WidthsScreen(Screen[None]):
    BINDINGS = [("escape,g", "dismiss", "close")]
    DEFAULT_CSS = """
    WidthsScreen #scale { height: 1fr; padding: 1 2; }
    WidthsScreen #legend { color: $text-muted; }
    """

    def __init__(self, backend, config: TrainConfig, ascii: bool = False):
        super().__init__()
        self.model = NumpyBackend.copy_of(backend, config)
        self.config = config
        self.ascii = ascii
        self.widths = doubling_widths(config.bits, SCALE_WIDTH)
        self.rows: list[WidthScored] = []

    def compose(self) -> ComposeResult:
        yield Label(
            f"Longer sums: a {self.config.bits}-bit {self.config.cell}'s exact accuracy (every bit of the sum right)"
            f" from {self.widths[0]} to {self.widths[-1]:,} bits",
            id="question",
        )
        yield Static(scale_table([], self.widths[0], ascii=self.ascii), id="scale")
        yield Label("a copy of the weights when this opened · esc: close", id="legend")

    def on_mount(self) -> None:
        self._measure()

    @work(thread=True, group="widths", exit_on_error=False)
    def _measure(self) -> None:
        worker = get_current_worker()
        for width in self.widths:
            if worker.is_cancelled:
                return
            start = time.perf_counter()
            scores, all_pairs = score_width(self.model, self.config, width, scale_samples(width))
            self.post_message(WidthScored(width, scores, all_pairs, time.perf_counter() - start))

    @on(WidthScored)
    def _scored(self, message: WidthScored) -> None:
        self.rows.append(message)
        following = self.widths[len(self.rows)] if len(self.rows) < len(self.widths) else None
        scale = self.query_one("#scale", Static)
        cells = max(BAR, scale.content_size.width - OTHER_COLUMNS)
        scale.update(scale_table(self.rows, following, cells, self.ascii))
