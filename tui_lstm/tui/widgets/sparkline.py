"""A one-row sparkline that a terminal without block characters can show.

Textual's Sparkline draws in eighth blocks (▁ to █), which an ASCII terminal shows as
noise; in ASCII this one draws the same columns (each the largest value it covers, as
Textual's does) with characters that sit low to high in a cell, in the same colours.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widgets import Sparkline

RAMP = "_.-~^"  # low to high


def ascii_levels(data: list[float], width: int) -> tuple[list[int], list[float]]:
    """For each of ``width`` columns, the RAMP index of the largest value it covers and
    that value's place between the least and the most of ``data`` (0..1). Fewer values than
    columns are stretched over them."""
    values = np.asarray(data, dtype=float)  # (n,)
    n = len(values)
    starts = np.arange(width) * n // width  # (width,): each column's first value
    ends = np.maximum((np.arange(width) + 1) * n // width, starts + 1)
    tops = np.array([values[a:b].max() for a, b in zip(starts.tolist(), ends.tolist())])
    low, high = values.min(), values.max()
    places = (tops - low) / ((high - low) or 1.0)  # (width,) in 0..1
    return np.rint(places * (len(RAMP) - 1)).astype(int).tolist(), places.tolist()


class Spark(Sparkline):
    """Textual's sparkline, or with ``ascii`` its ASCII drawing (see RAMP)."""

    def __init__(self, data=None, *, ascii: bool = False, **kwargs):
        super().__init__(data, **kwargs)
        self.ascii = ascii

    def render(self):
        if not self.ascii:
            return super().render()
        width = self.size.width
        _, base = self.background_colors  # the min colour is translucent: over the background
        low, high = (base + self.get_component_styles(f"sparkline--{end}-color").color for end in ("min", "max"))
        data = list(self.data or [])
        if not data:
            return Text(RAMP[0] * width, Style(color=low.rich_color))
        levels, places = ascii_levels(data, width)
        text = Text(no_wrap=True, overflow="crop")
        for level, place in zip(levels, places):
            text.append(RAMP[level], Style(color=low.blend(high, place).rich_color))
        return text
