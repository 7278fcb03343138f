"""The console's longer-sums screen (key g): exact accuracy from the training width up a
doubling scale, each width drawn as it is measured, on a copy of the weights."""

from __future__ import annotations

import re

import numpy as np
import pytest
from tui_helpers import last_notice, quick_final_tests, screen_text, small, train_to_end, wait_until

from tui_lstm.evaluate import SCALE_WIDTH, scale_samples, score_width
from tui_lstm.tui.app import TuiLstmApp
from tui_lstm.tui.screens import widths
from tui_lstm.tui.screens.widths import WidthsScreen, bar

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    quick_final_tests(monkeypatch)


def test_the_scale_costs_about_the_same_at_every_wide_width():
    assert scale_samples(8) is None  # every pair
    assert [scale_samples(w) for w in (16, 64, 128)] == [10_000] * 3
    assert scale_samples(SCALE_WIDTH) == 488 and scale_samples(2048) == 976


def test_bars_are_drawn_to_an_eighth_of_a_cell():
    assert bar(1.0, 10) == "█" * 10 and bar(0.0, 10) == ""
    assert bar(0.55, 10) == "█████▌"
    assert bar(0.55, 10, ascii=True) == "######" and bar(0.5, 10, ascii=True) == "#####"


async def test_g_scores_every_width_of_the_scale_and_draws_each(monkeypatch):
    monkeypatch.setattr(widths, "SCALE_WIDTH", 64)
    app = TuiLstmApp(small(epochs=2))
    async with app.run_test(size=SIZE) as pilot:
        await train_to_end(app, pilot)
        await pilot.press("g")
        assert isinstance(app.screen, WidthsScreen)
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.rows) == 5)
        await pilot.pause()
        assert [row.width for row in screen.rows] == [4, 8, 16, 32, 64]
        shown = screen_text(app)
        assert "from 4 to 64 bits" in shown
        assert "all 256 pairs" in shown and "all 65,536 pairs" in shown and "10,000 random pairs" in shown
        expected, every = score_width(app.trainer.backend, app.trainer.config, 64, 10_000)
        assert not every
        assert f"{expected.exact_accuracy:.2%}" in shown.split("64 bits")[-1].splitlines()[0]
        assert "measuring" not in shown
        await pilot.press("escape")
        assert not isinstance(app.screen, WidthsScreen)


async def test_the_screen_scores_the_weights_it_opened_with(monkeypatch):
    monkeypatch.setattr(widths, "SCALE_WIDTH", 8)
    app = TuiLstmApp(small(epochs=2))
    async with app.run_test(size=SIZE) as pilot:
        await train_to_end(app, pilot)
        await pilot.press("g")
        screen = app.screen
        before = screen.model.network.flat.copy()
        app.trainer.backend.network.flat[:] += 1.0  # the run goes on changing its own
        assert np.array_equal(screen.model.network.flat, before)
        await wait_until(pilot, lambda: len(screen.rows) == 2)
        await pilot.press("escape")


async def test_closing_the_screen_stops_measuring():
    app = TuiLstmApp(small(epochs=1))
    async with app.run_test(size=SIZE) as pilot:
        await train_to_end(app, pilot)
        await pilot.press("g")
        screen = app.screen
        await pilot.press("escape")
        await wait_until(pilot, lambda: all(w.is_finished for w in screen.workers))
        assert len(screen.rows) < len(screen.widths)  # it did not go on to 4,096 bits


async def test_g_says_why_where_there_are_no_longer_sums():
    app = TuiLstmApp(small(epochs=1, layout="numbers"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        assert "no model yet" in last_notice(app)
        await train_to_end(app, pilot)
        await pilot.press("g")
        assert not isinstance(app.screen, WidthsScreen)
        assert "only a bits-layout model" in last_notice(app)


async def test_in_ascii_the_bars_are_ascii(monkeypatch):
    monkeypatch.setattr(widths, "SCALE_WIDTH", 8)
    app = TuiLstmApp(small(epochs=1), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await train_to_end(app, pilot)
        await pilot.press("g")
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.rows) == 2)
        await pilot.pause()
        rows = [line for line in screen_text(app).splitlines() if re.match(r"\s+\d+ bits ", line)]
        assert len(rows) == 2 and all(line.isascii() for line in rows)
        assert any("#" in line for line in rows) or all(row.scores.exact_accuracy == 0 for row in screen.rows)
        await pilot.press("escape")
