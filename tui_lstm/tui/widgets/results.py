"""The results table: the lab report's rows for the test pairs, redone every epoch.

It shows the board's ``test_rows`` (which pairs, for which cell) and ``predictions`` (the
model's answers), bound with ``data_bind``: a new run brings new rows, each epoch new
predictions, and only the rows whose answer changed are redrawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual import on
from textual.reactive import var
from textual.widgets import DataTable

from tui_lstm.presentation import bits_text, mark, result_row
from tui_lstm.task import Pairs, bits_to_int, sum_bits
from tui_lstm.training import REPORT_ROWS


@dataclass(frozen=True, eq=False)  # eq=False: compared by identity, as arrays cannot be
class TestRows:
    """The test pairs a run is scored on (the first REPORT_ROWS), and its cell's name."""

    pairs: Pairs
    cell: str

    @classmethod
    def of(cls, pairs: Pairs, cell: str) -> TestRows:
        return cls(pairs.take(slice(0, REPORT_ROWS)), cell)


class ResultsTable(DataTable):
    """``num0 : 93 + 116 = 209, lstm(93,116) = 209`` for each test pair, marked right or
    wrong, with the predicted bits beside it (wrong ones lit).

    Where the table is too narrow for the bits column (80 columns and 7-bit sums), the
    rows keep their full width and the highlighted row's bits are shown under the table.
    """

    # var: the watchers update only the cells that changed; a refresh would repaint the table
    test_rows: var[TestRows | None] = var(None, init=False)
    predictions: var[np.ndarray | None] = var(None, always_update=True, init=False)
    """Predicted sum bits (rows, width + 1), LSB first, or None before any."""

    def __init__(self, **kwargs):
        # no cell padding: the rows need every column at 80 columns; spaces are in the cells
        super().__init__(cursor_type="row", cell_padding=0, **kwargs)
        self._true = np.zeros((0, 0), np.uint8)
        self._shown: list[bytes] = []  # the predicted bits each row shows now
        self._row_width = 0
        self._with_bits = True

    def watch_test_rows(self, rows: TestRows | None) -> None:
        """A new or opened run's test pairs: rows with no prediction yet; None: no rows."""
        if rows is None:
            self.clear(columns=True)
            self._shown = []
            self.border_title = self.border_subtitle = ""
            return
        self._true = sum_bits(rows.pairs)
        # As wide as any prediction can make a row, so that redrawing one never measures
        # the table again (that would cost more than all the rest of a frame).
        widest = 2 ** (rows.pairs.width + 1) - 1
        self._row_width = max(len(self._row(i, widest)) for i in range(len(rows.pairs)))
        self._build()

    def _row(self, i: int, predicted: int) -> str:
        pairs = self.test_rows.pairs
        return result_row(i, self.test_rows.cell, int(pairs.a[i]), int(pairs.b[i]), predicted)

    def _bits_fit(self) -> bool:
        return 2 + self._row_width + 1 + self.test_rows.pairs.width + 1 + 1 <= self.size.width  # 1: scrollbar

    def _build(self) -> None:
        self.clear(columns=True)
        self._with_bits = self._bits_fit()
        self.add_column("", key="mark", width=2)
        self.add_column("test pair", key="row", width=self._row_width)
        if self._with_bits:
            self.add_column(" bits", key="bits", width=self.test_rows.pairs.width + 2)
        for i in range(len(self.test_rows.pairs)):
            self.add_row("", self._row(i, 0).rsplit(" = ", 1)[0] + " = ?", *[""] * self._with_bits, key=str(i))
        self._shown = [b""] * len(self.test_rows.pairs)
        self.border_title, self.border_subtitle = "test pairs", ""
        if self.predictions is not None:
            self.watch_predictions(self.predictions)

    def on_resize(self) -> None:
        if self.test_rows is not None and self._bits_fit() != self._with_bits:
            self._build()

    def watch_predictions(self, predictions: np.ndarray | None) -> None:
        if predictions is None or self.test_rows is None:
            return
        for i, bits in enumerate(predictions[: len(self._shown)]):
            packed = bits.tobytes()
            if packed == self._shown[i]:
                continue
            self._shown[i] = packed
            right = bool((bits == self._true[i]).all())
            self.update_cell(str(i), "mark", mark(right))
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
        if self._with_bits or self.predictions is None or not self._shown:
            return
        row = min(self.cursor_row, len(self._shown) - 1)
        bits = bits_text(self.predictions[row], self._true[row])
        subtitle = Text.assemble(f"num{row} bits ", bits).markup
        if self.border_subtitle != subtitle:
            self.border_subtitle = subtitle

    @property
    def right_count(self) -> int:
        """Rows whose prediction is entirely right."""
        return sum(1 for i, shown in enumerate(self._shown) if shown and shown == self._true[i].tobytes())
