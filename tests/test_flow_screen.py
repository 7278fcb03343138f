"""The console's gradient flow view (key v): the recorded flow as a heatmap of epochs against
lag, the gates' saturation beside it, and exact accuracy by carry-chain length."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from tui_helpers import last_notice, quick_final_tests, screen_text, small, train_to_end, wait_until

from tui_lstm.carry_chains import at_width
from tui_lstm.runs import load_run, save_run
from tui_lstm.session import Session
from tui_lstm.training import EpochFlow
from tui_lstm.tui.app import TuiLstmApp
from tui_lstm.tui.screens.flow import ASCII_SHADES, FlowScreen, decades, heatmap, shown_rows

SIZE = (120, 40)
FORMAT_2 = Path(__file__).parent / "fixtures" / "runs" / "format2-numpy"


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    quick_final_tests(monkeypatch)


def map_lines(app) -> list[str]:
    """The heatmap's epoch lines on screen: an epoch's number, then a cell a lag (the chain
    bars' lines end in a percentage)."""
    lines = screen_text(app).splitlines()
    return [line for line in lines if line.strip()[:1].isdigit() and not re.search(r"\d\.\d%", line)]


async def test_v_shows_each_epoch_a_row_and_the_chain_bars():
    app = TuiLstmApp(small(epochs=3))
    async with app.run_test(size=SIZE) as pilot:
        await train_to_end(app, pilot)
        await pilot.press("v")
        assert isinstance(app.screen, FlowScreen)
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.chains) == 2)
        await pilot.pause()
        shown = screen_text(app)
        assert "Gradient flow of the cell state c, lstm on 4 bits: 3 epochs × lag k" in shown
        assert "k →" in shown and "i f o" in shown  # the lags' header, the gates beside
        rows = [line.split()[0] for line in map_lines(app)]
        assert rows == ["1", "2", "3"]
        assert "exact by carry chain, 4 bits" in shown and "all 256 4-bit pairs" in shown
        assert "exact by carry chain, 64 bits" in shown and "10,000 planted 64-bit pairs" in shown
        expected = at_width(app.trainer.backend, app.trainer.config, 4)
        for label, exact in zip(expected.labels(), expected.exact_accuracy):
            line = next(line for line in shown.splitlines() if line.strip().startswith(f"{label} ") and "%" in line)
            assert f"{np.floor(1000 * exact) / 10:5.1f}%" in line
        assert "measuring" not in shown
        await pilot.press("h")
        assert "Gradient flow of the hidden state h" in screen_text(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, FlowScreen)


async def test_the_heatmap_follows_a_live_run():
    """Opened after the first epoch, the view redraws as the next epochs land."""
    app = TuiLstmApp(small(epochs=4, samples=256))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")  # one epoch, then paused
        await wait_until(pilot, lambda: app.trainer is not None and len(app.trainer.history) == 1)
        await pilot.press("v")
        screen = app.screen
        await wait_until(pilot, lambda: screen.drawn == 1)
        assert [line.split()[0] for line in map_lines(app)] == ["1"]
        await pilot.press("escape")
        await pilot.press("p")  # resume, to the end
        await wait_until(pilot, lambda: not app.live)
        await pilot.press("v")
        screen = app.screen
        await wait_until(pilot, lambda: screen.drawn == 4)
        await pilot.pause()
        assert [line.split()[0] for line in map_lines(app)] == ["1", "2", "3", "4"]
        await pilot.press("escape")
        assert not app.live  # nothing left paused


async def test_an_opened_run_shows_what_it_recorded(tmp_path):
    record = Session().train(small(epochs=5))
    saved = save_run(tmp_path / "run", record)
    app = TuiLstmApp(small())
    async with app.run_test(size=(80, 24)) as pilot:
        app.session.adopt(load_run(saved))
        await pilot.press("v")
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.chains) == 2)
        await pilot.pause()
        assert "5 epochs × lag k" in screen_text(app)
        assert [line.split()[0] for line in map_lines(app)] == ["1", "2", "3", "4", "5"]
        await pilot.press("escape")


async def test_an_older_run_opened_says_nothing_was_recorded():
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        app.session.adopt(load_run(FORMAT_2))
        await pilot.press("v")
        await pilot.pause()
        assert "no gradient flow recorded yet" in screen_text(app)
        await pilot.press("escape")


async def test_help_and_the_palette_list_the_view():
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert re.search(r"\bv +Gradient flow through time by epoch", screen_text(app))
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.press(*"flow (v)")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert "no model yet" in last_notice(app)  # the palette ran the view's action


async def test_a_two_step_layout_says_the_view_needs_the_bits_layout():
    app = TuiLstmApp(small(layout="numbers", epochs=1))
    async with app.run_test(size=SIZE) as pilot:
        await train_to_end(app, pilot)
        await pilot.press("v")
        assert not isinstance(app.screen, FlowScreen)
        assert "needs the bits layout" in last_notice(app)


async def test_without_a_model_the_view_says_so():
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        assert not isinstance(app.screen, FlowScreen)
        assert "no model yet" in last_notice(app)


async def test_in_ascii_the_heatmap_uses_ascii_shades():
    app = TuiLstmApp(small(epochs=2), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await train_to_end(app, pilot)
        await pilot.press("v")
        screen = app.screen
        await wait_until(pilot, lambda: len(screen.chains) == 2)
        await pilot.pause()
        lines = map_lines(app)
        assert len(lines) == 2
        assert all(ch.isascii() for line in lines for ch in line)
        cells = lines[0].split(None, 1)[1][:65]
        assert set(cells) <= set(ASCII_SHADES) and len(set(cells)) > 1  # shades, and more than one
        await pilot.press("escape")


def test_long_runs_show_rows_spread_over_the_run_with_the_first_and_last():
    rows = [EpochFlow(epoch, None) for epoch in range(1, 101)]
    picked = [row.epoch for row in shown_rows(rows, 10)]
    assert len(picked) == 10 and picked[0] == 1 and picked[-1] == 100
    assert picked == sorted(picked)


def test_the_scale_spans_the_decades_of_the_flow():
    from tui_lstm.nn.flow import Flow

    rows = [EpochFlow(1, Flow({"h": np.array([2.0, 1.0, 2e-9, 0.0])}, {}))]
    assert decades(rows, "h") == (-9, 0)  # 1e-9 of lag 0 at the bottom; 0 (log: -inf) is below it
    text = heatmap(rows, "h", 5).plain
    assert "1e+0" in text and "1e-9" in text
