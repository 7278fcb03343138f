"""The live curves: sparklines of every measure, and the loss and accuracy charts.

Both draw a run's history, bound to the board's (``data_bind``): they redraw when it changes.
Train is a solid line and test a dotted one, in two colours, so that they are told apart
without colour too; in ASCII (the app's ``ascii``) both draw with ASCII characters only.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.reactive import var
from textual.widgets import Label

from tui_lstm.training import EpochMetrics
from tui_lstm.tui.widgets.chart import LineChart, Series, glyphs
from tui_lstm.tui.widgets.sparkline import Spark

# (row label, train column, test column, how a value is shown)
MEASURES = (
    ("loss", "loss", "val_loss", "{:.4f}"),
    ("exact", "exact_accuracy", "val_exact_accuracy", "{:.1%}"),
    ("bits", "accuracy", "val_accuracy", "{:.1%}"),
)


class Sparklines(Grid):
    """Loss, exact accuracy and bit accuracy as sparklines, train beside test, each with its
    latest value."""

    # var: the sparklines redraw themselves; a refresh here would repaint them all again
    history: var[tuple[EpochMetrics, ...]] = var(tuple, init=False)

    def compose(self) -> ComposeResult:
        for label, train, test, _ in MEASURES:
            yield Label(label, classes="measure")
            for column in (train, test):
                yield Spark([], ascii=self.app.ascii, id=f"spark-{column}")
                yield Label("", id=f"value-{column}", classes="value")

    def on_mount(self) -> None:
        self.border_title = f"train {glyphs(self.app.ascii).axis} test"

    def show_longer(self, accuracy: dict[int, float]) -> str:
        """Exact accuracy on longer sums (operand width -> accuracy) under the sparklines; the line shown."""
        line = (" | " if self.app.ascii else " · ").join(
            f"{width} bits {exact:.1%}" for width, exact in accuracy.items()
        )
        self.border_subtitle = line
        return line

    def watch_history(self, history: tuple[EpochMetrics, ...]) -> None:
        for _, train, test, form in MEASURES:
            for column in (train, test):
                values = [getattr(m, column) for m in history]
                # a new list: Sparkline.data is reactive and would not see an append
                self.query_one(f"#spark-{column}", Spark).data = values
                value = form.format(values[-1]) if values else ""
                self.query_one(f"#value-{column}", Label).update(value, layout=False)  # fixed width


class Charts(Horizontal):
    """Loss and bit accuracy against epochs, train and test on the same axes, as the lab
    report plotted them."""

    # var: the charts redraw themselves; a refresh here would repaint them again
    history: var[tuple[EpochMetrics, ...]] = var(tuple, init=False)
    epochs: var[int] = var(1, init=False)
    """The epochs the run is set to train: the x axis runs to these (or further, if trained)."""

    def compose(self) -> ComposeResult:
        yield LineChart(y_range=None, percent=False, ascii=self.app.ascii, id="loss-chart")
        yield LineChart(y_range=(0.0, 1.0), percent=True, ascii=self.app.ascii, id="accuracy-chart")

    def on_mount(self) -> None:
        loss, accuracy = self.query(LineChart)
        loss.border_title, accuracy.border_title = "loss", "bit accuracy"
        self._legend()
        self.app.theme_changed_signal.subscribe(self, lambda theme: self._legend())  # after its CSS

    def _legend(self) -> None:
        """Train's and test's marks under each chart, in the colours the chart draws them in."""
        g = glyphs(self.app.ascii)
        for chart in self.query(LineChart):
            train, test = (
                Style(color=chart.get_component_rich_style(f"chart--{name}").color) for name in ("train", "test")
            )
            chart.border_subtitle = Text.assemble((f"{g.solid} train", train), " ", (f"{g.dotted} test", test))

    def watch_history(self) -> None:
        self._draw()

    def watch_epochs(self) -> None:
        self._draw()

    def _draw(self) -> None:
        history = self.history
        for chart, train, test in (
            (self.query_one("#loss-chart", LineChart), "loss", "val_loss"),
            (self.query_one("#accuracy-chart", LineChart), "accuracy", "val_accuracy"),
        ):
            chart.x_max = max(self.epochs, len(history))
            chart.series = (
                Series(tuple(getattr(m, train) for m in history), "chart--train"),
                Series(tuple(getattr(m, test) for m in history), "chart--test", dotted=True),
            )
