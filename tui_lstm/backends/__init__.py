"""Training engines behind one small protocol, and the registry that says what each can do.

A backend is one module plus an entry in ``BACKENDS``: its model file's name, the settings
it refuses and why, whether it can predict while a run is training it, and the module
that holds its class. That module is imported only when a model is built, so
TensorFlow is imported only when the keras backend is asked for, and nothing else in
tui-lstm imports a backend's module by name.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from tui_lstm.control import Control
from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.network import Network
from tui_lstm.task import Dataset

if TYPE_CHECKING:
    from tui_lstm.config import TrainConfig


class ModelFileError(ValueError):
    """Model bytes that are truncated, foreign, unsafe or do not fit the config."""


@dataclass(frozen=True)
class EpochFit:
    """What one pass over the training set measured, batch by batch."""

    loss: float  # mean over samples, as Keras reports it
    outputs: np.ndarray  # (N, K) probabilities for the training rows, in data order
    complete: bool  # False when a stop cut the epoch short


BatchCallback = Callable[[int, float], None]  # (batches done, batch loss)


class Backend(Protocol):
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

    def model_bytes(self) -> bytes:
        """The model as the bytes of its model file."""

    def training_state(self) -> dict[str, np.ndarray]:
        """Besides the weights, what a continued run needs to train on exactly as if it had
        never stopped (optimizer moments, random streams), as plain arrays."""

    def load_training_state(self, state: dict[str, np.ndarray]) -> None:
        """Take back ``training_state()``; ValueError if it does not fit this model."""

    def numpy_network(self) -> Network:
        """The weights as a NumPy network (for inspection)."""


@dataclass(frozen=True)
class BackendSpec:
    name: str
    target: str  # "module:Class" of the backend, constructed as Class(config, model: bytes | None)
    model_file: str  # its name inside a run folder
    predicts_while_training: bool  # False: predicting (and saving) waits until the run ends
    refusals: Callable[[TrainConfig], dict[str, str]]  # field -> why this backend cannot run it

    def make(self, config: TrainConfig, model: bytes | None = None) -> Backend:
        """A backend with fresh weights from the config's seed, or a saved model's."""
        module, _, name = self.target.partition(":")
        return getattr(importlib.import_module(module), name)(config, model)


@functools.cache
def _tensorflow_installed() -> bool:
    return importlib.util.find_spec("tensorflow") is not None  # finds it without importing it


def _keras_refusals(config: TrainConfig) -> dict[str, str]:
    """What the keras backend cannot run: a cell Keras has no layer for, anything without
    TensorFlow installed, and the NumPy engine's own settings.

    Keras initializes as the ``glorot`` scheme does (it is Keras' default); the reproduced programs'
    other schemes, state noise and iamtrask's summed loss exist in the NumPy engine only.
    """
    found = {}
    if CELLS[config.cell].keras is None:
        takes = ", ".join(kind for kind, cell in CELLS.items() if cell.keras is not None)
        found["cell"] = f"cell {config.cell} has no Keras layer; the keras backend takes {takes}"
    if not _tensorflow_installed():
        found["backend"] = "the keras backend needs TensorFlow: pip install 'tui-lstm[keras]'"
    if config.init != "glorot":
        found["init"] = f"init {config.init} is NumPy-only; the keras backend takes init glorot (Keras' own)"
    for name in ("state_noise", "noise_rise"):
        if getattr(config, name):
            found[name] = f"{name} is NumPy-only; the keras backend needs {name} 0"
    if config.loss == "sse":
        found["loss"] = "loss sse is NumPy-only; the keras backend takes mse, weighted-mse, bce or ce"
    return found


BACKENDS = {
    spec.name: spec
    for spec in (
        BackendSpec("numpy", "tui_lstm.backends.numpy_backend:NumpyBackend", "model.npz", True, lambda config: {}),
        # Keras works in one thread of its own, which a live run keeps busy (or holds paused)
        BackendSpec("keras", "tui_lstm.backends.keras_backend:KerasBackend", "model.keras", False, _keras_refusals),
    )
}


def make_backend(config: TrainConfig, model: bytes | None = None) -> Backend:
    return BACKENDS[config.backend].make(config, model)
