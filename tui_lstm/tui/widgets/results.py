"""The results table: the lab report's rows for the test pairs, redone every epoch."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual import on
from textual.widgets import DataTable

from tui_lstm.runs import result_row
from tui_lstm.task import Pairs, bits_to_int, sum_bits
from tui_lstm.training import REPORT_ROWS

RIGHT, WRONG = "✓", "✗"
WRONG_BIT = "bold reverse red"


def bits_text(predicted: np.ndarray, true: np.ndarray) -> Text:
    """The predicted sum's bits, most significant first, wrong ones lit up."""
    text = Text()
    for got, want in zip(predicted[::-1], true[::-1]):
        text.append(str(int(got)), WRONG_BIT if got != want else "")
    return text


class ResultsTable(DataTable):
    """``num0 : 93 + 116 = 209, lstm(93,116) = 209`` for each test pair, marked right or
    wrong, with the predicted bits beside it (wrong ones lit).

    Where the table is too narrow for the bits column (80 columns and 7-bit sums), the
    rows keep their full width and the highlighted row's bits are shown under the table.
    """

    def __init__(self, **kwargs):
        # no cell padding: the rows need every column at 80 columns; spaces are in the cells
        super().__init__(cursor_type="row", cell_padding=0, **kwargs)
        self.pairs: Pairs | None = None
        self.cell = "lstm"
        self._true = np.zeros((0, 0), np.uint8)
        self._predictions: np.ndarray | None = None  # the newest, (rows, width + 1)
        self._shown: list[bytes] = []  # the predicted bits each row shows now
        self._row_width = 0
        self._with_bits = True

    def set_pairs(self, pairs: Pairs, cell: str) -> None:
        """A new or opened run's test pairs (the first hundred): rows with no prediction yet."""
        self.pairs, self.cell = pairs.take(slice(0, REPORT_ROWS)), cell
        self._true = sum_bits(self.pairs)
        self._predictions = None
        # As wide as any prediction can make a row, so that redrawing one never measures
        # the table again (that would cost more than all the rest of a frame).
        widest = 2 ** (pairs.width + 1) - 1
        self._row_width = max(len(self._row(i, widest)) for i in range(len(self.pairs)))
        self._build()

    def empty(self) -> None:
        """No run: no rows, no columns."""
        self.clear(columns=True)
        self.pairs = self._predictions = None
        self._shown = []
        self.border_title = self.border_subtitle = ""

    def _row(self, i: int, predicted: int) -> str:
        return result_row(i, self.cell, int(self.pairs.a[i]), int(self.pairs.b[i]), predicted)

    def _bits_fit(self) -> bool:
        return 2 + self._row_width + 1 + self.pairs.width + 1 + 1 <= self.size.width  # 1: scrollbar

    def _build(self) -> None:
        self.clear(columns=True)
        self._with_bits = self._bits_fit()
        self.add_column("", key="mark", width=2)
        self.add_column("test pair", key="row", width=self._row_width)
        if self._with_bits:
            self.add_column(" bits", key="bits", width=self.pairs.width + 2)
        for i in range(len(self.pairs)):
            self.add_row("", self._row(i, 0).rsplit(" = ", 1)[0] + " = ?", *[""] * self._with_bits, key=str(i))
        self._shown = [b""] * len(self.pairs)
        self.border_title, self.border_subtitle = "test pairs", ""
        if self._predictions is not None:
            self.show(self._predictions)

    def on_resize(self) -> None:
        if self.pairs is not None and self._bits_fit() != self._with_bits:
            self._build()

    def show(self, predictions: np.ndarray) -> None:
        """Predicted sum bits (rows, width + 1), LSB first; only changed rows are redrawn."""
        self._predictions = predictions
        for i, bits in enumerate(predictions[: len(self._shown)]):
            packed = bits.tobytes()
            if packed == self._shown[i]:
                continue
            self._shown[i] = packed
            right = bool((bits == self._true[i]).all())
            self.update_cell(str(i), "mark", Text(RIGHT if right else WRONG, "green" if right else "bold red"))
            self.update_cell(str(i), "row", Text(self._row(i, bits_to_int(bits)), "" if right else "red"))
            if self._with_bits:
                self.update_cell(str(i), "bits", Text(" ").append_text(bits_text(bits, self._true[i])))
        title = f"test pairs: {self.right_count}/{len(self._shown)} right"
        if self.border_title != title:
            self.border_title = title
        self._show_highlighted_bits()

    @on(DataTable.RowHighlighted)
    def _show_highlighted_bits(self) -> None:
        """Without the bits column, the highlighted row's bits go under the table."""
        if self._with_bits or self._predictions is None or not self._shown:
            return
        row = min(self.cursor_row, len(self._shown) - 1)
        bits = bits_text(self._predictions[row], self._true[row])
        subtitle = Text.assemble(f"num{row} bits ", bits).markup
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle

    @property
    def right_count(self) -> int:
        """Rows whose prediction is entirely right."""
        return sum(1 for i, shown in enumerate(self._shown) if shown and shown == self._true[i].tobytes())
