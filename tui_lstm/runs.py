"""A run folder: everything needed to look at, evaluate or continue a trained model.

    config.json   the TrainConfig, every field
    history.csv   one row per epoch (Keras CSVLogger's columns, plus exact accuracy)
    model.npz     the weights as plain arrays (model.keras for the keras backend)
    results.txt   the report's rows for the test pairs
    summary.json  the end-of-run figures: exhaustive accuracy, generalization, time

A folder that already holds a run is never written over.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from tui_lstm.backends import MODEL_FILES, Backend, ModelFileError, make_backend
from tui_lstm.config import ConfigError, TrainConfig
from tui_lstm.evaluate import predicted_bits
from tui_lstm.task import Pairs, bits_to_int
from tui_lstm.training import EpochMetrics, Trainer

CONFIG, HISTORY, RESULTS, SUMMARY = "config.json", "history.csv", "results.txt", "summary.json"


class RunError(ValueError):
    """A run folder that cannot be written or read."""


def sum_line(cell: str, a: int, b: int, predicted: int) -> str:
    """``93 + 116 = 209, lstm(93,116) = 209``: the truth, then the model's answer."""
    return f"{a} + {b} = {a + b}, {cell}({a},{b}) = {predicted}"


def result_row(index: int, cell: str, a: int, b: int, predicted: int) -> str:
    """The lab report's row: ``num0 : 93 + 116 = 209, lstm(93,116) = 209``."""
    return f"num{index} : {sum_line(cell, a, b, predicted)}"


def result_rows(backend: Backend, config: TrainConfig, pairs: Pairs) -> list[str]:
    bits = predicted_bits(backend, config.layout, pairs)
    return [
        result_row(i, config.cell, int(a), int(b), bits_to_int(row))
        for i, (a, b, row) in enumerate(zip(pairs.a, pairs.b, bits))
    ]


def write_history(path: Path, history: list[EpochMetrics]) -> None:
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


def save_run(directory: Path, trainer: Trainer) -> Path:
    directory = Path(directory)
    check_writable(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CONFIG).write_text(trainer.config.replace(lr=trainer.control.lr).to_json() + "\n")
    write_history(directory / HISTORY, trainer.history)
    trainer.backend.save(directory)
    rows = result_rows(trainer.backend, trainer.config, trainer.test.pairs)
    (directory / RESULTS).write_text("\n".join(rows) + "\n")
    (directory / SUMMARY).write_text(json.dumps(end_figures(trainer), indent=2) + "\n")
    return directory


def end_figures(trainer: Trainer) -> dict:
    """What summary.json holds: the run's state and its RunSummary, as plain JSON types."""
    return {"state": trainer.state, **asdict(trainer.summary)}


@dataclass
class SavedRun:
    directory: Path
    config: TrainConfig
    history: list[EpochMetrics]
    backend: Backend


def load_config(directory: Path) -> TrainConfig:
    path = Path(directory) / CONFIG
    try:
        return TrainConfig.from_dict(json.loads(path.read_text()))
    except FileNotFoundError:
        raise RunError(f"{directory}: not a run folder (no {CONFIG})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RunError(f"{path}: not valid JSON ({error})") from None
    except (ConfigError, TypeError) as error:
        raise RunError(f"{path}: {error}") from None


def load_run(directory: Path) -> SavedRun:
    """Config, history and model of a run folder; RunError if any part is unusable."""
    directory = Path(directory)
    config = load_config(directory)
    try:
        backend = make_backend(config, directory / MODEL_FILES[config.backend])
    except ModelFileError as error:
        raise RunError(str(error)) from None
    history_path = directory / HISTORY
    try:
        history = read_history(history_path) if history_path.exists() else []
    except (ValueError, KeyError) as error:
        raise RunError(f"{history_path}: {error}") from None
    return SavedRun(directory, config, history, backend)
