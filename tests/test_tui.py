"""The console driven through Textual's pilot, as a person would: keys in, screen out."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
import time
from importlib.util import find_spec

import pytest
from rich.text import Text
from textual.widgets import Input, Label, Select, Sparkline, Static
from tui_helpers import (
    notices,
    quick_final_tests,
    screen_text,
    small,
    start_and_wait_for_an_epoch,
    train_to_end,
    training_threads,
    wait_until,
)

from tui_lstm import training
from tui_lstm.backends import make_backend
from tui_lstm.backends.numpy_backend import NumpyBackend
from tui_lstm.config import preset
from tui_lstm.inspection import title
from tui_lstm.nn.cells import CELLS
from tui_lstm.runs import save_run
from tui_lstm.session import RunState, Session
from tui_lstm.task import bits_to_int, random_pairs
from tui_lstm.tui.app import TuiLstmApp
from tui_lstm.tui.commands import ConsoleCommands
from tui_lstm.tui.screens.inspect import InspectScreen
from tui_lstm.tui.sums import parse_sum, try_sum
from tui_lstm.tui.widgets.chart import LineChart
from tui_lstm.tui.widgets.hyperparams import Hyperparams
from tui_lstm.tui.widgets.results import ResultsTable

SIZE = (120, 40)
LONG = small(epochs=10_000, samples=2000)  # a run that is still going when the test acts


@pytest.fixture(autouse=True)
def _quick(monkeypatch):
    quick_final_tests(monkeypatch)


def status(app) -> str:
    return app.board.status.render().plain


def cell_text(table: ResultsTable, row: int, column: str) -> str:
    return str(table.get_cell(str(row), column))


async def test_training_fills_the_curves_and_the_rows():
    app = TuiLstmApp(small(epochs=3))
    async with app.run_test(size=SIZE) as pilot:
        assert status(app).startswith(" ready  epoch 0/3")
        await train_to_end(app, pilot)
        assert "finished" in status(app) and "epoch 3/3" in status(app)
        assert "all pairs" in status(app)
        for measure in ("loss", "val_loss", "exact_accuracy", "val_exact_accuracy", "accuracy", "val_accuracy"):
            assert len(app.query_one(f"#spark-{measure}", Sparkline).data) == 3
            assert str(app.query_one(f"#value-{measure}", Label).content) != ""
        chart = app.query_one("#loss-chart", LineChart)
        assert [len(s.values) for s in chart.series] == [3, 3]
        assert "⠀" not in chart.render().plain and any("⠁" <= c <= "⣿" for c in chart.render().plain)
        table = app.query_one(ResultsTable)
        assert table.row_count == 20
        first = cell_text(table, 0, "row")
        a, b = int(app.trainer.test.pairs.a[0]), int(app.trainer.test.pairs.b[0])
        assert first.startswith(f"num0 : {a} + {b} = {a + b}, lstm({a},{b}) = ")
        assert cell_text(table, 0, "mark") in ("✓", "✗")
        assert table.border_title == f"test pairs: {table.right_count}/20 right"
        assert "16 bits" in app.query_one("#sparklines").border_subtitle


async def test_at_80_columns_the_rows_stay_whole_and_bits_go_under_the_table():
    app = TuiLstmApp(small(epochs=1, bits=7))
    async with app.run_test(size=(80, 24)) as pilot:
        await train_to_end(app, pilot)
        table = app.query_one(ResultsTable)
        assert [str(c.label) for c in table.columns.values()] == ["", "test pair"]
        assert table.virtual_size.width <= table.scrollable_content_region.width
        for row in (0, 1):
            bits = "".join(str(int(b)) for b in table.predictions[row][::-1])
            assert Text.from_markup(table.border_subtitle).plain == f"num{row} bits {bits}"
            await pilot.press("down")


async def test_pause_and_resume():
    app = TuiLstmApp(LONG)
    async with app.run_test(size=SIZE) as pilot:
        await start_and_wait_for_an_epoch(pilot)
        await pilot.press("p")
        assert app.trainer.control.paused and "paused" in status(app)
        await pilot.pause(0.3)  # an epoch being measured may still land
        epochs = len(app.trainer.history)
        await pilot.pause(0.5)
        assert len(app.trainer.history) == epochs
        await pilot.press("s")
        assert not app.trainer.control.paused and "training" in status(app)
        await wait_until(pilot, lambda: len(app.trainer.history) > epochs)
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.live)


async def test_the_status_line_says_at_which_epoch_all_pairs_were_last_scored():
    app = TuiLstmApp(LONG.replace(eval_every=2))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: len(app.trainer.history) >= 3)
        await pilot.press("x")  # a stop, not a pause: a failed assertion must not leave a run going
        await wait_until(pilot, lambda: not app.live)
        last = len(app.trainer.history)
        await wait_until(pilot, lambda: len(app.board.history) == last)
        if last % 2:  # the figure is of the epoch before the last whole one
            assert f"all pairs {app.trainer.history[last - 2].eval_exact_accuracy:.2%} (epoch {last - 1})" in status(
                app
            )
        else:
            assert "all pairs" in status(app) and "(epoch" not in status(app)


async def test_stop_ends_the_run_and_unlocks_the_fields():
    app = TuiLstmApp(LONG)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(Hyperparams)
        await start_and_wait_for_an_epoch(pilot)
        assert panel.control("hidden").disabled and panel.control("cell").disabled
        assert not panel.control("lr").disabled
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.live)
        assert " stopped " in status(app)
        assert len(app.trainer.history) < LONG.epochs
        assert not panel.control("hidden").disabled


async def test_stopped_run_continues_from_where_it_was():
    app = TuiLstmApp(LONG)
    async with app.run_test(size=SIZE) as pilot:
        await start_and_wait_for_an_epoch(pilot)
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.live)
        trainer, epochs = app.trainer, len(app.trainer.history)
        await pilot.press("s")
        await wait_until(pilot, lambda: len(trainer.history) > epochs)
        assert app.trainer is trainer
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.live)


async def test_learning_rate_changes_mid_run():
    app = TuiLstmApp(LONG)
    async with app.run_test(size=SIZE) as pilot:
        await start_and_wait_for_an_epoch(pilot)
        app.query_one("#field-lr", Input).value = "0.002"  # as typed (typing under pilot is slow)
        await pilot.pause()
        assert app.trainer.control.lr == 0.002
        await wait_until(pilot, lambda: app.trainer.history[-1].lr == 0.002)
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.live)


async def test_an_invalid_field_says_why_and_blocks_start():
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#field-hidden", Input).value = "0"
        await pilot.pause()
        problem = app.query_one("#problem-hidden", Label)
        assert str(problem.content) == "hidden must be between 1 and 4,096, not 0"
        await pilot.press("s")
        await pilot.pause()
        assert app.trainer is None and not app.live
        assert "cannot start: hidden must be between 1 and 4,096, not 0" in notices(app)

        app.query_one("#field-hidden", Input).value = "8"
        app.query_one("#field-layout", Select).value = "onehot"
        await pilot.pause()
        assert not app.query("#problem-hidden")
        assert (
            str(app.query_one("#problem-loss", Label).content) == "the onehot layout needs loss ce (softmax over sums)"
        )
        app.query_one("#field-loss", Select).value = "ce"
        await pilot.pause()
        assert app.query_one(Hyperparams).config.layout == "onehot"


async def test_choosing_a_preset_fills_the_fields():
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        app.query_one("#field-preset", Select).value = "iamtrask-rnn"
        await pilot.pause()
        values = {name: app.query_one(f"#field-{name}").value for name in ("cell", "hidden", "lr", "optimizer", "loss")}
        assert values == {"cell": "rnn", "hidden": "16", "lr": "0.1", "optimizer": "sgd", "loss": "sse"}
        assert app.query_one(Hyperparams).config.resample  # the unshown settings came too


async def test_presets_and_keys_are_in_the_command_palette():
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"preset gru")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one("#field-cell", Select).value == "gru"
        titles = [title for title, _, _ in ConsoleCommands(app.screen)._commands()]
        for key in (
            "start (s)",
            "pause (p)",
            "stop (x)",
            "reset (r)",
            "try (t)",
            "save (^s)",
            "open (o)",
            "help (?)",
            "quit (q)",
        ):
            assert key in titles


@pytest.mark.parametrize("kind", CELLS)
async def test_every_cell_is_a_choice_trains_and_is_inspected(kind):
    """The cell field lists every registered cell; one picked by typing its name trains,
    names itself in the rows, and its own gates and states are shown by i."""
    app = TuiLstmApp(small(epochs=2))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#field-cell")
        await pilot.press(*kind, "enter")  # the list jumps to what is typed
        await pilot.pause()
        assert app.query_one(Hyperparams).config.cell == kind
        assert re.search(rf"│cell +{kind} +▼", screen_text(app))
        await train_to_end(app, pilot)
        assert "finished" in status(app) and "epoch 2/2" in status(app)
        a, b = int(app.trainer.test.pairs.a[0]), int(app.trainer.test.pairs.b[0])
        assert cell_text(app.query_one(ResultsTable), 0, "row").startswith(
            f"num0 : {a} + {b} = {a + b}, {kind}({a},{b})"
        )
        await pilot.press("i")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, InspectScreen)
        shown = screen_text(app)
        assert f"93 + 116 = 209, {kind}(93,116) = " in shown and "all 256 4-bit pairs" in shown
        first = next(iter({**CELLS[kind].gates, **CELLS[kind].states}))  # the RNN has no gates
        assert re.search(rf"^{title(kind, first)} *$", shown, re.MULTILINE)  # the first heatmap's title


async def test_try_a_sum():
    app = TuiLstmApp(small(epochs=2))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert "no model yet" in notices(app)
        await train_to_end(app, pilot)
        await pilot.press("t")
        await pilot.press(*"3+4", "enter")
        answer = str(app.screen.query_one("#answer", Static).content)
        assert answer.startswith("3 + 4 = 7, lstm(3,4) = ")
        assert "P(bit = 1), most significant first:" in answer and "  4:" in answer
        app.screen.query_one(Input).value = "3+x"
        await pilot.press("enter")
        assert str(app.screen.query_one("#answer", Static).content) == "type a sum like 93+116, not '3+x'"
        await pilot.press("escape")
        assert app.screen is app.screen_stack[0]


async def test_save_and_open_a_run(tmp_path):
    runs = tmp_path / "runs"
    app = TuiLstmApp(small(epochs=2), runs_dir=runs)
    async with app.run_test(size=SIZE) as pilot:
        await train_to_end(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+s")  # never over the first
        saved = runs / "custom-seed0"  # small() names no preset
        assert (saved / "config.json").exists() and (runs / "custom-seed0-2" / "config.json").exists()
        assert f"saved to {saved}" in notices(app)
        rows = [cell_text(app.query_one(ResultsTable), i, "row") for i in range(20)]

    app = TuiLstmApp(small(epochs=9, hidden=4))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")
        await pilot.press(*str(tmp_path / "nothing"), "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (
            str(app.screen.query_one("#answer", Static).content)
            == f"{tmp_path / 'nothing'}: not a run folder (no config.json)"
        )
        assert app.trainer is None and app.query_one("#field-hidden", Input).value == "4"
        app.screen.query_one(Input).value = str(saved)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        assert len(app.trainer.history) == 2
        assert app.query_one("#field-hidden", Input).value == "8"
        assert app.query_one("#field-epochs", Input).value == "2"
        assert len(app.query_one("#spark-loss", Sparkline).data) == 2
        assert [cell_text(app.query_one(ResultsTable), i, "row") for i in range(20)] == rows
        assert "epoch 2/2" in status(app) and f"opened {saved}" in status(app)


async def test_quitting_mid_training_ends_the_thread_within_a_second():
    app = TuiLstmApp(LONG)
    async with app.run_test(size=SIZE) as pilot:
        await start_and_wait_for_an_epoch(pilot)
        assert training_threads()
        started = time.monotonic()
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, timeout=5)
    while training_threads() and time.monotonic() - started < 5:
        await asyncio.sleep(0.01)
    assert time.monotonic() - started < 1.0
    assert not training_threads()
    assert app.session.state == RunState.STOPPED and not app.trainer.summary.generalization


async def test_an_error_in_training_is_shown_and_the_app_keeps_running(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(NumpyBackend, "fit_epoch", broken)
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.board.worker is not None and app.board.worker.is_finished)
        await pilot.pause()
        assert status(app).startswith(" error ") and "boom" in status(app)
        assert "boom" in notices(app)
        assert app.is_running and not app.query_one("#field-hidden").disabled


async def test_reset_mid_run_throws_the_model_away():
    app = TuiLstmApp(LONG)
    async with app.run_test(size=SIZE) as pilot:
        await start_and_wait_for_an_epoch(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert not app.live and not training_threads()
        assert app.trainer is None and app.query_one(ResultsTable).row_count == 0
        assert status(app).startswith(f" ready  epoch 0/{LONG.epochs}")
        assert app.query_one("#spark-loss", Sparkline).data == []


@pytest.mark.skipif(find_spec("tensorflow") is None, reason="tensorflow is not installed")
async def test_the_keras_backend_trains_in_the_console():
    app = TuiLstmApp(small(backend="keras", epochs=10_000))
    async with app.run_test(size=SIZE) as pilot:
        await start_and_wait_for_an_epoch(pilot, timeout=120)
        await pilot.press("p", "t")  # keras' own thread is held paused: reading the model must not wait on it
        assert "keras model predicts and saves between runs only" in notices(app)
        assert app.screen is app.screen_stack[0]
        await pilot.press("x")
        await wait_until(pilot, lambda: not app.live)
        assert status(app).startswith(" stopped  epoch ")
        assert len(app.query_one("#spark-loss", Sparkline).data) == len(app.trainer.history)
        assert cell_text(app.query_one(ResultsTable), 0, "mark") in ("✓", "✗")
        await pilot.press("t", *"3+4", "enter")
        assert str(app.screen.query_one("#answer", Static).content).startswith("3 + 4 = 7, lstm(3,4) = ")


@pytest.mark.parametrize("name", ["fast", "report", "report-numpy"])
def test_a_tried_sum_reads_every_layout_bit_by_bit(name):
    config = preset(name)
    tried = try_sum(make_backend(config), config, " 33 + 20 ")
    assert (tried.a, tried.b) == (33, 20)
    assert tried.probabilities.shape == (config.bits + 1,)
    assert ((tried.probabilities >= 0) & (tried.probabilities <= 1)).all()
    assert bits_to_int(tried.true_bits) == 53


@pytest.mark.parametrize(
    ("layout", "text", "reason"),
    [
        ("bits", "3+x", "type a sum like 93+116, not '3+x'"),
        ("numbers", "300+1", "300 does not fit in 7 bits"),
        ("bits", f"{'9' * 4300}+1", "an operand of 4,300 digits; at most 4,299 are taken"),
    ],
)
def test_a_sum_the_model_cannot_take_gets_one_line(layout, text, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_sum(text, preset("fast", layout=layout))


def test_a_bits_model_takes_longer_sums():
    assert parse_sum("1099511627776+1", preset("fast")).width == 41
    wide = parse_sum(f"{2**300 - 1}+{2**299}", preset("fast"))  # beyond 64 bits: Python ints
    assert wide.width == 300 and wide.operands(0) == (2**300 - 1, 2**299)


async def test_the_train_and_test_curves_are_told_apart_by_colour():
    """In the default theme $accent and $warning are the same orange: the two curves and
    their legend must not use both."""
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE):
        chart = app.query_one("#loss-chart", LineChart)
        train, test = (chart.get_component_rich_style(f"chart--{name}").color for name in ("train", "test"))
        assert train != test


async def test_opening_a_run_builds_no_training_set(tmp_path):
    """A run set to train on ten million 64-bit pairs (gigabytes) opens at once: its
    training set is drawn only when training starts, in the training thread."""
    import json

    save_run(tmp_path / "big", Session().train(small(epochs=1, bits=64)))
    config = json.loads((tmp_path / "big" / "config.json").read_text())
    (tmp_path / "big" / "config.json").write_text(json.dumps({**config, "samples": 10_000_000}))
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o", *str(tmp_path / "big"), "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.trainer.config.samples == 10_000_000 and app.trainer.train is None
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"  # the console still answers


async def test_a_run_too_big_for_memory_is_refused_at_start(monkeypatch):
    monkeypatch.setattr("tui_lstm.resources.available", lambda: 10**9)
    app = TuiLstmApp(small(bits=64, samples=10_000_000))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.pause()
        assert "cannot start: --samples 10,000,000 at 64 bits needs about" in notices(app)
        assert app.trainer is None and not app.live


async def test_an_opened_run_draws_nothing_on_the_ui_thread(tmp_path, monkeypatch):
    """Neither its test pairs (a million at most, gigabytes at 64 bits) nor, continued,
    its training pairs: the open's worker and the training thread draw them."""
    record = Session().train(small(epochs=1))
    folder = save_run(tmp_path / "run", dataclasses.replace(record, config=record.config.replace(epochs=3)))
    drawn = []

    def spied(rng, n, width):
        drawn.append(threading.get_ident())
        return random_pairs(rng, n, width)

    monkeypatch.setattr(training, "random_pairs", spied)
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o", *str(folder), "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert drawn and f"opened {folder}" in status(app)  # its test rows, off the UI thread
        await pilot.press("s")
        await wait_until(pilot, lambda: len(app.trainer.history) == 3 and not app.live)
        assert "continuing after epoch 1" in notices(app)
    assert threading.main_thread().ident not in drawn


async def test_a_run_whose_training_state_does_not_fit_is_refused_in_one_line(tmp_path):
    import dataclasses

    from tui_lstm.record import pack
    from tui_lstm.runs import save_run
    from tui_lstm.session import Session

    record = Session().train(small(epochs=1))
    save_run(tmp_path / "bad", dataclasses.replace(record, training_state=pack({"train_rng": b"x"})))
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o", *str(tmp_path / "bad"), "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "training state does not fit" in notices(app)
        assert app.is_running and app.trainer is None
