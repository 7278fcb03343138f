"""A run folder: everything needed to look at, evaluate or continue a trained model.

    config.json   the TrainConfig, every field, and the folder's format number
    history.csv   one row per epoch (Keras CSVLogger's columns, plus exact accuracy)
    model.npz     the weights as plain arrays (model.keras for the keras backend)
    results.txt   the report's rows for the test pairs
    summary.json  the state the run ended in, its end-of-run figures, and what made them
    training_state.npz  (NumPy runs) optimizer moments and random streams, so that a
                  continued run goes on exactly as if it had never stopped; written
                  only with something in it, so an empty one is damage, not absence
    gradients.csv (bits layout, since format 3) one row per epoch: the gradient flow
                  through time on the fixed probe batch (nn/flow.py), columns h0 .. h64
                  (and c0 .. c64 for an LSTM: the norm at each lag, lag 0 the last step)
                  and each sigmoid gate's saturated share (i_saturated, ...)

A folder is written from a ``RunRecord`` alone, and a folder that already holds a run is
never written over. A save is whole or absent: it is written into a hidden partial folder
beside the target (``.tui-lstm-partial-<pid>-...``), summary.json last, and renamed into
place; a kill leaves only that partial folder, which no listing shows and the next save
beside it removes. So a folder without summary.json is no run, and is refused.

Reading trusts nothing in the folder: every file must be a regular one of a bounded size,
and every damage is refused with one line (RunError), never a traceback. The files must
agree too: history.csv holds epochs 1 to summary.json's epochs_run, in order, and
gradients.csv the epochs since the run was first probed (k to epochs_run), since a run
continued from files that disagree writes on under the wrong epochs. Every CSV row ends
with a line end, so a file cut within its last row is refused though what is left parses.

Formats. Every folder written since format 1 says its number in config.json and
summary.json; a folder without one is format 0. Each format is read with these defaults:

    0  (tui-lstm 0.1.0, before numbers) summary.json named the evaluation figures
       exhaustive_exact_accuracy, exhaustive_bit_accuracy and exhaustive_pairs; they are
       read as eval_exact_accuracy, eval_bit_accuracy and eval_pairs, eval_all_pairs is
       whether those pairs were every pair of the width, and provenance is empty;
       config.json had no checkpoint_every, read as its default (10); there was no
       training_state.npz, so such a run continues with fresh optimizer moments.
    1  (tui-lstm 0.1.0, session 3) config.json had no eval_every, read as 1 (every
       epoch scored every pair, as runs then did); history.csv had no
       eval_exact_accuracy column, read as not measured. Its first runs had no
       training_state.npz either (format 0's reading): a missing one is no damage.
    2  (tui-lstm 0.1.0, session 4) config.json had no lr_anneal_from, read as 0 (the learning
       rate held to the end); there was no gradients.csv, read as no epoch probed (a
       continued run records its new epochs). A two-step layout never has one. A sweep's
       sweep.json had no bases: the presets on a preset axis other than the sweep's own
       are read as defined today.
    3  as written now.
"""

from __future__ import annotations

import csv
import errno
import io
import itertools
import json
import math
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

from tui_lstm.backends import BACKENDS, Backend, ModelFileError, make_backend
from tui_lstm.config import FIELD, ConfigError, TrainConfig
from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.dense import Dense
from tui_lstm.nn.flow import PROBE_WIDTH, Flow
from tui_lstm.record import RunRecord, unpack
from tui_lstm.task import LAYOUT
from tui_lstm.training import EpochFlow, EpochMetrics, RunSummary

FORMAT = 3  # of the folders written now; every earlier one is read too
CONFIG, HISTORY, RESULTS, SUMMARY = "config.json", "history.csv", "results.txt", "summary.json"
NOTE = "note.json"  # the user's note and tags, written after the save (see catalog.py); a re-save keeps it
TRAINING_STATE = "training_state.npz"
GRADIENTS = "gradients.csv"
FORMAT_0_NAMES = {
    "exhaustive_exact_accuracy": "eval_exact_accuracy",
    "exhaustive_bit_accuracy": "eval_bit_accuracy",
    "exhaustive_pairs": "eval_pairs",
}
PARTIAL = ".tui-lstm-partial-"  # a save under way, or the leftover of one that was killed
UNSAVED = "tui-lstm-unsaved-"  # a run kept in the temporary folder because its own could not be written
REPLACED = ".tui-lstm-replaced-"  # a run being saved over; left whole only if a kill lands mid-swap
MiB = 2**20
JSON_LIMIT = MiB  # config.json and summary.json hold a few hundred bytes
TEXT_LIMIT = 256 * MiB  # history.csv and results.txt: a million rows of either, with room to spare
UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9_.+-]+")
NAME_LENGTH = 64  # characters of a preset's name kept in a folder's name
SUMMARY_TYPES = {  # RunSummary's annotations, as the JSON types that hold them
    "int": int,
    "float": (int, float),
    "float | None": (int, float, type(None)),
    "bool": bool,
    "str": str,
    "dict[int, float]": dict,
}


class RunError(ValueError):
    """A run folder that cannot be written or read."""


def _reason(error: OSError) -> str:
    """An OSError in words: 'permission denied', 'read-only file system'."""
    return (error.strerror or type(error).__name__).lower()


@contextmanager
def refusing(path: Path, doing: str) -> Iterator[None]:
    """Any OSError inside as one line naming the path: 'runs/x: cannot write there (read-only file system)'."""
    try:
        yield
    except OSError as error:
        raise RunError(f"{path}: {doing} ({_reason(error)})") from None


# -- writing: whole or not at all -----------------------------------------------------


def _write_file(path: Path, data: bytes) -> None:
    """A new file, on the disk before it returns: a rename after it never publishes a short one."""
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_atomically(path: Path, data: bytes) -> None:
    """Put ``data`` in ``path`` whole, over what was there: written beside it as a hidden
    file, then renamed onto it, so a reader sees the old bytes or the new, never part."""
    path = Path(path)
    temporary = path.parent / f"{PARTIAL}{os.getpid()}-{secrets.token_hex(4)}-{path.name}"
    with refusing(path, "cannot write there"):
        try:
            _write_file(temporary, data)
            os.replace(temporary, path)
        except BaseException:
            with suppress(OSError):
                os.unlink(temporary)
            raise
        sync_folder(path.parent)


def sync_folder(path: Path) -> None:
    """Put a folder's entries (its new files, a rename into it) on the disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_history(path: Path, history) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(EpochMetrics.COLUMNS)
    for row in history:
        writer.writerow(
            ["" if (value := getattr(row, column)) is None else repr(value) for column in EpochMetrics.COLUMNS]
        )
    _write_file(path, text.getvalue().encode())


def flow_columns(flow: Flow) -> list[str]:
    """gradients.csv's columns for a probe like ``flow``: epoch, each state's norm by lag
    (h0, h1, ...), each sigmoid gate's saturated share (f_saturated, ...)."""
    lags = [f"{state}{k}" for state, norms in flow.norms.items() for k in range(len(norms))]
    return ["epoch", *lags, *(f"{gate}_saturated" for gate in flow.saturation)]


def write_gradients(path: Path, rows) -> None:
    """EpochFlow rows as CSV: every float as repr() writes it, so that a continued run's
    file, read and written again, is the same bytes as an uninterrupted run's."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(flow_columns(rows[0].flow))
    for row in rows:
        norms = (float(value) for values in row.flow.norms.values() for value in values)
        writer.writerow([row.epoch, *map(repr, norms), *(repr(float(v)) for v in row.flow.saturation.values())])
    _write_file(path, text.getvalue().encode())


def summary_figures(record: RunRecord) -> dict:
    """What summary.json holds, as plain JSON types; ``train --json`` prints the same."""
    return {"format": FORMAT, "state": record.state, **asdict(record.summary), "provenance": record.provenance}


def _json_bytes(data: dict) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode()


def _write_run(folder: Path, record: RunRecord) -> None:
    """Every file of the run, summary.json last: a folder holding it holds the rest."""
    config = {"format": FORMAT, **json.loads(record.config.to_json())}
    _write_file(folder / CONFIG, _json_bytes(config))
    write_history(folder / HISTORY, record.history)
    _write_file(folder / BACKENDS[record.config.backend].model_file, record.model)
    _write_file(folder / RESULTS, "".join(row + "\n" for row in record.results).encode())
    if record.training_state:
        _write_file(folder / TRAINING_STATE, record.training_state)
    if record.flow:
        write_gradients(folder / GRADIENTS, record.flow)
    _write_file(folder / SUMMARY, _json_bytes(summary_figures(record)))
    sync_folder(folder)


def check_writable(directory: Path) -> None:
    """Refuse a target other than nothing or an empty folder: nothing saved is written over,
    and the rename that completes a save replaces an empty folder only (not a link to one)."""
    with refusing(directory, "cannot write there"):
        try:
            mode = os.lstat(directory).st_mode
        except FileNotFoundError:
            return
        if stat.S_ISLNK(mode):
            raise RunError(f"{directory}: a symbolic link; name the folder itself")
        if not stat.S_ISDIR(mode):
            raise RunError(f"{directory}: a file is in the way; choose another folder")
        with os.scandir(directory) as entries:
            if next(entries, None) is not None:
                raise RunError(f"{directory} already exists and is not empty; choose another folder")


def _make_partial(target: Path) -> Path:
    """A new hidden folder beside ``target`` for a save to be written into: beside it, so
    the rename that completes the save stays on one file system; named with this process's
    id, so a save that was killed is known for what it is."""
    stem = target.name.encode()[:100].decode(errors="ignore")
    partial = target.parent / f"{PARTIAL}{os.getpid()}-{secrets.token_hex(4)}-{stem}"
    with refusing(target, "cannot write there"):
        partial.mkdir()
    return partial


def _rename_into_place(partial: Path, target: Path) -> None:
    """Rename ``partial`` onto ``target``, which must be absent or an empty folder."""
    try:
        os.rename(partial, target)
    except OSError as error:
        if error.errno in (errno.ENOTEMPTY, errno.EEXIST):
            raise RunError(f"{target} already exists and is not empty; choose another folder") from None
        raise RunError(f"{target}: cannot write there ({_reason(error)})") from None
    with refusing(target, "cannot write there"):
        sync_folder(target.parent)


def _in_partial(target: Path, write) -> None:
    """``write(partial)`` into a new partial folder, then rename it onto ``target``; on any
    failure (a Ctrl+C too) the partial folder goes, and ``target`` is as it was."""
    partial = _make_partial(target)
    try:
        with refusing(target, "cannot save there"):
            write(partial)
        _rename_into_place(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists: a partial folder of a live one is a save under way."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # another user's
        return True
    return True


def clean_leftovers(base: Path) -> None:
    """Remove the partial folders under ``base`` of saves whose process is gone."""
    try:
        with os.scandir(base) as entries:
            names = [entry.name for entry in entries if entry.name.startswith(PARTIAL)]
    except OSError:
        return  # nothing to clean where nothing can be listed
    for name in names:
        pid = name[len(PARTIAL) :].split("-", 1)[0]
        if pid.isascii() and pid.isdigit() and not _alive(int(pid)):
            leftover = Path(base) / name
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:  # a file of write_atomically's
                with suppress(OSError):
                    leftover.unlink()


def save_run(directory: Path, record: RunRecord) -> Path:
    """Write the run into ``directory`` whole, or not at all: into a partial folder beside
    it, renamed onto it when complete. ``directory`` must be absent or an empty folder."""
    directory = Path(directory)
    check_writable(directory)
    with refusing(directory, "cannot write there"):
        directory.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(directory.parent)
    _in_partial(directory, lambda partial: _write_run(partial, record))
    return directory


def replace_run(directory: Path, record: RunRecord) -> Path:
    """Save over the folder that holds an earlier save of this same run: its last
    checkpoint, or the run being continued. The new save is written whole beside it,
    then the two swap by renames, and the old goes only once the new is in place; a kill
    between the two renames leaves the old run whole in ``.tui-lstm-replaced-...``.
    A folder that is absent or empty is saved into as ``save_run`` does."""
    directory = Path(directory)
    if not _exists(directory / SUMMARY):
        return save_run(directory, record)
    partial = _make_partial(directory)
    old = directory.parent / f"{REPLACED}{os.getpid()}-{secrets.token_hex(4)}-{directory.name}"
    try:
        with refusing(directory, "cannot save there"):
            _write_run(partial, record)
            if _exists(directory / NOTE):  # the user's, not the run's: it stays with the run
                _write_file(partial / NOTE, read_text(directory / NOTE, JSON_LIMIT).encode())
                sync_folder(partial)
            os.rename(directory, old)
        try:
            with refusing(directory, "cannot save there"):
                os.rename(partial, directory)
        except BaseException:
            os.rename(old, directory)  # the old run back where it was
            raise
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return directory


def reserve_run_dir(directory: Path) -> Path:
    """Make ``directory`` an empty folder for a run to be saved into, before it trains: a
    folder that cannot take the run is refused now, not after the work is done. An empty
    folder is free (a killed run leaves one); the rename the save will end with is tried
    once, with an empty partial folder, so a parent that takes no new folder is found too."""
    directory = Path(directory)
    check_writable(directory)
    with refusing(directory, "cannot write there"):
        directory.mkdir(parents=True, exist_ok=True)
    _in_partial(directory, lambda partial: None)
    return directory


def safe_name(text: str) -> str:
    """``text`` (a preset's name, read from a file) as one harmless folder name: letters,
    digits and ``_.+-`` only, never hidden, never a path, at most 64 characters."""
    return UNSAFE_CHARACTERS.sub("_", text)[:NAME_LENGTH].lstrip("._-") or "run"


def fresh_run_dir(base: Path, config: TrainConfig, stem: str | None = None) -> Path:
    """A new empty folder ``base/<stem>`` (by default ``<preset>-seed<seed>``), or with -2,
    -3, ... if that is taken: each made with an exclusive mkdir, so runs started together
    never share one."""
    base = Path(base)
    with refusing(base, "cannot write there"):
        base.mkdir(parents=True, exist_ok=True)
    clean_leftovers(base)
    stem = safe_name(stem) if stem is not None else f"{safe_name(config.preset)}-seed{config.seed}"
    for n in itertools.count(1):
        folder = base / (stem if n == 1 else f"{stem}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as error:
            raise RunError(f"{folder}: cannot write there ({_reason(error)})") from None
        if folder.resolve().parent != base.resolve():
            raise RunError(f"{folder}: outside {base}")
        _in_partial(folder, lambda partial: None)
        return folder


def rescue_run(record: RunRecord) -> Path:
    """Keep a run whose own folder could not be written where it can be recovered: a new
    folder in the temporary directory, written the same whole-or-nothing way."""
    with refusing(Path(tempfile.gettempdir()), "cannot write there"):
        folder = Path(tempfile.mkdtemp(prefix=UNSAVED))
    try:
        return save_run(folder, record)
    except BaseException:
        with suppress(OSError):  # removed only if still empty: a finished save is kept
            folder.rmdir()
        raise


def list_runs(base: Path) -> list[Path]:
    """The complete run folders directly under ``base``, sorted. Hidden folders (saves under
    way, or the leftovers of killed ones) and folders without summary.json are no runs."""
    try:
        with os.scandir(base) as entries:
            names = [entry.name for entry in entries if not entry.name.startswith(".")]
    except OSError:
        return []
    return sorted(Path(base) / name for name in names if os.path.isfile(os.path.join(base, name, SUMMARY)))


# -- reading: trust nothing in the folder ---------------------------------------------


def _read_file(path: Path, limit: int, what: str = "file") -> bytes:
    """A regular file's bytes, at most ``limit`` of them. A FIFO or a device is refused
    before a read (it is opened without blocking), a larger file after ``limit`` bytes."""
    with refusing(path, "cannot read it"):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            raise RunError(f"{path}: no such {what}") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise RunError(f"{path}: not a regular file")
            with open(fd, "rb", closefd=False) as f:
                data = f.read(limit + 1)
        finally:
            os.close(fd)
    if len(data) > limit:
        raise RunError(f"{path}: larger than the {limit:,} bytes such a file may hold")
    return data


def read_text(path: Path, limit: int) -> str:
    try:
        return _read_file(path, limit).decode()
    except UnicodeDecodeError as error:
        raise RunError(f"{path}: not UTF-8 text (byte {error.start})") from None


def read_json(path: Path) -> dict:
    """A JSON object from a file of at most JSON_LIMIT bytes; RunError for anything else."""
    try:
        data = json.loads(read_text(path, JSON_LIMIT))
    except json.JSONDecodeError as error:
        raise RunError(f"{path}: not valid JSON ({error})") from None
    except RecursionError:
        raise RunError(f"{path}: nested too deeply to be a run's JSON") from None
    if not isinstance(data, dict):
        raise RunError(f"{path}: not a JSON object")
    return data


def _format_of(path: Path, data: dict) -> int:
    number = data.pop("format", 0)
    if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= FORMAT:
        raise RunError(f"{path}: format {number!r}; this tui-lstm reads formats 0 to {FORMAT}")
    return number


def _shown(value) -> str:
    """A value from a file, short enough for a one-line message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_csv_text(path: Path) -> str:
    """A CSV file of a run, whole: its writer ends every row with a line end, so a last
    line without one is a file cut short, though what is left of it may still parse."""
    text = read_text(path, TEXT_LIMIT)
    if text and not text.endswith("\n"):
        raise RunError(f"{path}: cut short (its last line has no end)")
    return text


def _check_next_epoch(path: Path, line: int, epoch: int, expected: int) -> None:
    """Refuse an epoch out of its place: a continued run would write on under the wrong numbers."""
    if epoch != expected:
        raise RunError(f"{path}: line {line} is epoch {_shown(epoch)}, not {expected}")


def read_history(path: Path) -> list[EpochMetrics]:
    """The rows of history.csv, of any format (before format 2 it had no eval_exact_accuracy):
    epochs 1, 2, ... in order."""
    rows = csv.reader(io.StringIO(read_csv_text(path), newline=""))
    try:
        columns = tuple(next(rows, ()))
        if columns not in (EpochMetrics.COLUMNS, EpochMetrics.COLUMNS[:-1]):
            raise RunError(f"{path}: expected the columns {', '.join(EpochMetrics.COLUMNS)}")
        found = []
        for row in rows:
            found.append(_epoch_row(path, rows.line_num, row, len(columns)))
            _check_next_epoch(path, rows.line_num, found[-1].epoch, len(found))
        return found
    except csv.Error as error:
        raise RunError(f"{path}: line {rows.line_num}: {error}") from None


def _epoch_row(path: Path, line: int, row: list[str], width: int) -> EpochMetrics:
    if len(row) != width:
        raise RunError(f"{path}: line {line} has {len(row)} fields, not {width}")
    try:
        measured = [float(value) for value in row[1:8]]
        scored = float(row[8]) if width > 8 and row[8] else None  # empty in the epochs that did not score
        return EpochMetrics(int(row[0]), *measured, scored)
    except ValueError:
        raise RunError(f"{path}: line {line} is not numbers: {_shown(','.join(row))}") from None


def _probe_layout(path: Path, config: TrainConfig) -> tuple[list[str], list[str]]:
    """What the probe records for a run of ``config``: its cell's states (h first) and
    sigmoid gates, in order; RunError if its layout has no step per bit, so no flow."""
    if config.layout != "bits":
        raise RunError(f"{path}: a {config.layout}-layout run records no gradient flow")
    cell = CELLS[config.cell]
    states = sorted(cell.states, key=lambda name: name != "h")  # as flow.probe orders them
    gates = [name for name, role in cell.gates.items() if role != "candidate"]  # as flow.sigmoid_gates
    return states, gates


def _column_mismatch(columns: list[str], expected: list[str]) -> str:
    """Where a header differs from the probe's columns, in a few words."""
    for found, wanted in zip(columns, expected):
        if found != wanted:
            return f"found {_shown(found)} where {wanted!r} belongs"
    return f"found {len(columns)} columns, not {len(expected)}"


def read_gradients(path: Path, config: TrainConfig) -> list[EpochFlow]:
    """The rows of gradients.csv (see ``write_gradients``) of a run of ``config``: at least
    one, of epochs k, k + 1, ... (k is 1 unless an older run was continued). RunError, in
    one line, for any damage or for columns other than the probe writes for its cell (a
    file cut short would be continued under a header that does not fit its rows)."""
    states, gates = _probe_layout(path, config)
    lags = PROBE_WIDTH + 1  # a PROBE_WIDTH-bit sum is PROBE_WIDTH + 1 steps
    norm_columns = [f"{state}{k}" for state in states for k in range(lags)]
    expected = ["epoch", *norm_columns, *(f"{gate}_saturated" for gate in gates)]
    rows = csv.reader(io.StringIO(read_csv_text(path), newline=""))
    try:
        columns = next(rows, [])
        if columns != expected:
            raise RunError(
                f"{path}: expected the probe's columns for its {config.cell} cell (epoch, h0, ..., "
                f"{expected[-1]}); {_column_mismatch(columns, expected)}"
            )
        found = []
        for row in rows:
            if len(row) != len(columns):
                raise RunError(f"{path}: line {rows.line_num} has {len(row)} fields, not {len(columns)}")
            try:
                epoch, values = int(row[0]), [float(value) for value in row[1:]]
            except ValueError:
                raise RunError(f"{path}: line {rows.line_num} is not numbers: {_shown(','.join(row))}") from None
            _check_next_epoch(path, rows.line_num, epoch, found[-1].epoch + 1 if found else max(epoch, 1))
            norms = {state: np.array(values[n * lags : (n + 1) * lags]) for n, state in enumerate(states)}
            found.append(EpochFlow(epoch, Flow(norms, dict(zip(gates, values[len(states) * lags :])))))
        if not found:
            raise RunError(f"{path}: no epochs (a run writes it with its first probed epoch)")
        return found
    except csv.Error as error:
        raise RunError(f"{path}: line {rows.line_num}: {error}") from None


def settings_of_format(data: dict, number: int) -> dict:
    """A config's settings as format ``number`` wrote them, with the settings it lacked
    given the values its runs had (see the formats above): a run folder's config.json, a
    sweep.json's base. Changes ``data``."""
    if number == 0:
        data.setdefault("checkpoint_every", FIELD["checkpoint_every"].default)
    if number <= 1:
        data.setdefault("eval_every", 1)
    if number <= 2:
        data.setdefault("lr_anneal_from", 0)
    return data


def load_config(directory: Path) -> TrainConfig:
    path = Path(directory) / CONFIG
    data = read_json(path)
    number = _format_of(path, data)
    try:
        return TrainConfig.from_dict(settings_of_format(data, number))
    except (ConfigError, TypeError) as error:
        raise RunError(f"{path}: {error}") from None


def _check_summary(path: Path, state, provenance, values: dict) -> None:
    """Refuse figures of the wrong JSON type: they would fail later, far from the file."""
    if not isinstance(state, str):
        raise RunError(f"{path}: state {_shown(state)} is not a name")
    if not isinstance(provenance, dict) or not all(isinstance(v, str) for v in provenance.values()):
        raise RunError(f"{path}: provenance {_shown(provenance)} is not a table of names")
    kinds = {f.name: f.type for f in fields(RunSummary)}
    for name, value in values.items():
        kind = kinds[name]
        if not isinstance(value, SUMMARY_TYPES[kind]) or (kind != "bool" and isinstance(value, bool)):
            raise RunError(f"{path}: {name} {_shown(value)} is not a {kind}")
    if values.get("epochs_run", 0) < 0:
        raise RunError(f"{path}: epochs_run {values['epochs_run']} is not a count of epochs")


def load_summary(path: Path, config: TrainConfig) -> tuple[str, RunSummary, dict[str, str]]:
    """(state, summary, provenance) from summary.json, of any format."""
    data = read_json(path)
    if _format_of(path, data) == 0:
        data = {FORMAT_0_NAMES.get(key, key): value for key, value in data.items()}
        data["eval_all_pairs"] = data.get("eval_pairs") == 4**config.bits
    state, provenance = data.pop("state", "stopped"), data.pop("provenance", {})
    known = {f.name for f in fields(RunSummary)}
    values = {key: value for key, value in data.items() if key in known}
    _check_summary(path, state, provenance, values)
    try:
        summary = RunSummary(**values)
        summary.generalization = {int(width): float(exact) for width, exact in summary.generalization.items()}
    except (TypeError, ValueError) as error:
        raise RunError(f"{path}: generalization: {error}") from None
    return state, summary, provenance


def model_size_limit(config: TrainConfig) -> int:
    """The most bytes a model file of ``config`` is read to: 64 a weight (float64 weights
    with an optimizer's state, and room to spare) and 16 MiB for the archive's own parts.
    Counted from the shapes alone: nothing is allocated before the file is sized up."""
    layout = LAYOUT[config.layout]
    cell = CELLS[config.cell](layout.input_size(config.bits), config.hidden, config.activation)
    head = Dense(config.hidden, layout.output_size(config.bits), layout.per_step_output)
    weights = sum(math.prod(shape) for part in (cell, head) for shape in part.shapes().values())
    return 64 * weights + 16 * MiB


def _exists(path: Path) -> bool:
    """Whether anything is at ``path``; an error other than its absence (a folder that
    cannot be searched) is raised, not taken for absence."""
    try:
        os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def _check_complete(directory: Path) -> None:
    """A run folder, and a whole run: summary.json is written last, so a save cut short has none."""
    with refusing(directory, "cannot read it"):
        if not _exists(directory / CONFIG):
            raise RunError(f"{directory}: not a run folder (no {CONFIG})")
        if not _exists(directory / SUMMARY):
            raise RunError(f"{directory} is not a complete run: no {SUMMARY} (its save was interrupted?)")


def _check_epochs(directory: Path, epochs_run: int, history: list[EpochMetrics], flow: list[EpochFlow]) -> None:
    """The files agree on the epochs run: history.csv, read as epochs 1, 2, ..., has
    epochs_run of them, and gradients.csv, if any, ends with the last. A checkpoint is a
    record of the same moment, so it agrees as a finished run does."""
    if len(history) != epochs_run:
        count = f"{len(history)} epoch{'' if len(history) == 1 else 's'}"
        raise RunError(f"{directory / HISTORY}: {count}, {SUMMARY} says {_shown(epochs_run)}")
    if flow and flow[-1].epoch != epochs_run:
        raise RunError(
            f"{directory / GRADIENTS}: epochs {flow[0].epoch} to {flow[-1].epoch}, {SUMMARY} says {epochs_run}"
        )


def read_training_state(path: Path, config: TrainConfig) -> bytes:
    """training_state.npz's bytes, checked to unpack. A save writes the file only with
    something in it (even nothing, packed, is an archive), so an empty one is damage, not
    a run without one: taken for absent, a run would go on with fresh optimizer moments."""
    data = _read_file(path, model_size_limit(config), "training state")
    if not data:
        raise RunError(f"{path}: empty (0 bytes); a run without a training state has no such file")
    try:
        unpack(data)
    except ValueError as error:
        raise RunError(f"{path}: {error}") from None
    return data


@dataclass
class SavedRun:
    directory: Path
    record: RunRecord
    backend: Backend  # built from the record's model, which it has checked

    @property
    def config(self) -> TrainConfig:
        return self.record.config


def load_run(directory: Path) -> SavedRun:
    """A run folder of any format as a record, with its model built; RunError, in one line,
    if any part is missing, unreadable or damaged."""
    directory = Path(directory)
    _check_complete(directory)
    config = load_config(directory)
    history = read_history(directory / HISTORY)
    results = read_text(directory / RESULTS, TEXT_LIMIT).splitlines()
    state, summary, provenance = load_summary(directory / SUMMARY, config)
    model_path = directory / BACKENDS[config.backend].model_file
    model = _read_file(model_path, model_size_limit(config), "model file")
    try:
        backend = make_backend(config, model)
    except ModelFileError as error:
        raise RunError(f"{model_path}: {error}") from None
    state_path = directory / TRAINING_STATE
    training_state = read_training_state(state_path, config) if _exists(state_path) else b""
    flow = read_gradients(directory / GRADIENTS, config) if _exists(directory / GRADIENTS) else []
    _check_epochs(directory, summary.epochs_run, history, flow)
    record = RunRecord(
        config, state, tuple(history), summary, model, tuple(results), provenance, training_state, tuple(flow)
    )
    return SavedRun(directory, record, backend)
