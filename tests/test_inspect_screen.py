"""The inside view (key i) driven through the pilot, and its picture.

The model is the hand-wired LSTM adder of ``adders.py``: no training, so the pictures
and the figures are the same on every run, and its carry unit is known (h1 or c1).
"""

from __future__ import annotations

from adders import wired_adder, wired_config
from textual.widgets import Input
from tui_helpers import notices, screen_text

from tui_lstm.backends.numpy_backend import NumpyBackend
from tui_lstm.config import preset
from tui_lstm.training import Trainer
from tui_lstm.tui.app import TuiLstmApp
from tui_lstm.tui.screens.inspect import InspectScreen

SIZE = (80, 24)


def wired_trainer(kind: str = "lstm") -> Trainer:
    config = wired_config(kind)
    backend = NumpyBackend(config)
    backend.network = wired_adder(kind)
    return Trainer(config, backend=backend)


async def open_inside(pilot) -> InspectScreen:
    app = pilot.app
    app.session.trainer = wired_trainer()
    await pilot.press("i")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, InspectScreen)
    return app.screen


async def test_the_view_shows_a_typed_sum_bit_by_bit():
    app = TuiLstmApp(preset("fast"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        assert "no model yet" in notices(app)
        screen = await open_inside(pilot)
        shown = screen_text(app)
        assert "93 + 116 = 209, lstm(93,116) = 209  ✓ right" in shown  # the sum it opens with
        assert "carry unit h1 (hidden state, carry out): r = +1.000, all 16,384 7-bit pairs" in shown

        sum_field = screen.query_one("#sum", Input)
        sum_field.value = ""
        await pilot.press(*"127+1", "enter")
        shown = screen_text(app)
        assert "127 + 1 = 128, lstm(127,1) = 128" in shown
        row = {line[:12].strip(): line[12:-2].split() for line in shown.splitlines()}  # label -> cells, no scrollbar
        assert row["carry in"] == list("01111111") and row["carry out"] == list("11111110")
        assert [float(v) > 0 for v in row["h1 ◀ carry"]] == [True] * 7 + [False]  # it holds the carry out

        sum_field.value = ""
        await pilot.press(*"12+x", "enter")
        assert "type a sum like 93+116" in screen_text(app)
        assert "127 + 1 = 128" in screen_text(app)  # the last good picture stays
        await pilot.press("escape")
        assert not isinstance(app.screen, InspectScreen)


async def test_it_opens_with_the_last_sum_tried_and_refuses_other_layouts():
    app = TuiLstmApp(preset("fast"))
    async with app.run_test(size=SIZE) as pilot:
        app.session.trainer = wired_trainer("gru")
        await pilot.press("t", *"5+3", "enter", "escape", "i")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "5 + 3 = 8, gru(5,3) = 8" in screen_text(app)
        await pilot.press("escape")
        numbers = preset("fast", layout="numbers", hidden=4)
        app.session.trainer = Trainer(numbers, backend=NumpyBackend(numbers))
        await pilot.press("i")
        assert "only bits-layout models can be inspected" in notices(app)
        assert not isinstance(app.screen, InspectScreen)


def test_snapshot(snap_compare):
    """The inside view at 80x24 for 93 + 116 with the hand-wired LSTM adder: the sum and
    "✓ right", its carry unit h1 with r = +1.000, then the steps as columns (bit 0 first):
    a, b, the true carry in and out, the carry unit's row (+0.76 where the carry is 1,
    -0.76 where it is 0, blue to red), the sum, P(bit = 1) and the output bits, and the
    top of the input-gate heatmap (all 1.00, red); the legend at the bottom."""

    async def open_it(pilot):
        await open_inside(pilot)
        pilot.app.screen.query_one("#sum", Input).cursor_blink = False

    assert snap_compare(TuiLstmApp(preset("fast")), terminal_size=SIZE, run_before=open_it)
