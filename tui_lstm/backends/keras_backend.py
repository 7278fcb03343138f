"""The keras backend: the lab report's own engine, behind the same protocol as the NumPy one.

The model is the report's, generalized over cells and layouts:

    Input (T, D) -> LSTM | GRU(reset_after=False) | SimpleRNN (H, act) -> Dense(K, sigmoid | softmax)

with the recurrent layer returning every step for the ``bits`` layout (a head on each
step; any length, so a model trained on 8 steps adds 64-bit numbers too) and only the
last for ``numbers`` and ``onehot``. The data stay time-major (T, N, D) everywhere else
in tui-lstm; they are transposed to Keras' batch-major (N, T, D) at this boundary only.

One thread does all the Keras work. Keras keeps its state, the seed among it, per
thread, so seeding, building, compiling and fitting must happen in one thread; yet the
console constructs a backend in its UI thread and trains in a worker thread. So each
backend owns a thread of its own and every method hands its work to it: it does not
matter which thread calls. TensorFlow is imported on that thread too, so constructing a
fresh backend returns at once instead of freezing the console for the seconds the import
takes; the first call that needs the model waits for it. A saved model, though, is loaded
before the constructor returns, so that a bad one is refused where it was asked for.

Keras reads and writes ``.keras`` files by path only, so a model's bytes pass through a
private temporary folder on their way in and out.

Keras' ``fit`` keeps its predictions to itself, so the training outputs an epoch
reports are the model's after the epoch (one more forward pass), where the NumPy
backend's are those it made during the epoch.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from tui_lstm.backends import BACKENDS, EpochFit, ModelFileError
from tui_lstm.backends.keras_weights import numpy_network
from tui_lstm.config import TrainConfig
from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.losses import make_loss
from tui_lstm.task import LAYOUT

KERAS_LOSSES = {"mse": "mean_squared_error", "bce": "binary_crossentropy", "ce": "sparse_categorical_crossentropy"}
# what a layer computes, beyond its weights' shapes: models that agree on these take each other's weights
ARCHITECTURE_KEYS = (
    "units",
    "activation",
    "recurrent_activation",
    "return_sequences",
    "go_backwards",
    "reset_after",
    "use_bias",
)
PREDICT_CHUNK = 4096  # rows per forward pass, to bound memory
KERAS_BYTES_PER_WEIGHT, KERAS_FILE_ROOM = 32, 2**20  # the most a .keras file of a model may declare, unpacked
MODEL_FILE = BACKENDS["keras"].model_file

_import_lock = threading.Lock()
_keras = None


@contextmanager
def _stderr_silenced():
    """Point file descriptor 2 at /dev/null: what C++ libraries print there goes nowhere."""
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras():
    """Keras on TensorFlow, with their logging kept off the terminal.

    TF_CPP_MIN_LOG_LEVEL=3 must be set before the import to silence TensorFlow's C++
    logging; but TF 2.21 still prints a few lines through absl before absl's log is set
    up, which no setting reaches, so standard error is silenced for the import itself
    (any thread writing to it meanwhile is silenced too, for those seconds).
    """
    global _keras
    with _import_lock:
        if _keras is None:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
            os.environ.setdefault("KERAS_BACKEND", "tensorflow")
            with _stderr_silenced():
                import absl.logging
                import keras
                import tensorflow as tf
            absl.logging.set_verbosity(absl.logging.ERROR)
            tf.get_logger().setLevel("ERROR")
            _keras = keras
    return _keras


def build_model(keras, config: TrainConfig):
    """The config's model, with fresh weights from the global Keras seed."""
    layout = LAYOUT[config.layout]
    steps = None if layout.per_step_output else layout.steps(config.bits)
    twin = CELLS[config.cell].keras  # the config refuses a cell without one
    recurrent = getattr(keras.layers, twin.layer)
    return keras.Sequential(
        [
            keras.Input((steps, layout.input_size(config.bits))),
            recurrent(
                config.hidden, activation=config.activation, return_sequences=layout.per_step_output, **twin.options
            ),
            keras.layers.Dense(layout.output_size(config.bits), activation="softmax" if layout.softmax else "sigmoid"),
        ]
    )


def make_keras_loss(keras, config: TrainConfig):
    """The config's loss as a Keras loss function (y_true, y_pred) -> per-sample loss.

    ``weighted-mse`` takes its weights from the NumPy loss, so both backends weigh
    the bits alike.
    """
    if config.loss != "weighted-mse":
        return keras.losses.get(KERAS_LOSSES[config.loss])
    exponents = LAYOUT[config.layout].bit_exponents(config.bits)
    weights = make_loss("weighted-mse", exponents).weights  # (K,), mean 1

    def weighted_mse(y_true, y_pred):
        y_pred = keras.ops.convert_to_tensor(y_pred)
        error = y_pred - keras.ops.cast(y_true, y_pred.dtype)
        return keras.ops.mean(keras.ops.cast(weights, y_pred.dtype) * keras.ops.square(error), axis=-1)

    return weighted_mse


def signature(model) -> tuple:
    """What a model computes: its input shape, and each layer's kind and settings."""
    layers = tuple(
        (type(layer).__name__, tuple((key, layer.get_config().get(key)) for key in ARCHITECTURE_KEYS))
        for layer in model.layers
    )
    return (tuple(model.inputs[0].shape[1:]),) + layers


def describe(model) -> str:
    """A model in one line, e.g. ``(2, 8) -> LSTM(256, relu) -> Dense(8, sigmoid)``."""
    parts = [str(tuple(model.inputs[0].shape[1:])).replace("None", "T")]
    for layer in model.layers:
        config = layer.get_config()
        args = [str(config[key]) for key in ("units", "activation") if key in config]
        parts.append(f"{type(layer).__name__}({', '.join(args)})")
    return " -> ".join(parts)


class KerasBackend:
    def __init__(self, config: TrainConfig, model: bytes | None = None):
        self.config = config
        self.layout = LAYOUT[config.layout]
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keras")
        self._ready = self._executor.submit(self._setup, model)
        if model is not None:
            self._ready.result()

    # -- the Keras thread ------------------------------------------------------------

    def _setup(self, model: bytes | None) -> None:
        """Import, seed, build and compile; then take a saved model's weights, if given."""
        self._thread = threading.get_ident()
        keras = self._keras = import_keras()
        keras.utils.set_random_seed(self.config.seed)  # also seeds Python's and NumPy's global generators
        self.model = build_model(keras, self.config)
        optimizer = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}[self.config.optimizer]
        self._lr = self.config.lr
        self._loss = make_keras_loss(keras, self.config)
        self.model.compile(
            loss=self._loss, optimizer=optimizer(learning_rate=self._lr, global_clipnorm=self.config.clip or None)
        )
        if model is not None:
            self._load(model)

    def _load(self, data: bytes) -> None:
        """Copy the weights of a saved model that computes what the config's does.

        The archive's declared sizes are checked first, so Keras never inflates a zip bomb:
        a .keras file holds the weights and the optimizer's state (float32, three numbers a
        weight with Adam) and a few KB of JSON, well within ``KERAS_BYTES_PER_WEIGHT``."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                declared = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, EOFError, OSError, ValueError):  # Keras would call it "not found"
            raise ModelFileError("not a Keras model file (a .keras file is a zip archive)") from None
        most = KERAS_BYTES_PER_WEIGHT * self.model.count_params() + KERAS_FILE_ROOM
        if declared > most:
            raise ModelFileError(f"declares {declared:,} bytes unpacked, a model of this config needs at most {most:,}")
        try:
            with tempfile.TemporaryDirectory(prefix="tui-lstm-") as folder:
                path = Path(folder) / MODEL_FILE
                path.write_bytes(data)
                saved = self._keras.saving.load_model(path, safe_mode=True, compile=False)
            found = signature(saved)
        except Exception as error:  # a bad zip, missing parts, refused code: each its own type
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ModelFileError(f"not a readable Keras model ({reason})") from None
        weights = saved.get_weights()
        shapes_differ = [w.shape for w in weights] != [w.shape for w in self.model.get_weights()]
        if found != signature(self.model) or shapes_differ:
            raise ModelFileError(f"holds {describe(saved)}, the config needs {describe(self.model)}")
        if not all(np.all(np.isfinite(w)) for w in weights):
            raise ModelFileError("holds NaN or infinite weights")
        self.model.set_weights(weights)

    def _model_bytes(self) -> bytes:
        with tempfile.TemporaryDirectory(prefix="tui-lstm-") as folder:
            path = Path(folder) / MODEL_FILE  # Keras insists on the .keras suffix
            self.model.save(path)
            return path.read_bytes()

    def _call(self, method, *args):
        """Run ``method`` on the Keras thread once the model is ready; return its result."""
        self._ready.result()
        if threading.get_ident() == self._thread:  # called back from inside a fit
            return method(*args)
        return self._executor.submit(method, *args).result()

    def _inputs(self, x: np.ndarray) -> np.ndarray:
        return x.transpose(1, 0, 2).astype(np.float32)  # (T, N, D) -> (N, T, D)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Targets in the head's shape: (N, T) per-step bits -> (N, T, 1); classes stay ints."""
        if self.layout.softmax:
            return y
        return (y[..., None] if self.layout.per_step_output else y).astype(np.float32)

    def _forward(self, x: np.ndarray) -> np.ndarray:
        """x (T, N, D) -> the head's outputs (N, K), or (N, T, 1) per step, in float32."""
        x = self._inputs(x)
        chunks = [self.model.predict_on_batch(x[i : i + PREDICT_CHUNK]) for i in range(0, len(x), PREDICT_CHUNK)]
        return np.concatenate(chunks)

    def _predict(self, x: np.ndarray) -> np.ndarray:
        outputs = self._forward(x).astype(np.float64)
        return outputs.reshape(len(outputs), -1)  # (N, T, 1) -> (N, T)

    def _steering(self, control, on_batch, batch_sizes: list[int]):
        """Callbacks for one epoch's fit: the learning rate before each batch; progress,
        pause and stop after it. Keras logs the running mean loss; each batch's own is
        recovered from the change in the running sum."""
        done = {"batches": 0, "samples": 0, "sum": 0.0}

        def before(batch, logs=None):
            if control.batch_lr != self._lr:
                self._lr = control.batch_lr
                self.model.optimizer.learning_rate.assign(self._lr)

        def after(batch, logs=None):
            n = batch_sizes[batch]
            running_sum = float(logs["loss"]) * (done["samples"] + n)
            batch_loss = (running_sum - done["sum"]) / n
            done.update(batches=batch + 1, samples=done["samples"] + n, sum=running_sum)
            on_batch(batch + 1, batch_loss)
            if control.checkpoint():
                self.model.stop_training = True

        callback = self._keras.callbacks.LambdaCallback(on_train_batch_begin=before, on_train_batch_end=after)
        return callback, done

    def _fit_epoch(self, data, order, batch_size, control, on_batch):
        sizes = [min(batch_size, len(order) - start) for start in range(0, len(order), batch_size)]
        if control.checkpoint():
            return EpochFit(float("nan"), self._predict(data.x), complete=False)
        callback, done = self._steering(control, on_batch, sizes)
        history = self.model.fit(
            self._inputs(data.x[:, order]),
            self._targets(data.y[order]),
            batch_size=batch_size,
            epochs=1,
            shuffle=False,
            verbose=0,
            callbacks=[callback],
        )
        loss = history.history["loss"][-1]
        return EpochFit(float(loss), self._predict(data.x), complete=done["batches"] == len(sizes))

    def _evaluate(self, data):
        outputs = self._forward(data.x)
        loss = float(np.mean(self._loss(self._targets(data.y), outputs)))
        return loss, outputs.astype(np.float64).reshape(len(outputs), -1)

    # -- the protocol, callable from any thread -------------------------------------

    def fit_epoch(self, epoch, data, order, batch_size, control, on_batch):
        return self._call(self._fit_epoch, data, order, batch_size, control, on_batch)  # no setting varies by epoch

    def evaluate(self, data):
        return self._call(self._evaluate, data)

    def predict(self, x):
        return self._call(self._predict, x)

    def snapshot(self):
        return self._call(lambda: self.model.get_weights())

    def restore(self, snapshot):
        self._call(lambda: self.model.set_weights(snapshot))

    def model_bytes(self) -> bytes:
        """A .keras file's bytes, compiled as trained. A weighted-mse model names a loss only
        tui-lstm defines, so other programs load it with ``compile=False``, as this one does."""
        return self._call(self._model_bytes)

    def training_state(self) -> dict:
        """Nothing: Keras keeps its own optimizer and random state, which a continued run
        starts afresh (only the NumPy engine continues exactly as if never stopped)."""
        return {}

    def load_training_state(self, state: dict) -> None:
        pass

    def numpy_network(self):
        """Read here, not on the Keras thread: TensorFlow variables may be read from any
        thread, and the console's inspector should not wait for a running epoch to end."""
        self._ready.result()
        weights = self.model.get_weights()
        return numpy_network(self.config.cell, self.config.activation, self.layout.per_step_output, weights, np.float32)
