"""A line chart with axes, drawn in braille so a few terminal cells hold a whole curve.

Each cell is a 2 x 4 grid of dots, so a 30 x 6 chart has 60 x 24 points of resolution.
The x axis runs over the epochs the run is set to train, so the curves grow from left to
right like a progress bar; the y axis is fixed (accuracy) or starts at zero (loss).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

# dot (column, row) within a braille cell -> its bit in the code point U+2800 + bits
_DOT = {(0, 0): 0x01, (0, 1): 0x02, (0, 2): 0x04, (0, 3): 0x40, (1, 0): 0x08, (1, 1): 0x10, (1, 2): 0x20, (1, 3): 0x80}


@dataclass(frozen=True)
class Series:
    """One curve: a value per epoch, drawn with the widget's component class ``style``."""

    values: tuple[float, ...]
    style: str


def dot_grid(
    values: Sequence[float], x_max: int, y_low: float, y_high: float, columns: int, rows: int
) -> set[tuple[int, int]]:
    """The dots (x, y), y from the top, of a polyline through (epoch, value) points.

    Epochs that fall on the same dot column are averaged first, so a long run costs no
    more to draw than the chart has columns.
    """
    width, height = 2 * columns, 4 * rows
    values = np.asarray(values, dtype=float)
    x = np.rint(np.arange(len(values)) / max(x_max - 1, 1) * (width - 1)).astype(int)
    seen = ~np.isnan(values)  # NaN: no point
    counts = np.bincount(x[seen], minlength=width)
    sums = np.bincount(x[seen], weights=values[seen], minlength=width)
    xs = np.nonzero(counts)[0]
    ys = (y_high - np.clip(sums[xs] / counts[xs], y_low, y_high)) / ((y_high - y_low) or 1.0) * (height - 1)
    points = list(zip(xs.tolist(), ys.tolist()))
    dots = {(x, round(y)) for x, y in points}
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        steps = int(max(x1 - x0, abs(y1 - y0))) + 1
        for k in range(1, steps):
            t = k / steps
            dots.add((round(x0 + (x1 - x0) * t), round(y0 + (y1 - y0) * t)))
    return dots


class LineChart(Widget):
    """Curves against epochs with a labelled y axis and an epoch axis."""

    COMPONENT_CLASSES = {"chart--axis", "chart--train", "chart--test"}
    DEFAULT_CSS = """
    LineChart { height: 1fr; min-height: 4; }
    LineChart > .chart--axis { color: $text-muted; }
    LineChart > .chart--train { color: $primary; }
    LineChart > .chart--test { color: $warning; }
    """

    series: reactive[tuple[Series, ...]] = reactive(tuple)
    """The curves, drawn in order (a later one wins a cell both pass through)."""
    x_max: reactive[int] = reactive(1)
    """The last epoch on the x axis: the number of epochs the run is set to train."""

    def __init__(self, *, y_range: tuple[float, float] | None, percent: bool, **kwargs):
        """``y_range`` None: from zero to the largest value seen."""
        super().__init__(**kwargs)
        self.y_range = y_range
        self.percent = percent

    def _label(self, value: float) -> str:
        return f"{value:.0%}" if self.percent else f"{value:.3g}"

    def render(self) -> Text:
        width, height = self.content_size
        tops = [np.nanmax(s.values) for s in self.series if np.isfinite(s.values).any()]
        low, high = self.y_range or (0.0, float(max(tops, default=1.0)) or 1.0)
        labels = [self._label(high), self._label(low)]
        margin = max(map(len, labels))
        columns, rows = max(width - margin - 1, 1), max(height - 1, 1)
        axis = self.get_component_rich_style("chart--axis")
        cells: dict[tuple[int, int], tuple[int, Style]] = {}
        for s in self.series:
            style = self.get_component_rich_style(s.style)
            for x, y in dot_grid(s.values, self.x_max, low, high, columns, rows):
                key = (x // 2, y // 4)
                bits = cells.get(key, (0, style))[0] | _DOT[(x % 2, y % 4)]
                cells[key] = (bits, style)
        text = Text(no_wrap=True, overflow="crop")
        for row in range(rows):
            label = labels[0] if row == 0 else labels[1] if row == rows - 1 else ""
            text.append(f"{label:>{margin}}{'┤' if label else '│'}", axis)
            for column in range(columns):
                bits, style = cells.get((column, row), (0, None))
                text.append(chr(0x2800 + bits) if bits else " ", style)
            text.append("\n")
        last = str(self.x_max)
        rule = "1" + "─" * max(columns - 1 - len(last), 0) + last
        text.append(" " * margin + "└" + rule[:columns], axis)
        return text
