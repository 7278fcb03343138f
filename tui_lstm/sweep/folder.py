"""A sweep's folder: its plan, one ordinary run folder per run, and results.csv.

    sweep.json    the plan (preset, the flags given, grid, seeds) and the base config
    <run name>/   one run folder per run, as ``tui-lstm train`` writes them
    results.csv   one row per run, appended as each run completes

Only the client writes here, whole files and whole runs at a time (workers send their
runs back). A run is done when its folder holds a finished (or diverged: that is its
result) run and results.csv has its row; the folder is written before the row, so a kill
between the two leaves a run that is done again, never a row without its run. A resumed
sweep keeps the rows of done runs, drops the rest (rewriting results.csv whole) and
runs the others again, in the folders their names give: inside a sweep a taken name
means done or incomplete, never a reason to pick another.

One sweep at a time works in a folder: a second is refused while the first holds the
folder's lock (``.lock``, an advisory lock that goes with its process).
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
from dataclasses import dataclass, fields
from pathlib import Path

from tui_lstm.record import RunRecord
from tui_lstm.runs import (
    FORMAT,
    SUMMARY,
    TEXT_LIMIT,
    RunError,
    check_writable,
    clean_leftovers,
    read_json,
    read_text,
    replace_run,
    settings_of_format,
    write_atomically,
)
from tui_lstm.sweep.plan import PlanError, PlannedRun, SweepPlan

SWEEP, RESULTS, LOCK = "sweep.json", "results.csv", ".lock"
SWEEPS_SINCE = 2  # the first format with sweep folders
DONE_STATES = ("finished", "diverged")


@dataclass(frozen=True)
class ResultRow:
    """One run's line in results.csv (the grid values come before these columns)."""

    name: str
    seed: int
    state: str  # finished, stopped, diverged, or failed
    epochs_run: int = 0
    train_seconds: float | None = None
    first_exact_epoch: int | None = None  # the first epoch with every evaluation pair right
    seconds_to_exact: float | None = None
    test_exact_accuracy: float | None = None  # on the test rows
    eval_exact_accuracy: float | None = None  # on every pair (or a random sample, for wide operands)
    exact_64bit: float | None = None  # on random 64-bit pairs, for the bits layout
    error: str = ""

    COLUMNS = (
        "name",
        "seed",
        "state",
        "epochs_run",
        "train_seconds",
        "first_exact_epoch",
        "seconds_to_exact",
        "test_exact_accuracy",
        "eval_exact_accuracy",
        "exact_64bit",
        "error",
    )

    @classmethod
    def of(cls, run: PlannedRun, record: RunRecord, first_exact_epoch=None, seconds_to_exact=None) -> ResultRow:
        summary = record.summary
        return cls(
            run.name,
            run.seed,
            record.state,
            summary.epochs_run,
            summary.train_seconds,
            first_exact_epoch,
            seconds_to_exact,
            summary.test_exact_accuracy,
            summary.eval_exact_accuracy,
            summary.generalization.get(64),
        )

    @classmethod
    def failed(cls, run: PlannedRun, error: str) -> ResultRow:
        return cls(run.name, run.seed, "failed", error=" ".join(error.split()))  # one line

    def cells(self) -> list[str]:
        return [_cell(getattr(self, name)) for name in self.COLUMNS]

    @classmethod
    def from_cells(cls, cells: dict[str, str]) -> ResultRow:
        """A row as read back; ValueError if it is not one results.csv could hold."""
        kinds = {f.name: f.type for f in fields(cls)}
        values = {}
        for name in cls.COLUMNS:
            text, kind = cells[name], kinds[name]
            if kind.startswith("int") or kind.startswith("float"):
                number = int if kind.startswith("int") else float
                values[name] = None if text == "" and "None" in kind else number(text)
            else:
                values[name] = text
        return cls(**values)


class SweepFolder:
    def __init__(self, path: Path, plan: SweepPlan):
        self.path = Path(path)
        self.plan = plan
        self.axes = list(plan.grid)
        self._lock: int | None = None

    # --- making and opening -----------------------------------------------------------

    @classmethod
    def create(cls, path: Path, plan: SweepPlan) -> SweepFolder:
        """A new sweep in ``path``, which must be absent or an empty folder."""
        path = Path(path)
        check_writable(path)
        folder = cls(path, plan)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise RunError(f"{path}: cannot write there ({(error.strerror or '').lower()})") from None
        folder.lock()
        write_atomically(path / SWEEP, (json.dumps({"format": FORMAT, **plan.to_dict()}, indent=2) + "\n").encode())
        folder._write_rows([])
        return folder

    @classmethod
    def open(cls, path: Path) -> SweepFolder:
        """The sweep in ``path``, locked, to resume it; RunError if there is none or it is damaged."""
        folder = cls(path, read_plan(path))
        folder.lock()
        return folder

    def lock(self) -> None:
        """Hold the folder's lock until this process ends; refuse if another sweep has it."""
        try:
            fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise RunError(f"{self.path}: cannot write there ({(error.strerror or '').lower()})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RunError(f"{self.path}: another sweep is running in it") from None
        self._lock = fd

    def unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    # --- runs and rows ----------------------------------------------------------------

    def run_dir(self, run: PlannedRun) -> Path:
        return self.path / run.name

    def done(self, runs: list[PlannedRun]) -> dict[str, ResultRow]:
        """The rows of the runs that are done (see the module's docstring)."""
        rows = {row.name: row for row in self.read_rows()}
        done = {}
        for run in runs:
            row = rows.get(run.name)
            if row is not None and row.state in DONE_STATES and self._state(run) == row.state:
                done[run.name] = row
        return done

    def _state(self, run: PlannedRun) -> str | None:
        try:
            return read_json(self.run_dir(run) / SUMMARY).get("state")
        except RunError:
            return None

    def start(self, runs: list[PlannedRun]) -> dict[str, ResultRow]:
        """Get ready to run what is not done: results.csv keeps the done runs' rows only,
        and the leftovers of saves killed mid-write go. The done runs' rows."""
        done = self.done(runs)
        self._write_rows([row for row in self.read_rows() if row.name in done])
        clean_leftovers(self.path)
        return done

    def save(self, run: PlannedRun, record: RunRecord) -> Path:
        """Write a finished run's folder (over an incomplete one of the same run)."""
        return replace_run(self.run_dir(run), record)

    def append(self, row: ResultRow, point: dict) -> None:
        """Add a run's row to results.csv, on the disk before it returns."""
        with open(self.path / RESULTS, "a", newline="") as f:
            f.write(self._line([*(_cell(point[axis]) for axis in self.axes), *row.cells()]))
            f.flush()
            os.fsync(f.fileno())

    def read_rows(self) -> list[ResultRow]:
        """The rows of results.csv that are whole; a line a kill cut short is skipped."""
        if not (self.path / RESULTS).exists():
            return []
        text = read_text(self.path / RESULTS, TEXT_LIMIT)  # bounded, and a damaged file is one line
        rows = []
        for cells in csv.DictReader(io.StringIO(text, newline="")):
            try:
                rows.append(ResultRow.from_cells(cells))
            except (KeyError, TypeError, ValueError):
                continue
        return rows

    def _write_rows(self, rows: list[ResultRow]) -> None:
        points = {run.name: run.point for run in self.plan.runs()}
        text = self._line([*self.axes, *ResultRow.COLUMNS])
        text += "".join(self._line([*(_cell(points[row.name][a]) for a in self.axes), *row.cells()]) for row in rows)
        write_atomically(self.path / RESULTS, text.encode())

    @staticmethod
    def _line(cells: list[str]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(cells)
        return out.getvalue()


def read_plan(path: Path) -> SweepPlan:
    """The plan in the sweep folder ``path``; RunError if there is none or it is damaged."""
    path = Path(path)
    if not (path / SWEEP).exists():
        raise RunError(f"{path}: no sweep there (no {SWEEP})")
    data = read_json(path / SWEEP)
    number = data.pop("format", None)
    if number not in range(SWEEPS_SINCE, FORMAT + 1):  # sweep folders came with format 2
        raise RunError(f"{path / SWEEP}: format {number!r}; this tui-lstm reads formats {SWEEPS_SINCE} to {FORMAT}")
    # The runs as planned, a preset may have changed since: the base of the sweep's preset,
    # and the bases of the other presets on a preset axis (stored since format 3; an older
    # sweep's other presets are today's).
    others, base = data.pop("bases", {}), data.pop("base", None)
    try:
        if not isinstance(others, dict):
            raise PlanError(f"not a sweep plan (its bases are {type(others).__name__}, not settings by preset)")
        bases = {**others, str(data.get("preset")): base}
        for settings in bases.values():
            if not isinstance(settings, dict):
                raise PlanError(f"not a sweep plan (a base is {type(settings).__name__}, not settings)")
        return SweepPlan.from_dict(
            data, {name: settings_of_format(settings, number) for name, settings in bases.items()}
        )
    except PlanError as error:
        raise RunError(f"{path / SWEEP}: {error}") from None


def _cell(value) -> str:
    """A value as results.csv holds it: floats in full (repr), None as nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)
