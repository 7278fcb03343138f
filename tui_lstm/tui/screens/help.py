"""The help screen: every key (read from the app's bindings, so none is ever missing)
and how to read the screen."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

ABOUT = """\
Edit the hyperparameters on the left (tab moves between fields, esc leaves them); a field \
that is not valid says why, and training will not start until it is fixed. The learning \
rate can be changed while training; the fields that shape the model are locked then.

Sparklines show train │ test loss, exact accuracy (whole sums right) and bit accuracy; \
the charts plot loss and bit accuracy against epochs, train as a solid line and test as \
a dotted one (in ASCII: * and o). The table shows the report's rows \
for the test pairs, ✓ right or ✗ wrong, with wrong bits lit. "all pairs" in the status \
line is the exact accuracy over every pair of operands."""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape,question_mark,q", "dismiss", "close")]

    def compose(self) -> ComposeResult:
        keys = Table.grid(padding=(0, 2))
        for binding in self.app.BINDINGS:
            if binding.tooltip:  # every key that says what it does, on the footer or not
                keys.add_row(self.app.get_key_display(binding), binding.tooltip or binding.description)
        palette = Binding(self.app.COMMAND_PALETTE_BINDING, "command_palette")
        keys.add_row(self.app.get_key_display(palette), "Command palette: every key, and the presets by name")
        with VerticalScroll(id="dialog"):
            yield Static(keys)
            yield Static(ABOUT, id="about")
