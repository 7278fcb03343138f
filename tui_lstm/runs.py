"""A run folder: everything needed to look at, evaluate or continue a trained model.

    config.json   the TrainConfig, every field, and the folder's format number
    history.csv   one row per epoch (Keras CSVLogger's columns, plus exact accuracy)
    model.npz     the weights as plain arrays (model.keras for the keras backend)
    results.txt   the report's rows for the test pairs
    summary.json  the state the run ended in, its end-of-run figures, and what made them

A folder is written from a ``RunRecord`` alone, and a folder that already holds a run is
never written over.

Formats. Every folder written since format 1 says its number in config.json and
summary.json; a folder without one is format 0. Each format is read with these defaults:

    0  (tui-lstm 0.1.0, before numbers) summary.json named the evaluation figures
       exhaustive_exact_accuracy, exhaustive_bit_accuracy and exhaustive_pairs; they are
       read as eval_exact_accuracy, eval_bit_accuracy and eval_pairs, eval_all_pairs is
       whether those pairs were every pair of the width, and provenance is empty.
    1  as written now.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from tui_lstm.backends import BACKENDS, Backend, ModelFileError, make_backend
from tui_lstm.config import ConfigError, TrainConfig
from tui_lstm.record import RunRecord
from tui_lstm.training import EpochMetrics, RunSummary

FORMAT = 1  # of the folders written now; every earlier one is read too
CONFIG, HISTORY, RESULTS, SUMMARY = "config.json", "history.csv", "results.txt", "summary.json"
FORMAT_0_NAMES = {
    "exhaustive_exact_accuracy": "eval_exact_accuracy",
    "exhaustive_bit_accuracy": "eval_bit_accuracy",
    "exhaustive_pairs": "eval_pairs",
}


class RunError(ValueError):
    """A run folder that cannot be written or read."""


def write_history(path: Path, history) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(EpochMetrics.COLUMNS)
        for row in history:
            writer.writerow([repr(getattr(row, column)) for column in EpochMetrics.COLUMNS])


def read_history(path: Path) -> list[EpochMetrics]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if tuple(reader.fieldnames or ()) != EpochMetrics.COLUMNS:
            raise RunError(f"{path}: expected the columns {', '.join(EpochMetrics.COLUMNS)}")
        return [EpochMetrics(int(row["epoch"]), *(float(row[c]) for c in EpochMetrics.COLUMNS[1:])) for row in reader]


def fresh_run_dir(base: Path, config: TrainConfig) -> Path:
    """``base/<preset>-seed<seed>``, or with -2, -3, ... if that is taken."""
    stem = f"{config.preset}-seed{config.seed}"
    candidate, n = base / stem, 1
    while candidate.exists():
        n += 1
        candidate = base / f"{stem}-{n}"
    return candidate


def check_writable(directory: Path) -> None:
    """Refuse a folder that exists and is not empty: nothing saved is written over."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise RunError(f"{directory} already exists and is not empty; choose another folder")


def summary_figures(record: RunRecord) -> dict:
    """What summary.json holds, as plain JSON types; ``train --json`` prints the same."""
    return {"format": FORMAT, "state": record.state, **asdict(record.summary), "provenance": record.provenance}


def save_run(directory: Path, record: RunRecord) -> Path:
    directory = Path(directory)
    check_writable(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = {"format": FORMAT, **json.loads(record.config.to_json())}
    (directory / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
    write_history(directory / HISTORY, record.history)
    (directory / BACKENDS[record.config.backend].model_file).write_bytes(record.model)
    (directory / RESULTS).write_text("".join(row + "\n" for row in record.results))
    (directory / SUMMARY).write_text(json.dumps(summary_figures(record), indent=2) + "\n")
    return directory


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise RunError(f"{path}: not a JSON object")
    return data


def _format_of(path: Path, data: dict) -> int:
    number = data.pop("format", 0)
    if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= FORMAT:
        raise RunError(f"{path}: format {number!r}; this tui-lstm reads formats 0 to {FORMAT}")
    return number


def load_config(directory: Path) -> TrainConfig:
    path = Path(directory) / CONFIG
    if not path.is_file():
        raise RunError(f"{directory}: not a run folder (no {CONFIG})")
    data = _read_json(path)
    _format_of(path, data)  # every format so far holds the same fields
    try:
        return TrainConfig.from_dict(data)
    except (ConfigError, TypeError) as error:
        raise RunError(f"{path}: {error}") from None


def load_summary(path: Path, config: TrainConfig) -> tuple[str, RunSummary, dict[str, str]]:
    """(state, summary, provenance) from summary.json, of any format."""
    data = _read_json(path)
    if _format_of(path, data) == 0:
        data = {FORMAT_0_NAMES.get(key, key): value for key, value in data.items()}
        data["eval_all_pairs"] = data.get("eval_pairs") == 4**config.bits
    state, provenance = data.pop("state", "stopped"), data.pop("provenance", {})
    known = {f.name for f in fields(RunSummary)}
    try:
        summary = RunSummary(**{key: value for key, value in data.items() if key in known})
        summary.generalization = {int(width): float(exact) for width, exact in summary.generalization.items()}
    except (TypeError, ValueError, AttributeError) as error:
        raise RunError(f"{path}: {error}") from None
    return state, summary, provenance


@dataclass
class SavedRun:
    directory: Path
    record: RunRecord
    backend: Backend  # built from the record's model, which it has checked

    @property
    def config(self) -> TrainConfig:
        return self.record.config


def load_run(directory: Path) -> SavedRun:
    """A run folder of any format as a record, with its model built; RunError if any
    part is unusable."""
    directory = Path(directory)
    config = load_config(directory)
    model_path = directory / BACKENDS[config.backend].model_file
    try:
        model = model_path.read_bytes()
        backend = make_backend(config, model)
    except OSError as error:
        raise RunError(f"{model_path}: no such model file ({error.strerror})") from None
    except ModelFileError as error:
        raise RunError(f"{model_path}: {error}") from None
    history_path, results_path, summary_path = directory / HISTORY, directory / RESULTS, directory / SUMMARY
    try:
        history = read_history(history_path) if history_path.exists() else []
    except (ValueError, KeyError) as error:
        raise RunError(f"{history_path}: {error}") from None
    results = results_path.read_text().splitlines() if results_path.exists() else []
    state, summary, provenance = (
        load_summary(summary_path, config) if summary_path.exists() else ("stopped", RunSummary(), {})
    )
    record = RunRecord(config, state, tuple(history), summary, model, tuple(results), provenance)
    return SavedRun(directory, record, backend)
