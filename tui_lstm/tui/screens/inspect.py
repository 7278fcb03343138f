"""Inside the network, for one sum: each bit's gates and states as a heatmap, and the carry.

The screen inspects a copy of the weights taken when it opens, so a run still training
behind it cannot change the picture half-way through drawing it. The carry unit is
searched for once, over every pair, in a thread worker; until it is found the table is
shown without it.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState

from tui_lstm.config import TrainConfig
from tui_lstm.inspection import CarryUnit, SumInspection, find_carry_unit, inspect_sum
from tui_lstm.inspection_table import StepTable
from tui_lstm.nn.network import Network
from tui_lstm.tui.sums import parse_sum

LEGEND = "colour: blue −1 · grey 0 · red +1 · enter: show · esc: close"


def detached(network: Network) -> Network:
    """The same network with its own copy of the weights."""
    return Network(network.cell, network.head, {name: p.copy() for name, p in network.params.items()}, network.dtype)


class InspectScreen(Screen[None]):
    AUTO_FOCUS = "#sum"
    BINDINGS = [("escape", "dismiss", "close")]
    DEFAULT_CSS = """
    InspectScreen #sum { width: 40; }
    InspectScreen #problem { color: $text-error; height: auto; display: none; }
    InspectScreen #steps { height: 1fr; }
    InspectScreen #legend { color: $text-muted; }
    """

    def __init__(self, network: Network, config: TrainConfig, text: str = "93+116"):
        super().__init__()
        self.network = detached(network)
        self.config = config
        self.text = text
        self.seen: SumInspection | None = None
        self.carry: CarryUnit | None = None

    def compose(self) -> ComposeResult:
        yield Label(f"Inside the {self.config.cell}: type a sum", id="question")
        yield Input(value=self.text, placeholder="93+116", id="sum")
        yield Static("", id="problem")
        with VerticalScroll(id="steps"):
            yield Static("", id="table")
        yield Label(LEGEND, id="legend")

    def on_mount(self) -> None:
        self.show(self.text)
        self._find_carry()

    @work(thread=True, group="carry", exit_on_error=False)
    def _find_carry(self) -> CarryUnit:
        return find_carry_unit(self.network, self.config)

    @on(Worker.StateChanged)
    def _carry_found(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "carry" and event.worker.state == WorkerState.SUCCESS:
            self.carry = event.worker.result
            self._draw()

    @on(Input.Submitted, "#sum")
    def _submitted(self, event: Input.Submitted) -> None:
        self.show(event.value)

    def show(self, text: str) -> None:
        """Inspect the sum in ``text``; a one-line reason, keeping the last picture, if it is bad."""
        problem = self.query_one("#problem", Static)
        try:
            pairs = parse_sum(text, self.config)
            self.seen = inspect_sum(self.network, self.config, *pairs.operands(0))
        except ValueError as error:
            problem.update(str(error))
            problem.display = True
            return
        problem.display = False
        self._draw()

    def _draw(self) -> None:
        if self.seen is not None:
            self.query_one("#table", Static).update(StepTable(self.seen, self.carry))
