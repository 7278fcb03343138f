"""The runs screen's charts: the chosen runs' loss and test exact accuracy, overlaid, a colour each.

A curve is one run's history, or a grid point's runs: their mean, with the band between
the least and the most of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal

from tui_lstm.catalog import spread
from tui_lstm.training import EpochMetrics
from tui_lstm.tui.widgets.chart import LineChart, Series

# Told apart on dark and light backgrounds alike; the baseline is the theme's foreground, in bold.
PALETTE = ("#4ea1d3", "#e8a33d", "#6cc070", "#d3616e", "#b48ead", "#d8c66c", "#5fc4c0", "#c7875e")
BASELINE = "chart--baseline"
CHARTS = (  # (id, history column, title, y range, percent)
    ("compare-loss", "loss", "loss", None, False),
    ("compare-exact", "val_exact_accuracy", "test exact accuracy", (0.0, 1.0), True),
)


@dataclass(frozen=True)
class Curve:
    """What one entry of the legend draws: a run's history, or several runs' (their mean and band)."""

    label: str
    histories: tuple[Sequence[EpochMetrics], ...]
    style: str  # a colour of PALETTE, or BASELINE


class CompareCharts(Horizontal):
    def compose(self) -> ComposeResult:
        for chart_id, _, _, y_range, percent in CHARTS:
            yield LineChart(y_range=y_range, percent=percent, ascii=self.app.ascii, id=chart_id)

    def on_mount(self) -> None:
        for chart_id, _, title, _, _ in CHARTS:
            self.query_one(f"#{chart_id}", LineChart).border_title = title

    def draw(self, curves: Sequence[Curve]) -> None:
        epochs = max((len(history) for curve in curves for history in curve.histories), default=1)
        for chart_id, column, _, _, _ in CHARTS:
            chart = self.query_one(f"#{chart_id}", LineChart)
            chart.x_max = epochs
            chart.series = tuple(_series(curve, column) for curve in curves)


def _series(curve: Curve, column: str) -> Series:
    band = spread(curve.histories, column)
    if len(curve.histories) == 1:
        return Series(band.mean, curve.style, curve.label)
    return Series(band.mean, curve.style, curve.label, band.low, band.high)
