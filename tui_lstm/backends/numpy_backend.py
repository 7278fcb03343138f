"""The NumPy engine as a backend: minibatch (or per-sample) training of a Network."""

from __future__ import annotations

import io
import zipfile

import numpy as np

from tui_lstm.backends import EpochFit, ModelFileError
from tui_lstm.config import TrainConfig
from tui_lstm.nn.losses import make_loss
from tui_lstm.nn.network import Network
from tui_lstm.nn.optim import clip_global_norm, make_optimizer
from tui_lstm.seeding import INIT, NOISE, rng_for
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


def load_params(data: bytes, expected: dict[str, tuple]) -> dict[str, np.ndarray]:
    """Arrays from the bytes of an .npz, refusing pickles and anything that does not fit ``expected``."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ModelFileError("not an .npz model file")
            if set(archive.files) != set(expected):
                raise ModelFileError(f"holds {sorted(archive.files)}, expected {sorted(expected)}")
            params = {name: archive[name] for name in expected}
    except ValueError as error:  # object arrays (pickles) and malformed headers
        if isinstance(error, ModelFileError):
            raise
        raise ModelFileError(f"refused, not plain arrays ({error})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"unreadable or truncated ({error})") from None
    for name, shape in expected.items():
        p = params[name]
        if p.shape != shape or p.dtype.kind != "f":
            raise ModelFileError(f"{name} is {p.dtype}{p.shape}, the config needs float{shape}")
        if not np.all(np.isfinite(p)):
            raise ModelFileError(f"{name} holds NaN or infinite weights")
    return params


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
        self.config = config  # clipping and the state noise's schedule, read each epoch
        self.noise_rng = rng_for(config.seed, NOISE)

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
            grads = net.flatten(net.backward(dlogits, cache))
            if self.config.clip:
                clip_global_norm(grads, self.config.clip)
            optimizer.lr = control.lr
            optimizer.step(net.flat, grads)
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

    def numpy_network(self) -> Network:
        return self.network
