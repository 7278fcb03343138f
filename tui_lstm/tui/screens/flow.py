"""The gradient flow view (key v): how far back in time the error reaches, epoch by epoch,
how saturated the gates are, and which carry chains the model gets wrong.

Three pictures of one bits-layout run:

- a heatmap of the gradient flow the run recorded after each epoch (``Trainer.flow``, on
  the fixed 64-bit probe sums of ``nn/flow.py``): a row an epoch, a column a lag k, each
  cell the norm of the last step's loss gradient with respect to the state k steps back
  over its norm at k = 0, on a log colour scale (a plain RNN's fades within a few steps;
  an LSTM that has learnt to carry keeps its cell state's bright far back);
- beside it, per sigmoid gate, the share of its activations saturated (below 0.05 or above
  0.95) in that epoch: the forget gate saturating is the carry being kept;
- below, exact accuracy by carry-chain length (``carry_chains``), at the training width over
  every pair and at 64 bits over planted pairs, measured in a thread worker on a copy of
  the weights taken when the view opens, so training may go on behind it.

The heatmap follows a live run: it redraws as epochs land. Shades carry the scale where
colour cannot (no colour, or ASCII).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static
from textual.worker import get_current_worker

from tui_lstm.backends.numpy_backend import NumpyBackend
from tui_lstm.carry_chains import ChainAccuracy, at_width
from tui_lstm.nn.flow import PROBE_SUMS, PROBE_WIDTH
from tui_lstm.training import EpochFlow, Trainer
from tui_lstm.tui.screens.widths import bar

WIDE = 64  # the width the planted pairs are scored at
# dark to bright: a colour and a shade a level, so that the scale reads without colour too
COLOURS = ("#30123b", "#4145ab", "#4675ed", "#39a2fc", "#1bcfd4", "#24eca6", "#61fc6c", "#a4fc3b", "#f3c63a", "#fe9b2d")
SHADES = "·░░▒▒▓▓███"
ASCII_SHADES = ".:-=+*#%&@"
DEEPEST = -30  # decades: the scale reaches no lower, whatever the flow
OTHER_ROWS = 16  # rows of the screen that are not the heatmap's epochs, at the most
LAG_TICKS = (0, 16, 32, 48, 64)


@dataclass
class ChainsMeasured(Message):
    """Exact accuracy by chain length at one width, measured."""

    width: int
    accuracy: ChainAccuracy


def level(fraction: float) -> int:
    """0 .. 9 for a fraction of the scale (beyond it: its ends), 0 for NaN."""
    return 0 if math.isnan(fraction) else int(min(max(fraction, 0.0), 0.999) * len(COLOURS))


def cell(fraction: float, ascii: bool) -> Text:
    """One cell of a heatmap, ``fraction`` up the scale: a shade in its colour."""
    n = level(fraction)
    return Text((ASCII_SHADES if ascii else SHADES)[n], style=COLOURS[n])


def log_relative(row: EpochFlow, state: str) -> np.ndarray:
    """(T,) log10 of the norms by lag over lag 0's: -inf where the gradient underflowed to 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(row.flow.relative(state))


def decades(rows: list[EpochFlow], state: str) -> tuple[int, int]:
    """The log scale (bottom, top) in decades, whole ones, that the rows' relative norms
    span: at least 0 at the top (lag 0 is 1), at most DEEPEST at the bottom."""
    logs = np.concatenate([log_relative(row, state) for row in rows]) if rows else np.zeros(1)
    finite = logs[np.isfinite(logs)]
    if not finite.size:
        return -1, 0
    return max(DEEPEST, min(-1, math.floor(finite.min()))), max(0, math.ceil(finite.max()))


def shown_rows(rows: list[EpochFlow], room: int) -> list[EpochFlow]:
    """At most ``room`` rows, evenly spread over the run, the first and the last among them."""
    if len(rows) <= room:
        return rows
    picks = np.unique(np.round(np.linspace(0, len(rows) - 1, max(room, 2))).astype(int))
    return [rows[i] for i in picks]


def heatmap(rows: list[EpochFlow], state: str, room: int, ascii: bool = False) -> Text:
    """The flow of ``state`` as text: a header of lags, a line an epoch shown (its number,
    a cell a lag, then a cell a gate for its saturated share), and the scale."""
    if not rows:
        return Text("no gradient flow recorded yet: it is probed after each epoch of a bits-layout run", "dim")
    bottom, top = decades(rows, state)
    gates = list(rows[-1].flow.saturation)
    lags = len(rows[-1].flow.norms[state])
    ticks = [" "] * (lags + 1)  # the last tick's second digit may stand in the gap after the map
    for k in (k for k in LAG_TICKS if k < lags):
        ticks[k : k + len(str(k))] = str(k)
    text = Text(f"{'k →':>5} " + "".join(ticks).ljust(lags + 2) + " ".join(gates) + "\n", "bold")
    for row in shown_rows(rows, room):
        text.append(f"{row.epoch:>5} ")
        for value in log_relative(row, state):
            text.append_text(cell((value - bottom) / (top - bottom), ascii))
        text.append("  ")
        for gate in gates:
            text.append_text(cell(row.flow.saturation.get(gate, math.nan), ascii))
            text.append(" ")
        text.append("\n")
    scale = Text(f"scale 1e{top:+d} ")
    for n in reversed(range(len(COLOURS))):
        scale.append_text(cell((n + 0.5) / len(COLOURS), ascii))
    scale.append(f" 1e{bottom:+d} of lag 0 · gates: none saturated ")
    scale.append_text(cell(0.0, ascii))
    scale.append_text(cell(0.999, ascii))
    scale.append(" all")
    return text.append_text(scale)


def chain_bars(accuracy: ChainAccuracy | None, width: int, ascii: bool = False, cells: int = 20) -> Text:
    """A bar per group of chain lengths, its exact accuracy beside it; "measuring…" until known."""
    text = Text(f"exact by carry chain, {width} bits\n", "bold")
    if accuracy is None:
        return text.append("measuring…", "dim")
    text.append(f"{accuracy.over}\n", "dim")
    for label, exact, n in zip(accuracy.labels(), accuracy.exact_accuracy, accuracy.pairs):
        text.append(f"{label:>9} ")
        if n == 0:
            text.append("no pairs\n", "dim")
            continue
        text.append(bar(exact, cells, ascii).ljust(cells), "green" if exact == 1.0 else "yellow")
        text.append(f" {math.floor(1000 * exact) / 10:5.1f}%\n")
    return text


class FlowScreen(Screen[None]):
    BINDINGS = [
        ("escape,v", "dismiss", "close"),
        ("h", "state('h')", "hidden state"),
        ("c", "state('c')", "cell state"),
    ]
    DEFAULT_CSS = """
    FlowScreen #map { height: 1fr; padding: 0 1; }
    FlowScreen #chains { height: auto; padding: 0 1; }
    FlowScreen #chains Static { width: 1fr; }
    FlowScreen #legend { color: $text-muted; height: auto; }
    """

    def __init__(self, trainer: Trainer, ascii: bool = False):
        super().__init__()
        self.trainer = trainer  # the run's: its flow grows while it trains
        self.config = trainer.config
        self.model = NumpyBackend.copy_of(trainer.backend, trainer.config)
        self.ascii = ascii
        self.shown = "c" if "c" in trainer.backend.numpy_network().cell.states else "h"
        self.widths = [self.config.bits] + ([WIDE] if self.config.bits != WIDE else [])
        self.chains: dict[int, ChainAccuracy] = {}
        self.drawn = -1  # rows of the flow on screen

    def compose(self) -> ComposeResult:
        yield Label("", id="question")
        yield Static("", id="map")
        with Horizontal(id="chains"):
            for width in self.widths:
                yield Static(chain_bars(None, width, self.ascii), id=f"chains-{width}")
        yield Static(
            f"|dL(last step)/d state k back| / at k = 0, {PROBE_SUMS} {PROBE_WIDTH}-bit sums"
            " · h/c: state · chains: weights as opened · esc: close",
            id="legend",
        )

    def on_mount(self) -> None:
        self._follow()
        self.set_interval(0.5, self._follow)
        self._measure()

    def on_resize(self) -> None:
        self._draw()

    @property
    def rows(self) -> list[EpochFlow]:
        return list(self.trainer.flow)  # a copy: the run's thread appends to it

    def _follow(self) -> None:
        """Redraw when epochs have landed since the last drawing."""
        if len(self.trainer.flow) != self.drawn:
            self._draw()

    def _draw(self) -> None:
        rows = self.rows
        self.drawn = len(rows)
        name = {"h": "hidden state h", "c": "cell state c"}[self.shown]
        self.query_one("#question", Label).update(
            f"Gradient flow of the {name}, {self.config.cell} on {self.config.bits} bits: {len(rows)} epochs × lag k"
        )
        room = max(2, self.size.height - OTHER_ROWS) if self.size.height else 8
        self.query_one("#map", Static).update(heatmap(rows, self.shown, room, self.ascii))

    def action_state(self, state: str) -> None:
        if state in self.trainer.backend.numpy_network().cell.states:
            self.shown = state
            self._draw()
        else:
            self.notify(f"a {self.config.cell} has no cell state: only h")

    @work(thread=True, group="flow", exit_on_error=False)
    def _measure(self) -> None:
        worker = get_current_worker()
        for width in self.widths:
            if worker.is_cancelled:  # the view was closed
                return
            self.post_message(ChainsMeasured(width, at_width(self.model, self.config, width)))

    @on(ChainsMeasured)
    def _measured(self, message: ChainsMeasured) -> None:
        self.chains[message.width] = message.accuracy
        self.query_one(f"#chains-{message.width}", Static).update(
            chain_bars(message.accuracy, message.width, self.ascii)
        )
