"""How a sum and the model's answer are shown, wherever they are shown: the headless
commands, results.txt, the console's results table, the try prompt and the inspector.

Rich text only (no textual), so the CLI and saved files share it with the console.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text

RIGHT_STYLE, WRONG_STYLE = "bold green", "bold red"
WRONG_BIT = "bold reverse red"  # reverse: still told apart under NO_COLOR


def sum_line(cell: str, a: int, b: int, predicted: int, number=str) -> str:
    """``93 + 116 = 209, lstm(93,116) = 209``: the truth, then the model's answer, each
    number written by ``number``."""
    a_, b_, total, got = number(a), number(b), number(a + b), number(predicted)
    return f"{a_} + {b_} = {total}, {cell}({a_},{b_}) = {got}"


def result_row(index: int, cell: str, a: int, b: int, predicted: int) -> str:
    """The lab report's row: ``num0 : 93 + 116 = 209, lstm(93,116) = 209``."""
    return f"num{index} : {sum_line(cell, a, b, predicted)}"


def mark(right: bool) -> Text:
    """✓ or ✗, green or red."""
    return Text("✓", RIGHT_STYLE) if right else Text("✗", WRONG_STYLE)


def verdict(right: bool) -> Text:
    """✓ right or ✗ wrong, after a sum line."""
    return Text("✓ right", RIGHT_STYLE) if right else Text("✗ wrong", WRONG_STYLE)


def bits_text(predicted: np.ndarray, true: np.ndarray) -> Text:
    """Predicted sum bits (LSB first), printed most significant first, wrong ones lit."""
    text = Text()
    for got, want in zip(predicted[::-1], true[::-1]):
        text.append(str(int(got)), WRONG_BIT if got != want else "")
    return text
