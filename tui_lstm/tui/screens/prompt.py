"""A one-line question over the console: type, press enter, read the answer under it.

Trying a sum is this: the app passes ``answer``, which turns the text into what to show
(the model's answer, or a one-line reason). Opening a run builds on it (``open.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import RenderableType
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class PromptScreen(ModalScreen):
    AUTO_FOCUS = "#prompt"
    BINDINGS = [("escape", "dismiss", "close")]

    def __init__(self, title: str, placeholder: str, answer: Callable[[str], RenderableType]):
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.answer = answer

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="question")
            yield Input(placeholder=self.placeholder, id="prompt")
            yield Static("", id="answer")
            yield Label("enter: go · esc: close", id="hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.say(self.answer(event.value))

    def say(self, shown: RenderableType) -> None:
        """Show an answer under the question."""
        self.query_one("#answer", Static).update(shown)
