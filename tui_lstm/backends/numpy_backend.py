"""The NumPy engine as a backend: minibatch (or per-sample) training of a Network."""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from dataclasses import replace

import numpy as np

from tui_lstm.backends import EpochFit, ModelFileError
from tui_lstm.config import TrainConfig
from tui_lstm.nn.losses import make_loss
from tui_lstm.nn.network import Network
from tui_lstm.nn.optim import clip_global_norm, make_optimizer
from tui_lstm.seeding import INIT, NOISE, rng_for, rng_state, set_rng_state
from tui_lstm.task import LAYOUT


def build_network(config: TrainConfig, rng: np.random.Generator) -> Network:
    layout = LAYOUT[config.layout]
    return Network.build(
        config.cell,
        layout.input_size(config.bits),
        config.hidden,
        layout.output_size(config.bits),
        layout.per_step_output,
        activation=config.activation,
        init=config.init,
        rng=rng,
        dtype=np.float32,
    )


# an .npy member's bytes beyond its data: magic, version and header (NumPy reads 10,000 at most)
NPY_HEADER_ROOM = 16_384


def load_params(data: bytes, expected: dict[str, tuple]) -> dict[str, np.ndarray]:
    """Arrays from the bytes of an .npz, refusing pickles and anything that does not fit ``expected``.

    Nothing the file says is believed before it is checked: each member's declared size
    against what its shape needs (a zip bomb is refused before a byte is inflated), then
    its header's shape and type (an array claiming 149 GiB is refused before it is made).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = _members(archive, expected)
            return {name: _read_member(archive, members[name], shape) for name, shape in expected.items()}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as error:
        # ValueError: a directory that points before the file's start ("negative seek value")
        raise ModelFileError(f"unreadable or truncated ({error})") from None


def _members(archive: zipfile.ZipFile, expected: dict[str, tuple]) -> dict[str, zipfile.ZipInfo]:
    """The archive's members by array name, each checked to declare no more than its array needs."""
    infos = archive.infolist()
    files = sorted(info.filename for info in infos)
    if files != sorted(f"{name}.npy" for name in expected):
        raise ModelFileError(f"holds {files}, expected {sorted(expected)}")
    members = {info.filename.removesuffix(".npy"): info for info in infos}
    for name, info in members.items():
        most = NPY_HEADER_ROOM + 8 * math.prod(expected[name])  # float64, the widest a model is written in
        if info.file_size > most:
            raise ModelFileError(f"{name} declares {info.file_size:,} bytes, the config needs at most {most:,}")
    return members


NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shape: tuple) -> np.ndarray:
    """One member's array, its header checked against ``shape`` before its data are read."""
    name = info.filename.removesuffix(".npy")
    with archive.open(info) as member:
        try:
            version = np.lib.format.read_magic(member)
            if version not in NPY_HEADERS:
                raise ValueError(f".npy format {version[0]}.{version[1]}")
            found, fortran, dtype = NPY_HEADERS[version](member)
        except ValueError as error:  # a malformed header
            raise ModelFileError(f"{name}: refused, not a plain array ({error})") from None
        if dtype.hasobject:  # reading it would unpickle
            raise ModelFileError(f"{name}: refused, it holds Python objects (a pickle), not plain numbers")
        if found != shape or dtype.kind != "f":
            raise ModelFileError(f"{name} is {dtype}{found}, the config needs float{shape}")
        size = math.prod(shape) * dtype.itemsize
        raw = member.read(size + 1)
    if len(raw) != size:
        raise ModelFileError(f"{name} holds {len(raw):,} bytes of data, its header says {size:,}")
    array = np.frombuffer(raw, dtype).reshape(shape, order="F" if fortran else "C")
    if not np.all(np.isfinite(array)):
        raise ModelFileError(f"{name} holds NaN or infinite weights")
    return array


# A diverging run overflows to inf and NaN: the trainer sees that in the loss, stops and
# says so in one line, so NumPy's warnings on the way there are only noise on stderr.
DIVERGING_QUIETLY = np.errstate(over="ignore", invalid="ignore")


class NumpyBackend:
    def __init__(self, config: TrainConfig, model: bytes | None = None):
        layout = LAYOUT[config.layout]
        self.network = build_network(config, rng_for(config.seed, INIT))
        if model is not None:
            for name, value in load_params(model, self.network.shapes()).items():
                self.network.params[name][...] = value
        exponents = layout.bit_exponents(config.bits) if config.loss == "weighted-mse" else None
        self.loss = make_loss(config.loss, exponents)
        self.optimizer = make_optimizer(config.optimizer, config.lr)
        self.grad, self.grad_views = self.network.gradient_buffer()  # each batch's gradient, written in place
        self.config = config  # clipping and the state noise's schedule, read each epoch
        self.noise_rng = rng_for(config.seed, NOISE)

    @classmethod
    def copy_of(cls, backend, config: TrainConfig) -> NumpyBackend:
        """A NumPy backend holding a copy of ``backend``'s weights (either engine's): to score
        a model at length while the run it came from goes on training."""
        copy = cls(replace(config, backend="numpy"))
        for name, value in backend.numpy_network().params.items():
            copy.network.params[name][...] = value
        return copy

    @DIVERGING_QUIETLY
    def fit_epoch(self, epoch, data, order, batch_size, control, on_batch):
        net, loss_fn, optimizer = self.network, self.loss, self.optimizer
        outputs = np.zeros((len(data), net.head.n_out * (data.x.shape[0] if net.head.per_step else 1)))
        total, seen = 0.0, 0
        noise = self._epoch_noise(self.config.state_noise_at(epoch), data.x.shape[0], len(order))
        for step, start in enumerate(range(0, len(order), batch_size)):
            if control.checkpoint():
                return EpochFit(total / max(seen, 1), outputs, complete=False)
            rows = order[start : start + batch_size]
            batch_noise = None if noise is None else noise[:, start : start + batch_size]
            logits, cache = net.forward(data.x[:, rows], batch_noise)
            loss, dlogits = loss_fn(logits, data.y[rows])
            net.backward(dlogits, cache, into=self.grad_views)
            if self.config.clip:
                clip_global_norm(self.grad, self.config.clip)
            optimizer.lr = control.batch_lr
            optimizer.step(net.flat, self.grad)
            outputs[rows] = logits
            total += loss * len(rows)
            seen += len(rows)
            on_batch(step + 1, loss)
        return EpochFit(total / seen, loss_fn.probabilities(outputs), complete=True)

    def _epoch_noise(self, std: float, steps: int, rows: int) -> np.ndarray | None:
        """The state noise for a whole epoch, (T, N, H), drawn in one call."""
        if not std:
            return None
        shape = (steps, rows, self.network.cell.n_hidden)
        noise = self.noise_rng.standard_normal(shape, dtype=np.float32)
        noise *= np.float32(std)
        return noise

    @DIVERGING_QUIETLY
    def evaluate(self, data):
        logits = self.network.logits(data.x)
        return self.loss(logits, data.y)[0], self.loss.probabilities(logits)

    @DIVERGING_QUIETLY
    def predict(self, x):
        return self.loss.probabilities(self.network.logits(x))

    def snapshot(self):
        return self.network.flat.copy()

    def restore(self, snapshot):
        self.network.flat[:] = snapshot

    def model_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, **self.network.params)
        return buffer.getvalue()

    def training_state(self) -> dict[str, np.ndarray]:
        optimizer = {f"optimizer.{name}": value for name, value in self.optimizer.state().items()}
        return {**optimizer, "noise_rng": rng_state(self.noise_rng)}

    def load_training_state(self, state: dict[str, np.ndarray]) -> None:
        optimizer = {name.removeprefix("optimizer."): v for name, v in state.items() if name.startswith("optimizer.")}
        for name in ("m", "v"):
            if name in optimizer and optimizer[name].shape != self.network.flat.shape:
                raise ValueError(
                    f"optimizer.{name} is {optimizer[name].shape}, the model has {self.network.flat.shape}"
                )
        self.optimizer.load_state(optimizer)
        set_rng_state(self.noise_rng, state["noise_rng"])

    def numpy_network(self) -> Network:
        return self.network
