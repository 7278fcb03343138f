"""Training engines behind one small protocol, so the loop and the UI never ask which.

TensorFlow is imported only when the keras backend is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from tui_lstm.config import TrainConfig
from tui_lstm.control import Control
from tui_lstm.nn.network import Network
from tui_lstm.task import Dataset

MODEL_FILES = {"numpy": "model.npz", "keras": "model.keras"}  # inside a run folder


class ModelFileError(ValueError):
    """A model file that is missing, truncated, foreign or does not fit the config."""


@dataclass(frozen=True)
class EpochFit:
    """What one pass over the training set measured, batch by batch."""

    loss: float  # mean over samples, as Keras reports it
    outputs: np.ndarray  # (N, K) probabilities for the training rows, in data order
    complete: bool  # False when a stop cut the epoch short


BatchCallback = Callable[[int, float], None]  # (batches done, batch loss)


class Backend(Protocol):
    name: str

    def fit_epoch(
        self, epoch: int, data: Dataset, order: np.ndarray, batch_size: int, control: Control, on_batch: BatchCallback
    ) -> EpochFit:
        """One pass over ``data`` in ``order``; ``epoch`` (1-based) places it in the run."""

    def evaluate(self, data: Dataset) -> tuple[float, np.ndarray]:
        """(mean loss, (N, K) probabilities)."""

    def predict(self, x: np.ndarray) -> np.ndarray:
        """x (T, N, D) -> (N, K) probabilities."""

    def snapshot(self) -> object: ...

    def restore(self, snapshot: object) -> None: ...

    def save(self, directory: Path) -> Path:
        """Write the model file into ``directory``; return its path."""

    def numpy_network(self) -> Network:
        """The weights as a NumPy network (for inspection)."""


def make_backend(config: TrainConfig, model_file: Path | None = None) -> Backend:
    """A backend with fresh weights from the config's seed, or with a saved model's."""
    if config.backend == "keras":
        from tui_lstm.backends.keras_backend import KerasBackend

        return KerasBackend(config, model_file)
    from tui_lstm.backends.numpy_backend import NumpyBackend

    return NumpyBackend(config, model_file)
