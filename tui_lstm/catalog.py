"""The runs under a runs folder, as one index: what ``tui-lstm runs`` prints and the console's runs screen lists.

A runs folder holds run folders (see runs.py) and sweep folders: a folder with a
sweep.json, whose runs are its own subfolders. The index reads what a listing needs and
no more, each run's config.json, summary.json and note.json (a few hundred bytes each),
so a thousand runs are listed in a fraction of a second; a run's history is read only
when its curves are drawn (``load_curves``). A damaged folder is listed as damaged, with
its one-line reason, and never stops the listing.

Two things change a runs folder from here, and neither loses a byte: a note and tags
(note.json, the one file written into a run folder after its save, replaced whole by a
rename) and a deletion, which moves the run folder into the runs folder's ``.trash``.

A sweep folder is read as ``tui-lstm sweep`` reads it (sweep/folder.py): its sweep.json
gives the grid, its results.csv each run's first epoch with every pair exact. A sweep
run's grid point is its own config's values of the grid's settings (its folder's name
says the same, but names are not parsed).
"""

from __future__ import annotations

import itertools
import json
import os
import stat
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Column as RichColumn
from rich.table import Table
from rich.text import Text

from tui_lstm.config import FIELD, TrainConfig
from tui_lstm.runs import (
    FORMAT,
    HISTORY,
    NOTE,
    SUMMARY,
    RunError,
    list_runs,
    load_config,
    load_summary,
    read_history,
    read_json,
    refusing,
    sync_folder,
    write_atomically,
)
from tui_lstm.sweep.folder import SWEEP, SweepFolder, read_plan
from tui_lstm.training import EpochMetrics

TRASH = ".trash"
DAMAGED = "damaged"  # the state listed for a run folder that cannot be read
OWN_COLUMNS = ("preset", "seed")  # settings with columns of their own, never among "the fields that differ"
NOTE_LENGTH, TAG_LENGTH, MOST_TAGS = 500, 40, 20
EXIT_BAD_INPUT = 2  # as the CLI's: one line on stderr


@dataclass(frozen=True)
class RunEntry:
    """A run folder as the index sees it. A damaged one has no config, and says why in ``problem``."""

    path: Path
    name: str  # relative to the runs folder: ``run``, or ``sweep/run``
    sweep: str | None  # the sweep folder's name
    config: TrainConfig | None
    state: str
    epochs_run: int | None = None  # None, as every figure, for a damaged run
    train_seconds: float | None = None
    eval_exact_accuracy: float | None = None  # over every pair of its width, or a random sample of them
    generalization_64: float | None = None  # exact on random 64-bit pairs, if measured
    first_exact_epoch: int | None = None  # from its sweep's results.csv; unknown outside a sweep
    note: str = ""
    tags: tuple[str, ...] = ()
    point: dict = field(default_factory=dict)  # the sweep's grid fields -> this run's values
    problem: str = ""  # why the folder, its note or its sweep.json could not be read


@dataclass(frozen=True)
class SweepFacts:
    """What the index takes from a sweep folder besides its runs: the grid's settings, and
    each run's first epoch with every pair exact (results.csv has it, by run name)."""

    grid: tuple[str, ...]
    first_exact: dict[str, int | None]


def sweep_facts(folder: Path) -> SweepFacts:
    """A sweep folder's plan and results.csv, as the sweep itself reads them; RunError in one line."""
    plan = read_plan(folder)
    rows = SweepFolder(folder, plan).read_rows()
    return SweepFacts(tuple(plan.grid), {row.name: row.first_exact_epoch for row in rows})


def _is_tag(tag) -> bool:
    return (
        isinstance(tag, str)
        and 0 < len(tag) <= TAG_LENGTH
        and tag == tag.strip()
        and tag.isprintable()
        and "," not in tag
    )


def note_problem(note: str, tags: Sequence[str]) -> str | None:
    """Why ``note`` and ``tags`` cannot be a run's note, or None: each must fit a table's cell."""
    if len(note) > NOTE_LENGTH or not note.isprintable():
        return f"a note is one line of at most {NOTE_LENGTH} characters"
    if len(tags) > MOST_TAGS:
        return f"at most {MOST_TAGS} tags"
    if not all(_is_tag(tag) for tag in tags):
        return f"a tag is one line of at most {TAG_LENGTH} characters, tags separated by commas"
    return None


def parse_tags(text: str) -> tuple[str, ...]:
    """Comma-separated tags as typed: trimmed, the empty and repeated ones dropped."""
    return tuple(dict.fromkeys(tag.strip() for tag in text.split(",") if tag.strip()))


def read_note(folder: Path) -> tuple[str, tuple[str, ...]]:
    """(note, tags) from a run folder's note.json; empty if it has none."""
    path = Path(folder) / NOTE
    if not os.path.lexists(path):
        return "", ()
    data = read_json(path)
    note, tags = data.get("note", ""), data.get("tags", [])
    if not isinstance(note, str) or not isinstance(tags, list) or note_problem(note, tags):
        raise RunError(f"{path}: not a one-line note and a list of short tags")
    return note, tuple(tags)


def set_note(path: Path, note: str, tags: Sequence[str]) -> None:
    """Write a run's note and tags: note.json replaced whole (a hidden temporary file beside
    it, on the disk before the rename), so a reader sees the old note or the new one."""
    path = Path(path)
    problem = note_problem(note, tags)
    if problem:
        raise RunError(f"{problem}; the note is as it was")
    if not os.path.isfile(path / SUMMARY):
        raise RunError(f"{path}: not a run folder; no note written")
    write_atomically(path / NOTE, (json.dumps({"note": note, "tags": list(tags)}, indent=2) + "\n").encode())


def _entry(path: Path, name: str, sweep: str | None, facts: SweepFacts | RunError | None) -> RunEntry:
    try:
        config = load_config(path)
        state, summary, _ = load_summary(path / SUMMARY, config)
    except RunError as error:
        return RunEntry(path, name, sweep, None, DAMAGED, problem=str(error))
    problem = str(facts) if isinstance(facts, RunError) else ""
    try:
        note, tags = read_note(path)
    except RunError as error:
        note, tags, problem = "", (), str(error)
    in_sweep = isinstance(facts, SweepFacts)
    return RunEntry(
        path,
        name,
        sweep,
        config,
        state,
        summary.epochs_run,
        summary.train_seconds,
        summary.eval_exact_accuracy,
        summary.generalization.get(64),
        facts.first_exact.get(path.name) if in_sweep else None,
        note,
        tags,
        {key: getattr(config, key) for key in facts.grid} if in_sweep else {},
        problem,
    )


def _folders(base: Path) -> list[str]:
    """The names of the folders directly under ``base`` that are not hidden (never runs: a
    save under way, the trash); none if it cannot be listed."""
    try:
        with os.scandir(base) as found:
            return [entry.name for entry in found if not entry.name.startswith(".") and entry.is_dir()]
    except OSError:
        return []


def sweep_folders(base: Path) -> list[Path]:
    """The sweep folders directly under ``base``, sorted: folders with a sweep.json that are no run."""
    base = Path(base)
    return sorted(
        base / name
        for name in _folders(base)
        if os.path.isfile(base / name / SWEEP) and not os.path.isfile(base / name / SUMMARY)
    )


def scan(base: Path) -> list[RunEntry]:
    """Every complete run under ``base``, directly and in its sweep folders, sorted by name."""
    base = Path(base)
    entries = [_entry(path, path.name, None, None) for path in list_runs(base)]
    for folder in sweep_folders(base):
        try:
            facts: SweepFacts | RunError = sweep_facts(folder)
        except RunError as error:  # its runs are listed all the same, without their grid points
            facts = error
        entries += [_entry(path, f"{folder.name}/{path.name}", folder.name, facts) for path in list_runs(folder)]
    return sorted(entries, key=lambda entry: entry.name)


def fingerprint(base: Path) -> tuple:
    """What changes when a run lands in the index or leaves it: the modification times of
    ``base`` and of every folder in it (a sweep's runs land in the sweep's folder). Cheap
    beside a scan, so a watcher scans again only when this has changed."""
    base = Path(base)
    try:
        stamps = sorted((name, os.stat(base / name).st_mtime_ns) for name in _folders(base))
        return os.stat(base).st_mtime_ns, tuple(stamps)
    except OSError:  # a folder went while it was looked at: changed, then
        return ()


def load_curves(entry: RunEntry) -> list[EpochMetrics]:
    """A run's history, read only when its curves are wanted."""
    return read_history(entry.path / HISTORY)


def trash(base: Path, entry: RunEntry) -> Path:
    """Move a run's folder into ``base/.trash``, named after the run (a sweep run's name
    keeps its sweep's) and the time, UTC; its new path. Nothing is deleted: a rename, on
    the same file system, taken back by renaming it out. A folder that is not a run
    directly under ``base`` or one of its sweep folders is refused in one line, and
    nothing moves."""
    base, path = Path(base), Path(entry.path)
    parent, root = path.parent.resolve(), base.resolve()
    in_base = parent == root or (parent.parent == root and not parent.name.startswith("."))
    if not in_base or path.name.startswith(".") or not os.path.isfile(path / SUMMARY):
        raise RunError(f"{path}: not a run folder under {base}; nothing moved")
    bin_ = base / TRASH
    with refusing(path, "cannot move it to the trash"):
        bin_.mkdir(exist_ok=True)
        if not stat.S_ISDIR(os.lstat(bin_).st_mode):
            raise RunError(f"{bin_}: not a folder; nothing moved")
        stem = entry.name.replace("/", "--") + time.strftime("-%Y%m%dT%H%M%SZ", time.gmtime())
        for n in itertools.count(1):  # a folder of its own, made exclusively: never onto another
            target = bin_ / (stem if n == 1 else f"{stem}-{n}")
            with suppress(FileExistsError):
                target.mkdir()
                break
        try:
            os.rename(path, target)
        except BaseException:
            with suppress(OSError):
                target.rmdir()
            raise
        sync_folder(path.parent)
        sync_folder(bin_)
    return target


def differing_fields(entries: Iterable[RunEntry]) -> list[str]:
    """The settings, in the config's order, whose values are not the same in every run
    listed: what tells them apart (seed and preset aside, which have columns of their own)."""
    configs = [entry.config for entry in entries if entry.config is not None]
    return [
        name for name in FIELD if name not in OWN_COLUMNS and len({getattr(config, name) for config in configs}) > 1
    ]


Point = tuple[tuple[str, object], ...]  # (setting, value) for each of a sweep's grid fields


def group_by_point(entries: Iterable[RunEntry]) -> dict[tuple[str, Point], list[RunEntry]]:
    """The sweep runs among ``entries`` by (sweep, grid point): each point's runs differ
    by seed alone. Runs outside a sweep, or of a sweep whose grid is unknown, are in none."""
    groups: dict[tuple[str, Point], list[RunEntry]] = {}
    for entry in entries:
        if entry.point:
            groups.setdefault((entry.sweep, tuple(entry.point.items())), []).append(entry)
    return groups


@dataclass(frozen=True)
class Spread:
    """A measure over several runs, per epoch."""

    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


def spread(histories: Sequence[Sequence[EpochMetrics]], column: str) -> Spread:
    """Per epoch, the mean, least and most of history ``column`` over the runs that trained
    that epoch: a run that ended sooner stops counting where it ended."""
    length = max((len(history) for history in histories), default=0)
    if not length:
        return Spread((), (), ())
    table = np.full((len(histories), length), np.nan)
    for row, history in zip(table, histories):
        row[: len(history)] = [getattr(metrics, column) for metrics in history]
    return Spread(*(tuple(map(float, reduce(table, axis=0))) for reduce in (np.nanmean, np.nanmin, np.nanmax)))


# -- the table: one for the console's runs screen and ``tui-lstm runs`` alike ----------


def visible(text: str) -> str:
    """``text`` with what a terminal would act on written out as repr writes it (``\\x1b``,
    ``\\x07``, ``\\n``): everything in the table comes from folders that may be someone
    else's, and an escape sequence in a run's name or preset would retitle or clear the
    terminal it is listed in. Rich strips a few control characters, not ESC or C1's CSI."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _value_text(value) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    return f"{seconds / 60:.1f}m" if seconds < 3600 else f"{seconds / 3600:.1f}h"


@dataclass(frozen=True)
class Row:
    """A line of the runs table: one run or, grouped, a sweep's runs at one grid point."""

    key: str  # unique among the table's rows, and the same for a run grouped or not
    name: str  # as shown: visible()
    runs: tuple[RunEntry, ...]

    @cached_property
    def words(self) -> str:
        """What a filter looks in: name, preset, state, note, tags and every setting's value."""
        parts = [self.name]
        for run in self.runs:
            parts += [run.state, run.note, *run.tags, run.problem]
            if run.config is not None:
                parts += map(_value_text, asdict(run.config).values())
        return "\n".join(parts).lower()

    def matches(self, query: str) -> bool:
        """Whether every word of ``query`` is in the row's words (case aside)."""
        return all(word in self.words for word in query.lower().split())


def _point_label(point: Point) -> str:
    return " ".join(f"{key}={_value_text(value)}" for key, value in point)


def table_rows(entries: Iterable[RunEntry], grouped: bool = False) -> list[Row]:
    """The table's rows, by name: a run each, or (``grouped``) a sweep's runs one row a grid point."""
    entries = list(entries)
    groups = group_by_point(entries) if grouped else {}
    points = [
        Row(f"point:{sweep}/{point!r}", visible(f"{sweep}/{_point_label(point)}"), tuple(runs))
        for (sweep, point), runs in groups.items()
    ]
    alone = [
        Row(f"run:{entry.name}", visible(entry.name), (entry,)) for entry in entries if not (grouped and entry.point)
    ]
    return sorted(points + alone, key=lambda row: row.name)


MIXED = object()  # a value the runs of a row do not share


def _shared(values: list):
    return values[0] if all(value == values[0] for value in values) else MIXED


@dataclass(frozen=True)
class Column:
    """A column of the runs table: its title, the value it sorts by (None: last) and the text it shows."""

    key: str
    title: str
    value: Callable[[Row], object]
    text: Callable[[Row], str]
    numeric: bool = False  # right-justified


def _shared_column(key: str, title: str, of: Callable[[RunEntry], object]) -> Column:
    """What the row's runs share, or "mixed"."""

    def value(row: Row):
        shared = _shared([of(run) for run in row.runs])
        return None if shared is MIXED else shared

    def text(row: Row) -> str:
        shared = _shared([of(run) for run in row.runs])
        return "mixed" if shared is MIXED else _value_text(shared)

    return Column(key, title, value, text, numeric=key in FIELD and FIELD[key].type in ("int", "float"))


def _setting(name: str) -> Callable[[RunEntry], object]:
    return lambda run: None if run.config is None else getattr(run.config, name)


def _mean_column(
    key: str, title: str, of: Callable[[RunEntry], float | None], form: Callable[[float], str], deviation=False
) -> Column:
    """The mean of what is known over the row's runs; ``deviation``: ± their standard deviation too."""

    def known(row: Row) -> list[float]:
        return [value for value in map(of, row.runs) if value is not None]

    def value(row: Row) -> float | None:
        values = known(row)
        return statistics.fmean(values) if values else None

    def text(row: Row) -> str:
        values = known(row)
        if not values:
            return ""
        mean = form(statistics.fmean(values))
        return f"{mean} ± {form(statistics.stdev(values))}" if deviation and len(values) > 1 else mean

    return Column(key, title, value, text, numeric=True)


def _note(row: Row) -> str:
    """A run's note, its tags and what could not be read of it; nothing for a group's row."""
    if len(row.runs) > 1:
        return ""
    run = row.runs[0]
    return " ".join([run.note, *(f"#{tag}" for tag in run.tags), run.problem]).strip()


def _percent(value: float) -> str:
    return f"{value:.1%}"


FIELD_TITLES = {"epochs": "epochs set"}  # "epochs" is the column of the epochs trained


def table_columns(fields: Sequence[str], grouped: bool = False) -> list[Column]:
    """name, preset, ``fields`` (the fields that differ), seed (grouped: how many runs),
    state, epochs trained, exact over all pairs, exact on 64-bit sums, train time, note."""
    count = Column("runs", "runs", lambda row: len(row.runs), lambda row: str(len(row.runs)), numeric=True)
    columns = [
        Column("name", "name", lambda row: row.name, lambda row: row.name),
        _shared_column("preset", "preset", _setting("preset")),
        *(_shared_column(name, FIELD_TITLES.get(name, name.replace("_", " ")), _setting(name)) for name in fields),
        count if grouped else _shared_column("seed", "seed", _setting("seed")),
        _shared_column("state", "state", lambda run: run.state),
        _mean_column("epochs_run", "epochs", lambda run: run.epochs_run, "{:,.0f}".format),
        _mean_column("exact", "all pairs", lambda run: run.eval_exact_accuracy, _percent, deviation=True),
        _mean_column("exact_64", "64-bit", lambda run: run.generalization_64, _percent),
        _mean_column("time", "time", lambda run: run.train_seconds, _duration),
        Column("note", "note", _note, _note),
    ]
    return [replace(column, text=_visibly(column.text)) for column in columns]


def _visibly(text: Callable[[Row], str]) -> Callable[[Row], str]:
    """A column's text, every string read from a folder in it (a preset, a state, a damaged
    folder's path) made visible()."""
    return lambda row: visible(text(row))


def sort_rows(rows: Iterable[Row], column: Column, reverse: bool = False) -> list[Row]:
    """``rows`` by ``column``'s value, those without one last either way; ties by name."""
    rows = sorted(rows, key=lambda row: row.name)
    known = [row for row in rows if column.value(row) is not None]
    unknown = [row for row in rows if column.value(row) is None]
    return sorted(known, key=column.value, reverse=reverse) + unknown


def runs_table(entries: Sequence[RunEntry]) -> Table:
    """The runs as the console's runs screen lists them, ungrouped, for a terminal."""
    columns = table_columns(differing_fields(entries))
    table = Table(*(RichColumn(c.title, justify="right" if c.numeric else "left") for c in columns))
    for row in table_rows(entries):
        table.add_row(*(Text(column.text(row)) for column in columns))  # Text: a note is not markup
    return table


def runs_command(base: Path, as_json: bool) -> int:
    """``tui-lstm runs [DIR] [--json]``: the table of the runs under ``base``, or one JSON
    object, ``{"format": 1, "runs": [...]}``, a run each with its figures and whole config.
    A runs folder that cannot be listed is one line on stderr, and exit status 2."""
    base = Path(base)
    if not base.is_dir():
        reason = "not a folder" if base.exists() else "no such folder"
        print(f"tui-lstm: error: {visible(str(base))}: {reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    entries = scan(base)
    if as_json:
        print(json.dumps({"format": FORMAT, "runs": [{**asdict(e), "path": str(e.path)} for e in entries]}))
    elif entries:
        table, console = runs_table(entries), Console()
        if not console.is_terminal:  # a file or a pipe: whole rows, however wide
            console.width = console.measure(table, options=console.options.update_width(10_000)).maximum
        console.print(table)
    else:
        print(f"no runs under {visible(str(base))}")
    return 0
