"""The results table: the lab report's rows for the test pairs, redone every epoch."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.widgets import DataTable

from tui_lstm.runs import result_row
from tui_lstm.task import Pairs, bits_to_int, sum_bits
from tui_lstm.training import REPORT_ROWS

RIGHT, WRONG = "✓", "✗"


def bits_text(predicted: np.ndarray, true: np.ndarray) -> Text:
    """The predicted sum's bits, most significant first, wrong ones lit up."""
    text = Text()
    for got, want in zip(predicted[::-1], true[::-1]):
        text.append(str(int(got)), "bold reverse red" if got != want else "")
    return text


class ResultsTable(DataTable):
    """``num0 : 93 + 116 = 209, lstm(93,116) = 209`` for each test pair, marked right or
    wrong, with the predicted bits beside it."""

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.pairs: Pairs | None = None
        self.cell = "lstm"
        self._true = np.zeros((0, 0), np.uint8)
        self._shown: list[bytes] = []  # the predicted bits each row shows now

    def set_pairs(self, pairs: Pairs, cell: str) -> None:
        """A new or opened run's test pairs (the first hundred): rows with no prediction yet."""
        self.clear(columns=True)
        pairs = pairs.take(slice(0, REPORT_ROWS))
        self.pairs, self.cell = pairs, cell
        self._true = sum_bits(pairs)
        self._shown = [b""] * len(pairs)
        self.border_title = "test pairs"
        # Columns as wide as any prediction can make them, so that redrawing a row never
        # measures the table again (that would cost more than all the rest of a frame).
        widest = 2 ** (pairs.width + 1) - 1
        rows = [result_row(i, cell, int(a), int(b), widest) for i, (a, b) in enumerate(zip(pairs.a, pairs.b))]
        self.add_column("", key="mark", width=1)
        self.add_column("test pair", key="row", width=max(map(len, rows), default=9))
        self.add_column("bits", key="bits", width=max(pairs.width + 1, 4))
        for i, row in enumerate(rows):
            self.add_row("", row.rsplit(" = ", 1)[0] + " = ?", "", key=str(i))

    def show(self, predictions: np.ndarray) -> None:
        """Predicted sum bits (rows, width + 1), LSB first; only changed rows are redrawn."""
        for i, bits in enumerate(predictions[: len(self._shown)]):
            packed = bits.tobytes()
            if packed == self._shown[i]:
                continue
            self._shown[i] = packed
            true = self._true[i]
            right = bool((bits == true).all())
            a, b = int(self.pairs.a[i]), int(self.pairs.b[i])
            row = result_row(i, self.cell, a, b, bits_to_int(bits))
            self.update_cell(str(i), "mark", Text(RIGHT if right else WRONG, "green" if right else "bold red"))
            self.update_cell(str(i), "row", Text(row, "" if right else "red"))
            self.update_cell(str(i), "bits", bits_text(bits, true))
        title = f"test pairs: {self.right_count}/{len(self._shown)} right"
        if self.border_title != title:
            self.border_title = title

    @property
    def right_count(self) -> int:
        """Rows whose prediction is entirely right."""
        return sum(
            1 for i, shown in enumerate(self._shown)
            if shown and shown == self._true[i].tobytes()
        )  # fmt: skip
