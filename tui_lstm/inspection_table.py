"""One inspected sum as Rich tables: steps as columns, gates and states as a heatmap.

The same renderable is printed by ``tui-lstm inspect`` and shown by the console's
inspect screen. It fits whatever width it is given: the steps are split into blocks of
as many columns as fit, so a 64-bit sum stays readable at 80 columns. Every cell prints
its value as well as its colour, so nothing is lost under NO_COLOR.
"""

from __future__ import annotations

import numpy as np
from rich import box
from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.style import Style
from rich.table import Table
from rich.text import Text

from tui_lstm.inspection import CarryUnit, SumInspection, title
from tui_lstm.presentation import WRONG_BIT, sum_line, verdict

LABEL_WIDTH = 12
STEP_WIDTH = 5  # "-0.43"; a column takes one more for the space between columns
NEUTRAL, POSITIVE, NEGATIVE = (40, 40, 40), (205, 65, 40), (40, 105, 205)


def heat(value: float) -> Style:
    """White on a background from blue (-1) through dark grey (0) to red (+1)."""
    weight = min(abs(value), 1.0)
    end = POSITIVE if value >= 0 else NEGATIVE
    rgb = (round(n + (e - n) * weight) for n, e in zip(NEUTRAL, end))
    return Style(color="white", bgcolor=Color.from_rgb(*rgb))


def number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 9.995 else f"{value:.1f}"


def heat_row(table: Table, label: str | Text, values: np.ndarray, steps: range, end_section: bool = False) -> None:
    """One row of values (T,), each printed and coloured."""
    table.add_row(label, *(Text(number(values[t]), heat(values[t])) for t in steps), end_section=end_section)


def headline(seen: SumInspection) -> Text:
    right = seen.predicted == seen.a + seen.b
    return Text(sum_line(seen.cell, seen.a, seen.b, seen.predicted) + "  ").append_text(verdict(right))


class StepTable:
    """The inspected sum: a headline, the carry unit, and the steps in tables that fit."""

    def __init__(self, seen: SumInspection, carry: CarryUnit | None):
        self.seen = seen
        self.carry = carry  # None while it is still being searched for

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        seen = self.seen
        yield headline(seen)
        yield Text(self.carry.describe() if self.carry else "carry unit: searching…", "bold")
        yield Text(f"{seen.width}-bit operands, {seen.steps} steps, least significant bit first", "dim")
        per_block = max(1, (options.max_width - LABEL_WIDTH - 1) // (STEP_WIDTH + 1))
        for start in range(0, seen.steps, per_block):
            yield self.table(range(start, min(start + per_block, seen.steps)))

    def table(self, steps: range) -> Table:
        seen = self.seen
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=0)
        table.add_column("bit", width=LABEL_WIDTH, no_wrap=True)
        for t in steps:
            table.add_column(str(t), width=STEP_WIDTH, justify="right", no_wrap=True)

        def bits(label: str, values: np.ndarray) -> None:
            table.add_row(label, *(str(values[t]) for t in steps))

        bits("a", seen.a_bits)
        bits("b", seen.b_bits)
        bits("carry in", seen.carry_in)
        bits("carry out", seen.carry_out)
        if self.carry is not None:  # beside the true carry it tracks, as well as in its block
            carry_values = (seen.gates | seen.states)[self.carry.name][:, self.carry.unit]  # (T,)
            heat_row(table, self.carry_label(), carry_values, steps)
        bits("sum", seen.sum_bits)
        heat_row(table, "P(bit = 1)", seen.probabilities, steps)
        table.add_row("output", *(self.output(t) for t in steps), end_section=True)
        for name, values in (seen.gates | seen.states).items():
            self.heatmap(table, name, values, steps)
        return table

    def output(self, t: int) -> Text:
        bit = self.seen.output_bits[t]
        if bit == self.seen.sum_bits[t]:
            return Text(str(bit))
        return Text(f"{bit}✗", WRONG_BIT)

    def carry_label(self) -> Text:
        return Text(f" {self.carry.name}{self.carry.unit} ◀ carry", "bold reverse")

    def heatmap(self, table: Table, name: str, values: np.ndarray, steps: range) -> None:
        """A title row, then one row per unit of one gate or state (values (T, H))."""
        table.add_row(Text(title(self.seen.cell, name), "bold"))
        for unit in range(values.shape[1]):
            is_carry = self.carry is not None and (self.carry.name, self.carry.unit) == (name, unit)
            label = self.carry_label() if is_carry else Text(f" {name}{unit}")
            heat_row(table, label, values[:, unit], steps, end_section=unit == values.shape[1] - 1)
