"""The index of a runs folder (issue 11): every run and sweep run listed from its config and
summary alone, the fields that tell them apart, a sweep's runs by grid point, notes,
deletion into the trash, and ``tui-lstm runs``."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from dataclasses import replace
from pathlib import Path

import pytest
from saved_runs import recorded, save_recorded

from tui_lstm import catalog, runs
from tui_lstm.catalog import RunEntry
from tui_lstm.cli import main
from tui_lstm.config import preset
from tui_lstm.session import Session
from tui_lstm.sweep.folder import ResultRow, SweepFolder
from tui_lstm.sweep.plan import SweepPlan

TINY = dict(epochs=2, samples=64, hidden=4, test_samples=10)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A runs folder of really trained tiny runs: two plain ones (seeds 0 and 1) and a
    sweep over hidden 4 and 6, two seeds each, written as ``tui-lstm sweep`` writes one.
    Its results.csv says seed 1 at hidden 6 was first exact in epoch 2."""
    base = tmp_path_factory.mktemp("trained") / "runs"
    records = {}
    for seed in (0, 1):
        records[f"fast-seed{seed}"] = Session().train(preset("fast", **TINY, seed=seed))
        runs.save_run(base / f"fast-seed{seed}", records[f"fast-seed{seed}"])
    plan = SweepPlan("fast", {k: v for k, v in TINY.items() if k != "hidden"}, {"hidden": (4, 6)}, (0, 1))
    sweep = SweepFolder.create(base / "widths", plan)
    sweep.unlock()
    for run in plan.runs():
        record = records[f"widths/{run.name}"] = Session().train(run.config)
        sweep.save(run, record)
        first = 2 if run.point == {"hidden": 6} and run.seed == 1 else None
        sweep.append(ResultRow.of(run, record, first_exact_epoch=first), run.point)
    return base, records


@pytest.fixture
def folder(trained, tmp_path):
    """A copy of the trained runs folder, to change."""
    return Path(shutil.copytree(trained[0], tmp_path / "runs"))


def test_scan_lists_every_run_and_sweep_run_with_its_figures(trained):
    base, records = trained
    entries = catalog.scan(base)
    assert [e.name for e in entries] == [
        "fast-seed0",
        "fast-seed1",
        "widths/hidden-4_seed-0",
        "widths/hidden-4_seed-1",
        "widths/hidden-6_seed-0",
        "widths/hidden-6_seed-1",
    ]
    for entry in entries:
        record = records[entry.name]
        assert entry.config == record.config and entry.state == record.state
        assert entry.path == base / entry.name and entry.problem == ""
        summary = record.summary
        assert (entry.epochs_run, entry.train_seconds) == (summary.epochs_run, summary.train_seconds)
        assert entry.eval_exact_accuracy == summary.eval_exact_accuracy
        assert entry.generalization_64 == summary.generalization[64]
    plain, sweep_run = entries[0], entries[5]
    assert (plain.sweep, plain.point, plain.first_exact_epoch) == (None, {}, None)
    assert (sweep_run.sweep, sweep_run.point, sweep_run.first_exact_epoch) == ("widths", {"hidden": 6}, 2)
    assert entries[4].first_exact_epoch is None


def test_hidden_folders_and_unfinished_saves_are_no_runs(folder):
    shutil.copytree(folder / "fast-seed0", folder / ".trash" / "fast-seed0-20260101T000000Z")
    shutil.copytree(folder / "fast-seed0", folder / f"{runs.PARTIAL}1-x-run")
    shutil.copytree(folder / "fast-seed0", folder / "widths" / ".hidden")
    (folder / "reserved").mkdir()  # a run still training: its folder, empty
    unfinished = Path(shutil.copytree(folder / "fast-seed1", folder / "widths" / "cut-short"))
    (unfinished / runs.SUMMARY).unlink()
    assert len(catalog.scan(folder)) == 6


def test_scan_reads_neither_history_nor_model(folder):
    for name in (runs.HISTORY, "model.npz", runs.RESULTS):
        (folder / "fast-seed0" / name).unlink()
    entry = catalog.scan(folder)[0]
    assert entry.name == "fast-seed0" and entry.state == "finished" and entry.problem == ""


def test_a_damaged_folder_is_listed_with_its_reason_and_the_rest_still_are(folder):
    (folder / "fast-seed0" / runs.CONFIG).write_text('{"bits": "many"')
    (folder / "widths" / catalog.SWEEP).write_text("[]")
    entries = {entry.name: entry for entry in catalog.scan(folder)}
    assert len(entries) == 6
    damaged = entries["fast-seed0"]
    assert damaged.state == catalog.DAMAGED and damaged.config is None and damaged.epochs_run is None
    assert damaged.problem.startswith(f"{folder / 'fast-seed0' / runs.CONFIG}: not valid JSON")
    assert "\n" not in damaged.problem
    sweep_run = entries["widths/hidden-4_seed-0"]  # listed, with what is wrong with its sweep
    assert sweep_run.state == "finished" and sweep_run.point == {}
    assert sweep_run.problem == f"{folder / 'widths' / catalog.SWEEP}: not a JSON object"


def test_the_fields_that_differ(trained):
    entries = catalog.scan(trained[0])
    assert catalog.differing_fields(entries[:2]) == []  # seeds differ: a column of their own
    assert catalog.differing_fields(entries) == ["hidden"]
    other = RunEntry(Path("x"), "x", None, entries[0].config.replace(preset="gru", lr=0.5, cell="gru"), "finished")
    assert catalog.differing_fields([*entries, other]) == ["cell", "hidden", "lr"]  # the config's order
    damaged = RunEntry(Path("y"), "y", None, None, catalog.DAMAGED)
    assert catalog.differing_fields([entries[0], damaged]) == []


def test_a_sweeps_runs_group_by_grid_point(trained):
    entries = catalog.scan(trained[0])
    groups = catalog.group_by_point(entries)
    assert list(groups) == [("widths", (("hidden", 4),)), ("widths", (("hidden", 6),))]
    assert [e.name for e in groups["widths", (("hidden", 6),)]] == ["widths/hidden-6_seed-0", "widths/hidden-6_seed-1"]
    rows = catalog.table_rows(entries, grouped=True)
    assert [(row.name, len(row.runs)) for row in rows] == [
        ("fast-seed0", 1),
        ("fast-seed1", 1),
        ("widths/hidden=4", 2),
        ("widths/hidden=6", 2),
    ]
    exact = next(c for c in catalog.table_columns(["hidden"], grouped=True) if c.title == "all pairs")
    values = [e.eval_exact_accuracy for e in groups["widths", (("hidden", 4),)]]
    assert exact.value(rows[2]) == pytest.approx(statistics.fmean(values))
    assert exact.text(rows[2]) == f"{statistics.fmean(values):.1%} ± {statistics.stdev(values):.1%}"
    assert exact.text(rows[0]) == f"{entries[0].eval_exact_accuracy:.1%}"


def test_mean_least_and_most_per_epoch_over_runs_of_different_lengths():
    def history(*losses):
        return [replace(recorded().history[0], epoch=i + 1, loss=loss) for i, loss in enumerate(losses)]

    spread = catalog.spread([history(1.0, 2.0, 3.0), history(3.0, 4.0), history(2.0)], "loss")
    assert spread.mean == (2.0, 3.0, 3.0)  # epoch 3: the one run that trained it
    assert spread.low == (1.0, 2.0, 3.0) and spread.high == (3.0, 4.0, 3.0)
    assert catalog.spread([history(), history()], "loss") == catalog.Spread((), (), ())


def test_rows_sort_by_any_column_with_the_unknown_last(trained):
    entries = catalog.scan(trained[0])
    damaged = RunEntry(Path("a"), "a", None, None, catalog.DAMAGED)
    rows = catalog.table_rows([*entries, damaged])
    by_exact = next(c for c in catalog.table_columns([]) if c.key == "exact")
    figures = sorted(e.eval_exact_accuracy for e in entries)
    assert [by_exact.value(row) for row in catalog.sort_rows(rows, by_exact)] == [*figures, None]
    assert [by_exact.value(row) for row in catalog.sort_rows(rows, by_exact, reverse=True)] == [*figures[::-1], None]


def test_a_filter_matches_every_word_in_names_settings_states_notes_and_tags(trained):
    entries = catalog.scan(trained[0])
    rows = catalog.table_rows([entries[0], entries[5]])
    [noted] = catalog.table_rows(
        [RunEntry(Path("n"), "n", None, entries[0].config, "stopped", note="An odd one", tags=("keep",))]
    )
    assert [row.name for row in rows if row.matches("WIDTHS")] == ["widths/hidden-6_seed-1"]
    assert [row.name for row in rows if row.matches("fast finished")] == ["fast-seed0", "widths/hidden-6_seed-1"]
    assert [noted.matches(words) for words in ("ODD", "keep stopped", "keep finished", "")] == [True, True, False, True]
    assert noted.matches("lstm adam") and not noted.matches("gru")


def test_a_note_round_trip_is_written_whole(folder):
    run = folder / "widths" / "hidden-4_seed-1"
    catalog.set_note(run, "the odd one", catalog.parse_tags(" keep, odd,, keep ,"))
    assert json.loads((run / catalog.NOTE).read_text()) == {"note": "the odd one", "tags": ["keep", "odd"]}
    assert not [name for name in os.listdir(run) if name.startswith(".")]  # no temporary file left
    entry = next(e for e in catalog.scan(folder) if e.path == run)
    assert (entry.note, entry.tags) == ("the odd one", ("keep", "odd"))
    assert runs.load_run(run).config == entry.config  # a run folder with a note still opens


def test_a_note_stays_with_its_run_when_the_run_is_saved_again(folder):
    """A checkpoint, a --from continuation or a resumed sweep saves over the folder: the
    user's note is not the run's to lose."""
    run = folder / "widths" / "hidden-4_seed-1"
    catalog.set_note(run, "keep me", ("kept",))
    record = runs.load_run(run).record
    runs.replace_run(run, replace(record, state="finished"))
    assert catalog.read_note(run) == ("keep me", ("kept",))


@pytest.mark.parametrize(
    ("note", "tags", "reason"),
    [
        ("two\nlines", (), "a note is one line of at most 500 characters"),
        ("x" * 501, (), "a note is one line of at most 500 characters"),
        ("", ("y" * 41,), "a tag is one line of at most 40 characters, tags separated by commas"),
        ("", tuple(map(str, range(21))), "at most 20 tags"),
    ],
)
def test_a_bad_note_is_refused_in_one_line_and_the_old_one_kept(folder, note, tags, reason):
    run = folder / "fast-seed0"
    catalog.set_note(run, "kept", ["a"])
    with pytest.raises(runs.RunError) as refused:
        catalog.set_note(run, note, tags)
    assert str(refused.value) == f"{reason}; the note is as it was"
    assert catalog.read_note(run) == ("kept", ("a",))


def test_a_damaged_note_leaves_its_run_listed(folder):
    (folder / "fast-seed1" / catalog.NOTE).write_text('{"note": 3}')
    entry = catalog.scan(folder)[1]
    assert entry.state == "finished" and entry.note == ""
    assert entry.problem == f"{folder / 'fast-seed1' / catalog.NOTE}: not a one-line note and a list of short tags"


def files_of(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_trash_moves_the_run_and_deletes_nothing(folder, monkeypatch):
    monkeypatch.setattr(time, "gmtime", lambda *_: time.struct_time((2026, 1, 2, 3, 4, 5, 4, 2, 0)))
    entry = next(e for e in catalog.scan(folder) if e.name == "widths/hidden-6_seed-0")
    before = files_of(entry.path)
    moved = catalog.trash(folder, entry)
    assert moved == folder / catalog.TRASH / "widths--hidden-6_seed-0-20260102T030405Z"
    assert not entry.path.exists() and files_of(moved) == before
    assert entry.name not in [e.name for e in catalog.scan(folder)]
    again = save_recorded(entry.path)  # the same name in the same second: a folder of its own
    assert catalog.trash(folder, RunEntry(again, entry.name, "widths", None, "finished")).name == moved.name + "-2"
    assert files_of(moved) == before


def test_trash_refuses_anything_but_a_run_under_the_runs_folder(folder, tmp_path):
    elsewhere = save_recorded(tmp_path / "elsewhere")
    for path in (elsewhere, folder / "widths", folder / "nothing", folder / ".trash" / "x"):
        with pytest.raises(runs.RunError, match="not a run folder under .*; nothing moved"):
            catalog.trash(folder, RunEntry(path, "x", None, None, "finished"))
    assert (elsewhere / runs.SUMMARY).exists() and not (folder / catalog.TRASH).exists()


def test_the_fingerprint_changes_when_a_run_lands_in_a_sweep(folder):
    before = catalog.fingerprint(folder)
    assert catalog.fingerprint(folder) == before
    save_recorded(folder / "widths" / "landed")
    assert catalog.fingerprint(folder) != before
    assert catalog.fingerprint(folder / "nothing") == ()


def test_runs_command_prints_the_table(trained, capsys):
    assert catalog.runs_command(trained[0], as_json=False) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if "name" in line)
    assert all(
        word in header for word in ("preset", "hidden", "seed", "state", "epochs", "all pairs", "64-bit", "time")
    )
    assert all(any(name in line for line in lines) for name in ("fast-seed0", "widths/hidden-6_seed-1"))
    row = next(line for line in lines if "widths/hidden-6_seed-1" in line)
    assert " 6 " in row and " finished " in row


def test_runs_command_prints_one_json_object(trained, capsys):
    base, records = trained
    assert catalog.runs_command(base, as_json=True) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["format"] == runs.FORMAT and len(printed["runs"]) == 6  # as every --json output
    last = printed["runs"][-1]
    assert last["name"] == "widths/hidden-6_seed-1" and last["path"] == str(base / last["name"])
    assert last["config"] == json.loads(records[last["name"]].config.to_json())
    assert (last["point"], last["first_exact_epoch"], last["tags"]) == ({"hidden": 6}, 2, [])


def test_runs_command_on_a_folder_that_is_not_there(tmp_path, capsys):
    assert catalog.runs_command(tmp_path / "nothing", as_json=False) == 2
    assert capsys.readouterr().err == f"tui-lstm: error: {tmp_path / 'nothing'}: no such folder\n"
    (tmp_path / "file").write_text("")
    assert catalog.runs_command(tmp_path / "file", as_json=True) == 2
    assert capsys.readouterr().err == f"tui-lstm: error: {tmp_path / 'file'}: not a folder\n"
    (tmp_path / "empty").mkdir()
    assert catalog.runs_command(tmp_path / "empty", as_json=False) == 0
    assert capsys.readouterr().out == f"no runs under {tmp_path / 'empty'}\n"


def test_tui_lstm_runs_is_the_same_command(trained, capsys, tmp_path):
    assert main(["runs", str(trained[0]), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["runs"]) == 6
    assert main(["runs", str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err == f"tui-lstm: error: {tmp_path / 'nothing'}: no such folder\n"


HOSTILE = "\x1b]0;PWNED\x07\x1b[2J[bold red]X[/]"  # sets the terminal's title, clears it; Rich markup


def test_control_characters_from_a_foreign_runs_folder_are_shown_not_sent_to_the_terminal(tmp_path, capsys):
    """Every string of the table comes from disk: a preset in config.json, a run folder's
    name, a damaged folder's reason (its path in it) reach the terminal with their control
    characters written out as repr writes them; --json escapes them as JSON does."""
    base = hostile_runs(tmp_path / "runs")
    assert catalog.runs_command(base, as_json=False) == 0
    out = capsys.readouterr().out
    assert not [c for c in out if not c.isprintable() and c != "\n"], repr(out)
    assert r"\x1b]0;PWNED\x07\x1b[2J[bold red]X[/]" in out  # the markup too, as it is
    assert r"n\x1b]0;T\x07\x1b[2J" in out and r"d\x1b[2J\x9b" in out and r"r\udcff" in out

    assert catalog.runs_command(base, as_json=True) == 0
    printed = capsys.readouterr().out
    assert printed.isascii() and not [c for c in printed if not c.isprintable() and c != "\n"]
    listed = json.loads(printed)["runs"]
    assert {run["name"] for run in listed} == {"d\x1b[2J\x9b", "foreign", "n\x1b]0;T\x07\x1b[2J", "r\udcff"}
    assert [run["config"]["preset"] for run in listed if run["name"] == "foreign"] == [HOSTILE]

    assert catalog.runs_command(tmp_path / "gone\x1b[2J", as_json=False) == 2
    assert capsys.readouterr().err == f"tui-lstm: error: {tmp_path}/gone\\x1b[2J: no such folder\n"


def hostile_runs(base: Path) -> Path:
    """A runs folder of someone else's: a preset with escape sequences and markup in it, a
    run folder named with some, and a damaged one (its path, and so its name, in its reason)."""
    foreign = save_recorded(base / "foreign")
    config = json.loads((foreign / runs.CONFIG).read_text())
    (foreign / runs.CONFIG).write_text(json.dumps({**config, "preset": HOSTILE}))
    save_recorded(base / "n\x1b]0;T\x07\x1b[2J")
    (base / "d\x1b[2J\x9b").mkdir()
    (base / "d\x1b[2J\x9b" / runs.SUMMARY).write_text("{")  # damaged: no config.json either
    os.rename(save_recorded(base / "plain"), base / os.fsdecode(b"r\xff"))  # not UTF-8: r\udcff
    return base


def shown_raw(texts) -> list[str]:
    """The texts with a character a terminal would act on."""
    return [text for text in texts if not text.isprintable()]


async def test_the_runs_screen_gives_textual_control_characters_made_visible(tmp_path, monkeypatch):
    """Textual draws what it is given, escape sequences too (to a real terminal, a name's
    ``\\x1b[2J`` clears it): the table's cells, the legend of a chosen run and the delete
    question carry the names as the table of ``tui-lstm runs`` shows them."""
    from textual.widgets import Label
    from tui_helpers import small

    from tui_lstm.tui.app import TuiLstmApp
    from tui_lstm.tui.screens.confirm import ConfirmScreen
    from tui_lstm.tui.widgets.chart import LineChart

    monkeypatch.chdir(tmp_path)
    hostile_runs(Path("runs"))
    app = TuiLstmApp(small(), runs_dir=Path("runs"))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.table
        cells = [
            table.get_cell(row.key, column.key).plain for row in table.ordered_rows for column in table.columns.values()
        ]
        assert len(cells) > 10 and shown_raw(cells) == []
        assert r"\x1b]0;PWNED\x07\x1b[2J[bold red]X[/]" in cells and r"n\x1b]0;T\x07\x1b[2J" in cells
        table.move_cursor(
            row=[table.get_cell(row.key, "name").plain for row in table.ordered_rows].index(r"n\x1b]0;T\x07\x1b[2J")
        )
        await pilot.press("space")
        await app.workers.wait_for_complete()
        await pilot.pause()
        labels = [series.label for chart in app.screen.query(LineChart) for series in chart.series]
        assert labels and shown_raw(labels) == []
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("#question", Label).render())
        assert r"n\x1b]0;T\x07\x1b[2J" in question and shown_raw([question]) == []
        await pilot.press("n")
