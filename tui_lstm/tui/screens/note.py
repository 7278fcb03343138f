"""A run's note and tags: two lines to edit over the console, saved with enter.

``save(note, tags)`` writes them, as typed (tags separated by commas), and returns why
they cannot be saved, or None; a reason is shown under the lines, and the screen stays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class NoteScreen(ModalScreen[None]):
    AUTO_FOCUS = "#note"
    BINDINGS = [("escape", "dismiss", "cancel")]

    def __init__(self, run: str, note: str, tags: Sequence[str], save: Callable[[str, str], str | None]):
        super().__init__()
        self.run, self.note, self.tags = run, note, tags
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Note on {self.run}", id="question", markup=False)
            yield Input(self.note, placeholder="a line about the run", id="note")
            yield Input(", ".join(self.tags), placeholder="tags, separated by commas", id="tags")
            yield Static("", id="answer")
            yield Label("enter: save · tab: note or tags · esc: cancel", id="hint")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        problem = self.save(self.query_one("#note", Input).value, self.query_one("#tags", Input).value)
        if problem:
            self.query_one("#answer", Static).update(Text(problem, "red"))
        else:
            self.dismiss()
