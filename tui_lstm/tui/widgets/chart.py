"""A line chart with axes, drawn in braille so a few terminal cells hold a whole curve.

Each cell is a 2 x 4 grid of dots, so a 30 x 6 chart has 60 x 24 points of resolution.
The x axis runs over the epochs the run is set to train, so the curves grow from left to
right like a progress bar; the y axis is fixed (accuracy) or starts at zero (loss).

It draws any number of curves, each in its own style; a curve may be dotted (every other
dot along it), so that two curves are told apart without colour (NO_COLOR); it may carry
a band (the least and most of several runs about their mean), drawn in dim dots under
the curves, and a label, which puts it in a legend under the epoch axis.

In ASCII (a terminal that cannot show braille, or ``--ascii``) a cell is one point: a
curve is a line of ``*`` (dotted: ``o``), a band is ``.``, and the axes are ``|+-``.
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
class Glyphs:
    """What a chart draws with: its axes, a curve's point (ASCII) and a curve's mark in a legend."""

    axis: str  # the y axis, a labelled tick on it, the corner, the x axis
    tick: str
    corner: str
    rule: str
    solid: str  # a solid curve's legend mark (and its point, in ASCII)
    dotted: str
    band: str = ""  # a band's point, in ASCII
    more: str = "…"  # ends a legend that does not fit


BRAILLE = Glyphs(axis="│", tick="┤", corner="└", rule="─", solid="━", dotted="┅")
ASCII = Glyphs(axis="|", tick="+", corner="+", rule="-", solid="*", dotted="o", band=".", more="...")


def glyphs(ascii: bool) -> Glyphs:
    return ASCII if ascii else BRAILLE


@dataclass(frozen=True)
class Series:
    """One curve: a value per epoch, drawn in ``style``, which is one of the widget's
    component classes (``chart--train``) or a Rich style (``#e8a33d``). ``label`` names it
    in the legend (none: not in it); ``low`` and ``high``, a band about it, per epoch."""

    values: tuple[float, ...]
    style: str
    label: str = ""
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()
    dotted: bool = False


def _dot_columns(
    values: Sequence[float], x_max: int, y_low: float, y_high: float, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """The dot columns that epochs fall on and, for each, the mean value's dot row from the
    top (not rounded). Epochs on the same dot column are averaged, so a long run costs no
    more to draw than the chart has columns."""
    values = np.asarray(values, dtype=float)
    x = np.rint(np.arange(len(values)) / max(x_max - 1, 1) * (width - 1)).astype(int)
    seen = ~np.isnan(values)  # NaN: no point
    counts = np.bincount(x[seen], minlength=width)
    sums = np.bincount(x[seen], weights=values[seen], minlength=width)
    xs = np.nonzero(counts)[0]
    ys = (y_high - np.clip(sums[xs] / counts[xs], y_low, y_high)) / ((y_high - y_low) or 1.0) * (height - 1)
    return xs, ys


def dot_path(
    values: Sequence[float], x_max: int, y_low: float, y_high: float, width: int, height: int
) -> list[tuple[int, int]]:
    """The points (x, y), y from the top, of a polyline through (epoch, value) points on a
    ``width`` x ``height`` grid, in order along it, each next to the one before."""
    xs, ys = _dot_columns(values, x_max, y_low, y_high, width, height)
    points = list(zip(xs.tolist(), ys.tolist()))
    path = [(x, round(y)) for x, y in points[:1]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        steps = int(max(x1 - x0, abs(y1 - y0))) + 1
        for k in range(1, steps + 1):
            t = k / steps
            dot = (round(x0 + (x1 - x0) * t), round(y0 + (y1 - y0) * t))
            if dot != path[-1]:
                path.append(dot)
    return path


def dot_grid(
    values: Sequence[float], x_max: int, y_low: float, y_high: float, columns: int, rows: int, dotted: bool = False
) -> set[tuple[int, int]]:
    """The braille dots (x, y), y from the top, of a polyline through (epoch, value) points;
    ``dotted``: every other dot along it."""
    path = dot_path(values, x_max, y_low, y_high, 2 * columns, 4 * rows)
    return set(path[::2] if dotted else path)


def band_grid(
    low: Sequence[float], high: Sequence[float], x_max: int, y_low: float, y_high: float, width: int, height: int
) -> set[tuple[int, int]]:
    """The points (x, y), y from the top, on a ``width`` x ``height`` grid that shade the
    band between ``low`` and ``high``: every other one, so that it reads as a shade and
    the curves over it stay clear."""
    xs, tops = _dot_columns(high, x_max, y_low, y_high, width, height)
    _, bottoms = _dot_columns(low, x_max, y_low, y_high, width, height)
    if not len(xs):
        return set()
    across = np.arange(xs[0], xs[-1] + 1)  # between epochs too, as the curves' lines are
    tops, bottoms = np.rint(np.interp(across, xs, tops)), np.rint(np.interp(across, xs, bottoms))
    return {
        (x, y)
        for x, top, bottom in zip(across.tolist(), tops.astype(int).tolist(), bottoms.astype(int).tolist())
        for y in range(top, bottom + 1)
        if (x + y) % 2 == 0
    }


class LineChart(Widget):
    """Curves against epochs with a labelled y axis and an epoch axis, and a legend of the labelled ones."""

    COMPONENT_CLASSES = {"chart--axis", "chart--train", "chart--test", "chart--baseline"}
    DEFAULT_CSS = """
    LineChart { height: 1fr; min-height: 4; }
    LineChart > .chart--axis { color: $text-muted; }
    LineChart > .chart--train { color: $primary; }
    LineChart > .chart--test { color: $warning; }
    LineChart > .chart--baseline { color: $foreground; text-style: bold; }
    """

    series: reactive[tuple[Series, ...]] = reactive(tuple)
    """The curves, drawn in order (a later one wins a cell both pass through)."""
    x_max: reactive[int] = reactive(1)
    """The last epoch on the x axis: the number of epochs the run is set to train."""

    def __init__(self, *, y_range: tuple[float, float] | None, percent: bool, ascii: bool = False, **kwargs):
        """``y_range`` None: from zero to the largest value seen; ``ascii``: drawn in ASCII."""
        super().__init__(**kwargs)
        self.y_range = y_range
        self.percent = percent
        self.glyphs = glyphs(ascii)

    def _label(self, value: float) -> str:
        return f"{value:.0%}" if self.percent else f"{value:.3g}"

    def _style(self, series: Series) -> Style:
        if series.style in self.COMPONENT_CLASSES:
            return self.get_component_rich_style(series.style)
        return Style.parse(series.style)

    def _legend(self, width: int, most_lines: int) -> list[Text]:
        """``━ label`` (dotted: ``┅ label``) for each labelled curve, in its style, as many
        a line as fit; a last line that cannot hold the rest ends in ``…``."""
        lines: list[Text] = []
        for s in self.series:
            if not s.label:
                continue
            entry = Text(f"{self.glyphs.dotted if s.dotted else self.glyphs.solid} {s.label}", self._style(s))
            if lines and lines[-1].cell_len + 2 + entry.cell_len <= width:
                lines[-1].append("  ").append_text(entry)
            elif len(lines) < most_lines:
                lines.append(entry)
            else:
                lines[-1].append(" " + self.glyphs.more)
                break
        for line in lines:
            line.truncate(width, overflow="ellipsis" if self.glyphs is BRAILLE else "crop")
        return lines

    def _braille_cells(
        self, low: float, high: float, columns: int, rows: int
    ) -> dict[tuple[int, int], tuple[str, Style]]:
        """(column, row) -> (braille character, style): every curve's dots, bands under them."""
        bits_at: dict[tuple[int, int], tuple[int, Style]] = {}
        bands = [
            (band_grid(s.low, s.high, self.x_max, low, high, 2 * columns, 4 * rows), self._style(s) + Style(dim=True))
            for s in self.series
            if s.low
        ]
        curves = [
            (dot_grid(s.values, self.x_max, low, high, columns, rows, s.dotted), self._style(s)) for s in self.series
        ]
        for dots, style in bands + curves:  # bands under every curve
            for x, y in dots:
                key = (x // 2, y // 4)
                bits = bits_at.get(key, (0, style))[0] | _DOT[(x % 2, y % 4)]
                bits_at[key] = (bits, style)
        return {key: (chr(0x2800 + bits), style) for key, (bits, style) in bits_at.items()}

    def _ascii_cells(
        self, low: float, high: float, columns: int, rows: int
    ) -> dict[tuple[int, int], tuple[str, Style]]:
        """(column, row) -> (character, style): a point a cell, each curve's in its glyph."""
        cells: dict[tuple[int, int], tuple[str, Style]] = {}
        for s in self.series:  # bands under every curve
            if s.low:
                style = self._style(s) + Style(dim=True)
                for key in band_grid(s.low, s.high, self.x_max, low, high, columns, rows):
                    cells[key] = (self.glyphs.band, style)
        for s in self.series:
            mark = self.glyphs.dotted if s.dotted else self.glyphs.solid
            for key in dot_path(s.values, self.x_max, low, high, columns, rows):
                cells[key] = (mark, self._style(s))
        return cells

    def render(self) -> Text:
        width, height = self.content_size
        tops = [np.nanmax(s.high or s.values) for s in self.series if np.isfinite(s.values).any()]
        low, high = self.y_range or (0.0, float(max(tops, default=1.0)) or 1.0)
        labels = [self._label(high), self._label(low)]
        margin = max(map(len, labels))
        legend = self._legend(width, most_lines=max((height - 2) // 2, 1))
        columns, rows = max(width - margin - 1, 1), max(height - 1 - len(legend), 1)
        axis, g = self.get_component_rich_style("chart--axis"), self.glyphs
        draw = self._braille_cells if g is BRAILLE else self._ascii_cells
        cells = draw(low, high, columns, rows)
        text = Text(no_wrap=True, overflow="crop")
        for row in range(rows):
            label = labels[0] if row == 0 else labels[1] if row == rows - 1 else ""
            text.append(f"{label:>{margin}}{g.tick if label else g.axis}", axis)
            for column in range(columns):
                character, style = cells.get((column, row), (" ", None))
                text.append(character, style)
            text.append("\n")
        last = str(self.x_max)
        rule = "1" + g.rule * max(columns - 1 - len(last), 0) + last
        text.append(" " * margin + g.corner + rule[:columns], axis)
        for line in legend:
            text.append("\n").append_text(line)
        return text
