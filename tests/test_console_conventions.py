"""The console's conventions (issue 12): train and test curves told apart in every theme and
without colour, an ASCII fallback for the charts and sparklines, a step key (n) that trains
one epoch and pauses, and a screenshot key (P) that saves the screen as SVG."""

from __future__ import annotations

import io
import sys
import threading
import time
from pathlib import Path

import pytest
from textual.widgets import Sparkline
from tui_helpers import quick_final_tests, screen_text, small, wait_until

from tui_lstm import cli
from tui_lstm.session import RunState, Session
from tui_lstm.training import BatchDone, EpochDone
from tui_lstm.tui import app as app_module
from tui_lstm.tui.app import TuiLstmApp
from tui_lstm.tui.widgets.chart import LineChart, Series

SIZE = (120, 40)
REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO / "tests/fixtures/runs/format0-numpy"  # 12 epochs of small()
BRAILLE = range(0x2801, 0x2900)


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    quick_final_tests(monkeypatch)


def status(app) -> str:
    return app.board.status.render().plain


async def open_recorded_run(pilot) -> None:
    app = pilot.app
    await pilot.press("o", *str(RECORDED), "enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert app.screen is app.screen_stack[0] and app.trainer is not None, "the run did not open"


def widget_text(app, widget) -> str:
    """The screen's text inside ``widget``'s region, borders included."""
    lines = screen_text(app).splitlines()
    region = widget.region
    return "\n".join(line[region.x : region.right] for line in lines[region.y : region.bottom])


def dots(text: str) -> int:
    """How many braille dots ``text`` lights."""
    return sum(bin(ord(c) - 0x2800).count("1") for c in text if ord(c) in BRAILLE)


# --- 1. train and test told apart ------------------------------------------------------


async def test_train_and_test_curves_differ_in_colour_in_every_theme():
    """The braille cells of the loss chart come in exactly two colours, train's and test's,
    in every theme Textual ships, and its legend shows each mark in its curve's colour."""
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        await open_recorded_run(pilot)
        chart = app.query_one("#loss-chart", LineChart)
        assert len(app.available_themes) > 10
        for theme in app.available_themes:
            app.theme = theme
            await pilot.pause()
            text = chart.render()
            drawn = {
                span.style.color
                for span in text.spans
                if any(ord(c) in BRAILLE for c in text.plain[span.start : span.end])
            }
            train, test = (chart.get_component_rich_style(f"chart--{name}").color for name in ("train", "test"))
            assert drawn == {train, test} and train != test, theme
            row = chart.region.bottom - 1  # the legend, in the border under the chart
            line = screen_text(app).splitlines()[row]
            marks = [chart.app.screen.get_style_at(line.index(mark), row).color for mark in "━┅"]
            assert marks == [train, test], theme  # each mark in its curve's colour


async def test_test_curves_are_dotted_so_they_differ_without_colour(monkeypatch):
    """With NO_COLOR, train is a solid braille line and test a dotted one, and the legend
    under each chart shows which is which by the same marks."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        assert app.no_color
        await open_recorded_run(pilot)
        chart = app.query_one("#loss-chart", LineChart)
        # two flat lines, a quarter and three quarters up: one row of the chart each
        chart.series = (Series((0.25,) * 12, "chart--train"), Series((0.75,) * 12, "chart--test", dotted=True))
        chart.y_range = (0.0, 1.0)
        chart.refresh()
        await pilot.pause()
        rows = [row for row in chart.render().plain.splitlines() if dots(row)]
        assert len(rows) == 2
        test_row, train_row = rows  # test is higher up
        assert dots(test_row) <= 0.6 * dots(train_row)
        assert widget_text(app, chart).count("━ train ┅ test") == 1


# --- 2. ASCII ---------------------------------------------------------------------------


async def test_ascii_charts_and_sparklines_hold_only_ascii():
    app = TuiLstmApp(small(), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_recorded_run(pilot)
        await pilot.pause()
        texts = [widget_text(app, app.query_one(selector)) for selector in ("#sparklines", "#charts")]
        for text in texts:
            assert text.isascii(), [c for c in text if not c.isascii()]
        sparklines, charts = texts
        assert "* train o test" in charts and "*" in charts.replace("* train", "")
        assert "train | test" in sparklines
        spark = widget_text(app, app.query_one("#spark-loss", Sparkline))
        assert len(set(spark)) >= 3, spark  # a curve, not a flat row


async def test_unicode_charts_by_default():
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        await open_recorded_run(pilot)
        assert not app.ascii
        assert dots(widget_text(app, app.query_one("#charts"))) > 0
        assert any(c in "▁▂▃▄▅▆▇█" for c in widget_text(app, app.query_one("#sparklines")))


@pytest.mark.parametrize("encoding, ascii", [("ascii", True), ("latin-1", True), ("utf-8", False)])
def test_ascii_when_the_terminal_cannot_show_braille(monkeypatch, encoding, ascii):
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding=encoding))
    assert TuiLstmApp(small()).ascii is ascii
    assert TuiLstmApp(small(), ascii=True).ascii is True


def test_the_ascii_flag_reaches_the_console(monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "refuse_without_terminal", lambda: None)
    monkeypatch.setattr(app_module, "run", lambda config, **kwargs: seen.append(kwargs) or 0)
    assert cli.main(["--ascii"]) == 0
    assert cli.main([]) == 0
    assert [kwargs["ascii"] for kwargs in seen] == [True, False]


# --- 3. n: one epoch, then a pause ------------------------------------------------------


def test_a_step_pauses_at_the_epoch_boundary():
    """Session.step: a run begun by a step pauses after epoch 1 with no batch of epoch 2
    trained; a step from there trains exactly epoch 2."""
    events = []
    session = Session(events.append)
    session.begin(small(epochs=50), step=True)
    thread = threading.Thread(target=session.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while session.state != RunState.PAUSED:
            assert time.monotonic() < deadline, "no pause"
            thread.join(0.01)
        assert len(session.trainer.history) == 1
        thread.join(0.3)  # a paused run trains nothing meanwhile
        assert len(session.trainer.history) == 1 and session.trainer.control.paused
        assert all(e.epoch == 1 for e in events if isinstance(e, BatchDone))
        assert session.step() is None
        while not (session.state == RunState.PAUSED and len(session.trainer.history) == 2):
            assert time.monotonic() < deadline, "no second pause"
            thread.join(0.01)
        assert [e.metrics.epoch for e in events if isinstance(e, EpochDone)] == [1, 2]
    finally:
        session.stop()
        thread.join(30)
    assert not thread.is_alive() and session.state == RunState.STOPPED
    assert len(session.trainer.history) == 2


async def test_n_trains_one_epoch_and_pauses():
    app = TuiLstmApp(small(epochs=1000, samples=256))
    async with app.run_test(size=SIZE) as pilot:
        try:
            await pilot.press("n")
            await wait_until(pilot, lambda: "paused" in status(app) and "epoch 1/1000" in status(app))
            await pilot.pause(0.5)
            assert len(app.trainer.history) == 1 and "epoch 1/1000" in status(app)
            await pilot.press("n")
            await wait_until(pilot, lambda: "paused" in status(app) and "epoch 2/1000" in status(app))
            assert len(app.trainer.history) == 2
        finally:
            await pilot.press("x")
            await wait_until(pilot, lambda: not app.live)
        assert "stopped" in status(app)


# --- 4. a screenshot --------------------------------------------------------------------


async def test_a_screenshot_is_saved_as_svg_under_the_runs_folder(tmp_path):
    app = TuiLstmApp(small(), runs_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await pilot.pause()
        [shot] = (tmp_path / "screenshots").iterdir()  # nothing half-written beside it
        assert shot.suffix == ".svg" and shot.name.startswith("tui-lstm-20")
        svg = shot.read_text()
        assert svg.lstrip().startswith("<svg") and svg.rstrip().endswith("</svg>")
        assert "hyperparameters" in svg and "bit&#160;accuracy" in svg
        assert str(shot) in status(app)
        await pilot.press("P")
        await pilot.pause()
        assert len(list((tmp_path / "screenshots").iterdir())) == 2  # the same second: a name of its own


async def test_a_screenshot_is_also_a_download_in_a_browser(tmp_path, monkeypatch):
    delivered = []
    monkeypatch.setattr(TuiLstmApp, "is_web", property(lambda app: True))
    monkeypatch.setattr(TuiLstmApp, "deliver_binary", lambda app, path, **kwargs: delivered.append((path, kwargs)))
    app = TuiLstmApp(small(), runs_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await pilot.pause()
    [shot] = (tmp_path / "screenshots").iterdir()
    [(path, kwargs)] = delivered
    assert Path(path) == shot and kwargs["mime_type"] == "image/svg+xml"


def test_screenshot_names_are_reserved_before_the_file_is_written(tmp_path):
    """Two consoles in the same second: each gets a name of its own even when neither has
    written its file yet (a check for the name, then a rename, would give both one)."""
    from datetime import datetime

    now = datetime(2026, 11, 24, 19, 22, 48)
    names: list[Path] = []
    threads = [
        threading.Thread(target=lambda: names.append(app_module.reserve_screenshot(tmp_path, now))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(names)) == 8 and all(path.parent == tmp_path for path in names)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in names)
    assert "tui-lstm-2026-11-24-192248.svg" in {path.name for path in names}


async def test_a_screenshot_that_cannot_be_written_leaves_no_file(tmp_path, monkeypatch):
    def fail(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(app_module, "write_atomically", fail)
    app = TuiLstmApp(small(), runs_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("P")
        await pilot.pause()
        assert list((tmp_path / "screenshots").iterdir()) == []  # the reserved name given back
        assert "no screenshot: " in "\n".join(str(note.message) for note in app._notifications)


# --- the new keys: off the footer, on the help screen and in the palette ---------------


async def test_the_new_keys_are_on_the_help_screen_and_in_the_palette(tmp_path):
    app = TuiLstmApp(small(), runs_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = screen_text(app).rstrip().splitlines()[-1]
        assert "q quit" in footer and "step" not in footer  # 80 columns hold the old keys still
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = screen_text(app)
        assert "Train one epoch, then pause" in help_text and "Save the screen as SVG" in help_text
        await pilot.press("escape", "ctrl+p", *"screenshot")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: (tmp_path / "screenshots").is_dir())
        assert "screenshot" in status(app)
