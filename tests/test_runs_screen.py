"""The runs screen (c), driven through the pilot: every run and sweep run listed, sorted,
filtered, their curves overlaid, grouped by grid point, noted, deleted, and watched as
new runs land; and its pictures (pytest-textual-snapshot).

The runs are the recorded run saved again with other settings and figures (saved_runs.py):
nothing is trained, and every figure on screen is the same on every machine.
"""

from __future__ import annotations

import json
from dataclasses import astuple
from pathlib import Path

import pytest
from saved_runs import make_sweep, save_recorded
from textual.widgets import Static
from tui_helpers import screen_text, small, wait_until

from tui_lstm import catalog
from tui_lstm.runs import CONFIG
from tui_lstm.tui.app import TuiLstmApp
from tui_lstm.tui.commands import ConsoleCommands
from tui_lstm.tui.screens.confirm import ConfirmScreen
from tui_lstm.tui.screens.note import NoteScreen
from tui_lstm.tui.screens.runs import RunsScreen
from tui_lstm.tui.widgets.chart import LineChart

SIZE = (120, 40)
RUNS = Path("runs")  # relative: the pictures name it
ALL = [
    "alpha",
    "beta",
    "grid/lr-0.05_seed-0",
    "grid/lr-0.05_seed-1",
    "grid/lr-0.05_seed-2",
    "grid/lr-0.1_seed-0",
    "grid/lr-0.1_seed-1",
    "grid/lr-0.1_seed-2",
]


@pytest.fixture(autouse=True)
def runs_folder(tmp_path, monkeypatch) -> Path:
    """runs/ under a fresh working folder: alpha and beta, and a sweep over lr 0.05 and
    0.1 with seeds 0, 1 and 2 (exact over all pairs 0.40 + 0.05 a seed at 0.05, 0.20
    more at 0.1; trained 10 + seed epochs in 10 + seed seconds)."""
    monkeypatch.chdir(tmp_path)
    save_recorded(RUNS / "alpha", exact=0.5, seconds=1.5)
    save_recorded(RUNS / "beta", pace=2.0, exact=0.9, seconds=2.5, epochs=9, lr=0.1)
    sweep = make_sweep(RUNS / "grid", {"lr": (0.05, 0.1)}, (0, 1, 2))
    for run in sweep.plan.runs():
        lr, seed = run.point["lr"], run.seed
        pace, exact = (1 + 8 * lr) * (1 + seed / 4), 0.2 + 4 * lr + seed / 20
        save_recorded(sweep.run_dir(run), pace=pace, exact=exact, seconds=10 + seed, epochs=10 + seed, lr=lr, seed=seed)
    return tmp_path / RUNS


async def settle(pilot) -> None:
    """Let the screen's workers (a scan, histories read) finish and their results land."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def open_runs(pilot, at: str | None = None) -> RunsScreen:
    """Press c, and once the runs are listed, put the cursor on the row named ``at``."""
    await pilot.press("c")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    if at is not None:
        screen.table.move_cursor(row=column(screen, "name").index(at))
        await pilot.pause()
    return screen


def column(screen: RunsScreen, key: str) -> list[str]:
    """What the table shows in a column, top to bottom."""
    table = screen.table
    return [table.get_cell(row.key, key).plain for row in table.ordered_rows]


def legends(screen: RunsScreen) -> list[list[str]]:
    return [[s.label for s in chart.series] for chart in screen.query(LineChart)]


async def test_c_lists_every_run_and_sweep_run_and_esc_goes_back():
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        assert column(screen, "name") == ALL
        assert column(screen, "lr") == ["0.05", "0.1", "0.05", "0.05", "0.05", "0.1", "0.1", "0.1"]
        assert column(screen, "exact")[:3] == ["50.0%", "90.0%", "40.0%"]
        shown = screen_text(app)
        assert "8 of 8 runs under runs" in shown
        header = next(line for line in shown.splitlines() if "name ▲" in line)
        assert header.split() == "│ name ▲ preset lr seed state epochs all pairs 64-bit time note │".split()
        assert "space choose" in shown and "d delete" in shown and "s start" not in shown  # its own keys only
        await pilot.press("escape")
        assert app.screen is app.screen_stack[0]


async def test_compare_is_in_the_help_and_the_command_palette():
    app = TuiLstmApp(small())
    async with app.run_test(size=SIZE) as pilot:
        assert "compare (c)" in [title for title, _, _ in ConsoleCommands(app.screen)._commands()]
        await pilot.press("question_mark")
        assert "Compare the saved runs and sweeps" in screen_text(app)


async def test_rows_sort_by_a_key_and_by_a_click_on_a_header():
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        await pilot.press(*"s" * 6)  # preset, lr, seed, state, epochs, all pairs
        assert "all pairs ▲" in screen_text(app)
        by_exact = ["40.0%", "45.0%", "50.0%", "50.0%", "60.0%", "65.0%", "70.0%", "90.0%"]
        assert column(screen, "exact") == by_exact
        assert column(screen, "name")[2:4] == ["alpha", "grid/lr-0.05_seed-2"]  # a tie, by name
        await pilot.press("r")
        assert column(screen, "exact") == by_exact[::-1] and "all pairs ▼" in screen_text(app)

        table = screen.table
        x = 1 + sum(c.get_render_width(table) for c in table.ordered_columns[: table.get_column_index("time")])
        await pilot.click("#runs", offset=(x + 1, 1))
        assert column(screen, "time") == ["1.5s", "2.5s", "10.0s", "10.0s", "11.0s", "11.0s", "12.0s", "12.0s"]
        await pilot.click("#runs", offset=(x + 1, 1))
        assert column(screen, "time")[0] == "12.0s" and "time ▼" in screen_text(app)


async def test_typing_a_filter_narrows_the_rows():
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        await pilot.press("slash", *"grid 0.1")
        assert column(screen, "name") == ["grid/lr-0.1_seed-0", "grid/lr-0.1_seed-1", "grid/lr-0.1_seed-2"]
        assert "3 of 8 runs under runs" in screen_text(app)
        await pilot.press("escape")  # out of the filter, which stays
        assert screen.focused is screen.table and screen.table.row_count == 3
        await pilot.press("slash", "ctrl+u", *"nothing like it", "enter")
        assert screen.table.row_count == 0 and screen.focused is screen.table
        await pilot.press("escape")
        assert app.screen is app.screen_stack[0]


async def test_two_chosen_runs_are_drawn_over_each_other_with_a_legend():
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        assert screen.histories == {}  # none read to open
        await pilot.press("space", "down", "enter")
        await settle(pilot)
        assert legends(screen) == [["alpha", "beta"]] * 2
        loss, exact = screen.query(LineChart)
        assert [len(s.values) for s in loss.series] == [12, 9] and loss.x_max == 12
        assert loss.series[0].style != loss.series[1].style
        assert {path.name for path in screen.histories} == {"alpha", "beta"}
        shown = screen_text(app)
        assert shown.count("━ alpha  ━ beta") == 2 and column(screen, "mark")[:3] == ["●", "●", ""]
        await pilot.press("enter")  # beta again: no longer drawn
        assert legends(screen) == [["alpha"]] * 2 and column(screen, "mark")[1] == ""


async def test_the_baseline_is_drawn_whatever_else_is_chosen():
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot, at="beta")
        await pilot.press("b", "up", "space")
        await settle(pilot)
        assert legends(screen)[0] == ["alpha", "beta (baseline)"]
        assert screen.query(LineChart).first().series[1].style == "chart--baseline"
        assert column(screen, "mark")[:2] == ["●", "◆"]
        await pilot.press("space")  # alpha no longer chosen: the baseline stays
        assert legends(screen)[0] == ["beta (baseline)"] and "━ beta (baseline)" in screen_text(app)
        await pilot.press("down", "b")
        assert legends(screen)[0] == [] and column(screen, "mark")[1] == ""


async def test_grouped_a_sweep_is_one_row_a_grid_point_drawn_as_its_mean_and_band():
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        await pilot.press("g")
        assert column(screen, "name") == ["alpha", "beta", "grid/lr=0.05", "grid/lr=0.1"]
        assert column(screen, "runs") == ["1", "1", "3", "3"]
        assert column(screen, "exact") == ["50.0%", "90.0%", "45.0% ± 5.0%", "65.0% ± 5.0%"]
        assert "4 of 4 grid points and runs" in screen_text(app)
        screen.table.move_cursor(row=2)  # grid/lr=0.05
        await pilot.press("space")
        await settle(pilot)
        [series] = screen.query_one("#compare-loss", LineChart).series
        runs = [e for e in screen.entries if e.point == {"lr": 0.05}]
        histories = [catalog.load_curves(run) for run in runs]
        spread = catalog.spread(histories, "loss")
        assert (series.label, series.values, series.low, series.high) == ("grid/lr=0.05", *astuple(spread))
        assert len(series.values) == 12 and series.low[0] < series.values[0] < series.high[0]
        await pilot.press("g")  # back to a row a run: the group is not one of them
        assert column(screen, "name") == ALL and legends(screen)[0] == []


async def test_a_note_is_saved_and_shown_and_a_bad_one_is_refused(runs_folder):
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot, at="beta")
        await pilot.press("n")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"the quick one", "tab", *"keep, lr", "enter")
        await settle(pilot)
        assert app.screen is screen
        note = json.loads((runs_folder / "beta" / catalog.NOTE).read_text())
        assert note == {"note": "the quick one", "tags": ["keep", "lr"]}
        assert column(screen, "note")[1] == "the quick one #keep #lr"
        await pilot.press("n", "tab", *", " + "x" * 41, "enter")
        answer = str(app.screen.query_one("#answer", Static).content)
        assert answer == "a tag is one line of at most 40 characters, tags separated by commas; the note is as it was"
        await pilot.press("escape")
        assert json.loads((runs_folder / "beta" / catalog.NOTE).read_text()) == note
        await pilot.press("slash", *"keep")
        assert column(screen, "name") == ["beta"]


async def test_delete_asks_then_moves_the_run_into_the_trash(runs_folder):
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot, at="grid/lr-0.05_seed-1")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Move grid/lr-0.05_seed-1 to runs/.trash?" in screen_text(app)
        await pilot.press("n")
        assert app.screen is screen and (runs_folder / "grid" / "lr-0.05_seed-1").exists()
        await pilot.press("d", "y")
        await settle(pilot)
        [trashed] = (runs_folder / ".trash").iterdir()
        assert trashed.name.startswith("grid--lr-0.05_seed-1-") and (trashed / "history.csv").exists()
        assert not (runs_folder / "grid" / "lr-0.05_seed-1").exists()
        assert "grid/lr-0.05_seed-1" not in column(screen, "name") and screen.table.row_count == 7
        await pilot.press("g")
        assert column(screen, "runs")[2] == "2"


async def test_runs_landing_while_it_is_open_show_up():
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        save_recorded(RUNS / "gamma", exact=0.25)
        save_recorded(RUNS / "grid" / "lr-0.2_seed-0", lr=0.2)  # into the sweep's folder

        def landed():
            """both runs listed"""
            return screen.table.row_count == 10

        await wait_until(pilot, landed, timeout=10)
        assert {"gamma", "grid/lr-0.2_seed-0"} <= set(column(screen, "name"))


async def test_a_folder_that_changed_nothing_listed_leaves_the_table_alone(runs_folder, monkeypatch):
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        rebuilt = []
        monkeypatch.setattr(screen.table, "clear", lambda **kwargs: rebuilt.append(kwargs))
        (runs_folder / ".tui-lstm-partial-1-x").mkdir()  # the folder's time changes; what it lists does not
        fingerprint = screen._fingerprint
        screen._watch()
        await settle(pilot)
        assert screen._fingerprint != fingerprint and rebuilt == []


async def test_a_damaged_run_is_listed_and_says_why_when_chosen(runs_folder):
    (runs_folder / "alpha" / CONFIG).write_text("{")
    app = TuiLstmApp(small(), runs_dir=RUNS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        assert column(screen, "state")[0] == "damaged"
        await pilot.press("space")
        assert "runs/alpha/config.json: not valid JSON" in "\n".join(str(n.message) for n in app._notifications)
        assert screen.chosen == {} and legends(screen)[0] == []


async def test_an_empty_or_missing_runs_folder_lists_nothing():
    app = TuiLstmApp(small(), runs_dir=Path("elsewhere"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_runs(pilot)
        await pilot.press("space", "b", "n", "d", "g", "s", "r")
        assert screen.table.row_count == 0 and app.screen is screen
        assert "0 of 0 grid points and runs under elsewhere" in screen_text(app)


# --- pictures -------------------------------------------------------------------------


async def _compare_three(pilot) -> None:
    """alpha and beta chosen, the sweep's seed 2 at lr 0.1 pinned as the baseline."""
    screen = await open_runs(pilot)
    await pilot.press("space", "down", "space", "ctrl+end", "b")  # the last row: grid/lr-0.1_seed-2
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()
    assert len(legends(screen)[0]) == 3


async def _group_the_sweep(pilot) -> None:
    """Grouped: both grid points chosen."""
    await open_runs(pilot)
    await pilot.press("g", "down", "down", "space", "down", "space")
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_snapshot_of_runs_compared(snap_compare):
    """Eight runs (two, and a sweep of six over lr) in a table whose columns are name,
    preset, lr (the one setting that differs), seed, state, epochs, exact over all pairs,
    64-bit, time and note; alpha and beta marked ● in their colours and the sweep's last
    run ◆, the baseline; under it the loss and test exact accuracy of the three, with a
    legend that names them, the baseline's last and in bold."""
    assert snap_compare(TuiLstmApp(small(), runs_dir=RUNS), terminal_size=SIZE, run_before=_compare_three)


def test_snapshot_of_a_sweep_grouped(snap_compare):
    """At 80x24, grouped: alpha, beta, and the sweep's two grid points with 3 runs each and
    their mean ± standard deviation over all pairs; the two points' mean curves, each in a
    dim band between its least and most run."""
    assert snap_compare(TuiLstmApp(small(), runs_dir=RUNS), terminal_size=(80, 24), run_before=_group_the_sweep)
