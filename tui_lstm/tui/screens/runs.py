"""Every run under the runs folder, to compare: a table of them, and the curves of those chosen.

The table is the catalog's (tui_lstm/catalog.py), as ``tui-lstm runs`` prints it: a row a
run or (g) a sweep's grid point, sorted by any column, narrowed by a filter. The runs
chosen (space or enter) have their loss and test exact accuracy drawn over each other, a
colour each; one can be pinned as the baseline (b), drawn in bold whatever else is chosen.

The UI thread does nothing slow with the disk: the runs folder is scanned in a thread
worker when the screen opens, and again whenever its fingerprint (the folders' times)
has changed, looked at every two seconds, so a sweep running elsewhere lands its runs
here as they finish; the table is rebuilt only if what it shows has changed, so a still
folder costs the terminal nothing. A run's history is read, in a worker too, only once
its curves are wanted.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input
from textual.worker import Worker, WorkerState

from tui_lstm.catalog import (
    TRASH,
    Column,
    Row,
    RunEntry,
    differing_fields,
    fingerprint,
    load_curves,
    parse_tags,
    scan,
    set_note,
    sort_rows,
    table_columns,
    table_rows,
    trash,
)
from tui_lstm.runs import RunError
from tui_lstm.training import EpochMetrics
from tui_lstm.tui.screens.confirm import ConfirmScreen
from tui_lstm.tui.screens.note import NoteScreen
from tui_lstm.tui.widgets.compare import BASELINE, PALETTE, CompareCharts, Curve

WATCH_SECONDS = 2.0  # between looks at the runs folder for runs landed or gone
CHOSEN, PINNED = "●", "◆"  # the first column's marks: a run whose curves are drawn, the baseline


class Cell(Text):
    """A table cell that the table does not measure: the screen sizes its columns from the
    texts, which at a thousand rows is a fifth of a second sooner than measuring every cell."""

    __rich_measure__ = None


class RunsScreen(ModalScreen[None]):
    """Modal, though it fills the terminal: the console's own keys (s to train, o to open...)
    are not this screen's, and stay off its footer."""

    AUTO_FOCUS = "#runs"
    BINDINGS = [
        Binding("escape", "close", "close", show=False),
        Binding("space", "choose", "choose"),
        Binding("slash", "filter", "filter"),
        Binding("s", "sort", "sort"),
        Binding("r", "reverse", "reverse"),
        Binding("b", "baseline", "baseline"),
        Binding("g", "group", "group"),
        Binding("n", "note", "note"),
        Binding("d", "delete", "delete"),
    ]
    DEFAULT_CSS = """
    RunsScreen { background: $background; }
    RunsScreen #filter { margin: 0 1; }
    RunsScreen #runs { width: 100%; height: 1fr; border: round $primary; scrollbar-size-vertical: 1; }
    RunsScreen #compare { height: 45%; min-height: 8; }
    """

    def __init__(self, runs_dir: Path):
        super().__init__()
        self.runs_dir = Path(runs_dir)
        self.entries: list[RunEntry] = []
        self.rows: dict[str, Row] = {}  # every row of the table, shown or filtered out, by key
        self.columns: list[Column] = table_columns([])
        self.grouped = False
        self.sort_by, self.reverse = "name", False
        self.chosen: dict[str, str] = {}  # row key -> its colour, in the order chosen
        self.baseline: str | None = None  # a row key
        self.histories: dict[Path, tuple[EpochMetrics, ...]] = {}  # () for one that could not be read
        self._loading: set[Path] = set()
        self._shown: tuple | None = None  # the titles and cells the table shows
        self._fingerprint: tuple | None = None

    def compose(self) -> ComposeResult:
        hint = "/ to filter: words in the names, presets, states, notes, tags and settings"
        yield Input(placeholder=hint, id="filter", compact=True)
        yield DataTable(id="runs", cursor_type="row")
        yield CompareCharts(id="compare")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.table.border_title = f"scanning {self.runs_dir}…"
        self.table.border_subtitle = "sort: s (the next column), r (reversed), or a click on a header"
        self._rescan()
        self.set_interval(WATCH_SECONDS, self._watch)

    @property
    def table(self) -> DataTable:
        return self.query_one("#runs", DataTable)

    # --- the runs folder, scanned in a worker -----------------------------------------

    def _rescan(self) -> None:
        self._fingerprint = fingerprint(self.runs_dir)  # before the scan: a change during it is seen next time
        self._scan()

    def _watch(self) -> None:
        if fingerprint(self.runs_dir) != self._fingerprint:
            self._rescan()

    @work(thread=True, group="scan", exclusive=True, exit_on_error=False)
    def _scan(self) -> list[RunEntry]:
        return scan(self.runs_dir)

    @work(thread=True, group="curves", exit_on_error=False)
    def _load(self, runs: list[RunEntry]) -> dict[Path, tuple[EpochMetrics, ...] | str]:
        found: dict[Path, tuple[EpochMetrics, ...] | str] = {}
        for run in runs:
            try:
                found[run.path] = tuple(load_curves(run))
            except RunError as error:
                found[run.path] = str(error)
        return found

    @on(Worker.StateChanged)
    def _worker_done(self, event: Worker.StateChanged) -> None:
        event.stop()  # this screen's to answer, not the app's
        worker = event.worker
        if event.state == WorkerState.ERROR:
            self.notify(f"{worker.group}: {worker.error}", severity="error")
        elif event.state == WorkerState.SUCCESS and worker.group == "scan":
            self._listed(worker.result)
        elif event.state == WorkerState.SUCCESS and worker.group == "curves":
            self._loaded(worker.result)

    def _listed(self, entries: list[RunEntry]) -> None:
        if entries == self.entries and self._shown is not None:
            return
        before = {entry.path: entry for entry in self.entries}
        now = {entry.path: entry for entry in entries}
        self.histories = {
            path: h for path, h in self.histories.items() if path in now and now[path] == before.get(path)
        }
        self.entries = entries
        self._show()
        self._curves_changed()

    def _loaded(self, found: dict[Path, tuple[EpochMetrics, ...] | str]) -> None:
        for path, history in found.items():
            self._loading.discard(path)
            if isinstance(history, str):
                self.notify(history, severity="error")
            self.histories[path] = history if isinstance(history, tuple) else ()
        self._draw()

    # --- the table -------------------------------------------------------------------

    def _title(self, column: Column) -> str:
        return column.title + (" ▼" if self.reverse else " ▲") * (column.key == self.sort_by)

    def _mark(self, key: str) -> Cell:
        if key == self.baseline:
            return Cell(PINNED, "bold")
        return Cell(CHOSEN, self.chosen[key]) if key in self.chosen else Cell("")

    def _show(self) -> None:
        """Fill the table from the entries, grouped, sorted and filtered; unless it shows that already."""
        rows = table_rows(self.entries, self.grouped)
        self.rows = {row.key: row for row in rows}
        self.columns = table_columns(differing_fields(self.entries), self.grouped)
        by = next((column for column in self.columns if column.key == self.sort_by), self.columns[0])
        query = self.query_one("#filter", Input).value
        listed = [row for row in sort_rows(rows, by, self.reverse) if row.matches(query)]
        cells = tuple((row.key, tuple(column.text(row) for column in self.columns)) for row in listed)
        shown = (tuple(map(self._title, self.columns)), cells)
        what = "grid points and runs" if self.grouped else "runs"
        self.table.border_title = f"{len(listed)} of {len(rows)} {what} under {self.runs_dir}"
        if shown == self._shown:
            return
        self._shown = shown
        table = self.table
        at = self._cursor_row()
        table.clear(columns=True)
        table.add_column("", key="mark", width=1)
        for i, (column, title) in enumerate(zip(self.columns, shown[0])):
            width = max([cell_len(title), *(cell_len(texts[i]) for _, texts in cells)])
            table.add_column(Text(title, justify="right" if column.numeric else "left"), key=column.key, width=width)
        justify = ["right" if column.numeric else "left" for column in self.columns]
        for key, texts in cells:
            table.add_row(self._mark(key), *(Cell(t, justify=j) for t, j in zip(texts, justify)), key=key)
        if at is not None and at.key in table.rows:
            table.move_cursor(row=table.get_row_index(at.key))

    def _cursor_row(self) -> Row | None:
        table = self.table
        if not table.row_count:
            return None
        return self.rows.get(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _remark(self, *keys: str | None) -> None:
        for key in keys:
            if key is not None and key in self.table.rows:
                self.table.update_cell(key, "mark", self._mark(key))

    def action_sort(self) -> None:
        """Sort by the next column."""
        keys = [column.key for column in self.columns]
        self.sort_by = keys[(keys.index(self.sort_by) + 1) % len(keys)] if self.sort_by in keys else keys[0]
        self.reverse = False
        self._show()

    def action_reverse(self) -> None:
        self.reverse = not self.reverse
        self._show()

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        """Sort by the column clicked; clicked again, the other way."""
        key = event.column_key.value
        if key != "mark":
            self.reverse = key == self.sort_by and not self.reverse
            self.sort_by = key
            self._show()

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._show()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_close(self) -> None:
        """Leave the filter, or the screen."""
        if self.focused is self.query_one("#filter", Input):
            self.table.focus()
        else:
            self.dismiss()

    def action_group(self) -> None:
        self.grouped = not self.grouped
        if self.grouped and not any(entry.point for entry in self.entries):
            self.notify("no sweep here: only a sweep's runs group, by grid point")
        self._show()
        self._curves_changed()

    # --- the curves ------------------------------------------------------------------

    def _readable_row(self) -> Row | None:
        """The row under the cursor, if any of its runs can be read; else say why not."""
        row = self._cursor_row()
        if row is not None and all(run.config is None for run in row.runs):
            self.notify(row.runs[0].problem, severity="warning")
            return None
        return row

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        """Enter, or a click on the highlighted row."""
        self.action_choose()

    def action_choose(self) -> None:
        """Draw the row's curves (a run's, or a grid point's runs'), or stop drawing them."""
        if (row := self._readable_row()) is None:
            return
        if row.key in self.chosen:
            del self.chosen[row.key]
        else:
            free = [colour for colour in PALETTE if colour not in self.chosen.values()]
            self.chosen[row.key] = free[0] if free else PALETTE[len(self.chosen) % len(PALETTE)]
        self._remark(row.key)
        self._curves_changed()

    def action_baseline(self) -> None:
        """Pin the row as the baseline, drawn whatever else is chosen; again: unpin it."""
        if (row := self._readable_row()) is None:
            return
        before, self.baseline = self.baseline, None if self.baseline == row.key else row.key
        self._remark(before, row.key)
        self._curves_changed()

    def _drawn(self) -> list[tuple[str, Row]]:
        """(key, row) of the rows whose curves are drawn: the chosen, then the baseline on top."""
        keys = [key for key in self.chosen if key != self.baseline] + [self.baseline] * (self.baseline is not None)
        return [(key, self.rows[key]) for key in keys if key in self.rows]

    def _curves_changed(self) -> None:
        """Draw what is loaded now; read the histories not loaded yet, and draw again when they are."""
        wanted = [run for _, row in self._drawn() for run in row.runs if run.config is not None]
        missing = [run for run in wanted if run.path not in self.histories and run.path not in self._loading]
        if missing:
            self._loading.update(run.path for run in missing)
            self._load(missing)
        self._draw()

    def _draw(self) -> None:
        curves = []
        for key, row in self._drawn():
            histories = tuple(self.histories[run.path] for run in row.runs if self.histories.get(run.path))
            if not histories:
                continue
            if key == self.baseline:
                curves.append(Curve(f"{row.name} (baseline)", histories, BASELINE))
            else:
                curves.append(Curve(row.name, histories, self.chosen[key]))
        self.query_one(CompareCharts).draw(curves)

    # --- a run's note, and its deletion ----------------------------------------------

    def _one_run(self, doing: str) -> Row | None:
        """The row under the cursor if it is one run; else say why not."""
        row = self._cursor_row()
        if row is not None and len(row.runs) > 1:
            self.notify(f"{doing} one run at a time: g lists the runs one by one")
            return None
        return row

    def action_note(self) -> None:
        if row := self._one_run("a note is on"):
            run = row.runs[0]
            self.app.push_screen(NoteScreen(run.name, run.note, run.tags, partial(self._save_note, run)))

    def _save_note(self, run: RunEntry, note: str, tags: str) -> str | None:
        try:
            set_note(run.path, note.strip(), parse_tags(tags))
        except RunError as error:
            return str(error)
        self._rescan()
        return None

    def action_delete(self) -> None:
        if row := self._one_run("delete"):
            question = f"Move {row.name} to {self.runs_dir / TRASH}? It can be moved back from there."
            self.app.push_screen(ConfirmScreen(question), partial(self._delete, row))

    def _delete(self, row: Row, yes: bool) -> None:
        if not yes:
            return
        try:
            moved = trash(self.runs_dir, row.runs[0])
        except RunError as error:
            return self.notify(str(error), severity="error")
        self.chosen.pop(row.key, None)
        if self.baseline == row.key:
            self.baseline = None
        self.notify(f"moved to {moved}")
        self._rescan()
