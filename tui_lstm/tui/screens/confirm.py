"""A yes-or-no question over the console, asked before what the console cannot take back itself."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label


class ConfirmScreen(ModalScreen[bool]):
    """Dismissed with True for y, False for n or escape."""

    BINDINGS = [("y", "answer(True)", "yes"), ("n,escape", "answer(False)", "no")]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.question, id="question", markup=False)
            yield Label("y: yes · n or esc: no", id="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
