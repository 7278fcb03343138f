"""One validated training configuration, and the named presets that reproduce the original programs.

Each field carries its own range and help text; the CLI's flags and the console's
hyperparameter fields are both generated from them, so a value is checked the same
way wherever it is typed.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field, fields

from tui_lstm.backends import BACKENDS
from tui_lstm.nn.activations import ACTIVATIONS
from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.init import INITS
from tui_lstm.nn.losses import LOSSES
from tui_lstm.nn.optim import OPTIMIZERS
from tui_lstm.task import LAYOUTS, MAX_WIDTH, ONEHOT_MAX_WIDTH

ANNEAL_TO = 0.01  # of the learning rate, in an annealed run's last epoch (see TrainConfig.lr_factor)


class ConfigError(ValueError):
    """A bad value, with the field it belongs to (None for a preset name)."""

    def __init__(self, name: str | None, message: str):
        super().__init__(message)
        self.name = name


def _field(default, help: str, *, choices=None, low=None, high=None, shape=False):
    """A config field; ``shape`` marks fields that change the model's shape."""
    meta = {"help": help, "choices": choices, "low": low, "high": high, "shape": shape}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class TrainConfig:
    preset: str = _field("custom", "the preset these settings started from")
    backend: str = _field("numpy", "training engine", choices=tuple(BACKENDS), shape=True)
    cell: str = _field("lstm", "recurrent cell", choices=tuple(CELLS), shape=True)
    layout: str = _field("bits", "how a sum is fed to the network", choices=LAYOUTS, shape=True)
    bits: int = _field(7, "operand width in bits", low=1, high=MAX_WIDTH, shape=True)
    hidden: int = _field(16, "hidden units", low=1, high=4096, shape=True)
    activation: str = _field("tanh", "the cell's candidate/output activation", choices=tuple(ACTIVATIONS), shape=True)
    init: str = _field("glorot", "weight initialization", choices=INITS, shape=True)
    lr: float = _field(0.05, "learning rate", low=1e-8, high=100.0)
    optimizer: str = _field("adam", "optimizer", choices=OPTIMIZERS, shape=True)
    loss: str = _field("bce", "loss function", choices=LOSSES, shape=True)
    epochs: int = _field(40, "epochs to train", low=1, high=1_000_000)
    batch_size: int = _field(32, "samples per gradient step", low=1, high=1_000_000)
    samples: int = _field(500, "training pairs", low=1, high=10_000_000)
    test_samples: int = _field(100, "test pairs (the results table's rows)", low=1, high=1_000_000)
    seed: int = _field(0, "random seed", low=0, high=2**32 - 1)
    clip: float = _field(0.0, "gradient-norm clipping (0: off)", low=0.0, high=1e6)
    state_noise: float = _field(0.0, "std of noise added to the carried state in training", low=0.0, high=10.0)
    noise_rise: float = _field(0.0, "how much that std rises each epoch after the first", low=0.0, high=10.0)
    noise_max: float = _field(10.0, "the most that std rises to", low=0.0, high=10.0)
    lr_anneal_from: int = _field(
        0,
        "epoch from which the learning rate falls linearly, to a hundredth in the last (0: never)",
        low=0,
        high=1_000_000,
    )
    halve_lr_on_rise: bool = _field(False, "halve the learning rate when the epoch loss rises")
    resample: bool = _field(False, "draw fresh training pairs every epoch")
    shuffle: bool = _field(True, "shuffle the training pairs every epoch")
    checkpoint_every: int = _field(10, "epochs between checkpoints of a headless run (0: none)", low=0, high=1_000_000)
    eval_every: int = _field(1, "epochs between scorings of every pair (and after the last)", low=1, high=1_000_000)

    def __post_init__(self):
        for name, message in self.problems().items():
            raise ConfigError(name, message)

    def problems(self) -> dict[str, str]:
        """Every invalid field with the reason, checked one field and then across fields."""
        found = {}
        for f in fields(self):
            message = check_value(f.name, getattr(self, f.name))
            if message:
                found[f.name] = message
        if found:
            return found
        if self.layout == "onehot":
            if self.loss != "ce":
                found["loss"] = "the onehot layout needs loss ce (softmax over sums)"
            if self.bits > ONEHOT_MAX_WIDTH:
                found["bits"] = f"the onehot layout takes at most {ONEHOT_MAX_WIDTH}-bit operands"
        elif self.loss == "ce":
            found["loss"] = "loss ce needs the onehot layout"
        if self.noise_max < self.state_noise:
            found["noise_max"] = f"noise_max must be at least state_noise ({self.state_noise:g})"
        if self.layout == "numbers" and self.bits > 32:
            found["bits"] = "the numbers layout takes at most 32-bit operands"
        found.update(BACKENDS[self.backend].refusals(self))
        return found

    def replace(self, **changes) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """A config from a saved one, which must name every setting: a default filled in for
        a missing one would describe another model (a 64-bit run read as a 7-bit one). Every
        run folder's config.json has always held them all."""
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(unknown[0], f"unknown setting {unknown[0]!r}")
        missing = [name for name in known if name not in data]
        if missing:
            raise ConfigError(missing[0], f"missing setting {missing[0]!r}")
        for name, value in data.items():
            kind = FIELD[name].type
            if not isinstance(value, _TYPES[kind]) or (kind != "bool" and isinstance(value, bool)):
                raise ConfigError(name, f"{name}: {value!r} is not a {kind}")
        return cls(**data)

    def state_noise_at(self, epoch: int) -> float:
        """The std of the state noise in ``epoch`` (1-based): ``state_noise`` in the first,
        then ``noise_rise`` more each epoch, up to ``noise_max``. The rise is counted in
        epochs, not in parts of the run, so a short run is not a steep one."""
        return min(self.state_noise + self.noise_rise * (epoch - 1), self.noise_max)

    def lr_factor(self, epoch: int) -> float:
        """What the learning rate is multiplied by in ``epoch`` (1-based): 1 before
        ``lr_anneal_from``, then a straight fall to ANNEAL_TO in the last epoch. Adam at a
        high rate leaves the weights wherever the last batches threw them; annealed once
        the model has learnt, they settle (for ``fast``, the difference between a carry
        that holds over 4,096-bit sums and one that slips where some bits of a 7-bit
        training sum happen to line up). From a fixed epoch, not over a share of the
        run: a short run learns at the full rate, and one continued with more epochs is
        the run that was set to those epochs from the start, until the fall begins."""
        start = self.lr_anneal_from
        if not start or epoch < start:
            return 1.0
        return 1.0 - (1.0 - ANNEAL_TO) * (epoch - start + 1) / (self.epochs - start + 1)

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.samples // self.batch_size)


FIELD = {f.name: f for f in fields(TrainConfig)}
_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool}


def check_value(name: str, value) -> str | None:
    """Why ``value`` is not valid for field ``name`` on its own, or None."""
    meta = FIELD[name].metadata
    if meta["choices"] and value not in meta["choices"]:
        return f"{name} must be one of {', '.join(meta['choices'])}, not {value!r}"
    low, high = meta["low"], meta["high"]
    if low is not None and not low <= value <= high:
        style = "," if isinstance(value, int) else "g"  # 4,294,967,295 but 1e-08
        return f"{name} must be between {low:{style}} and {high:{style}}, not {value:{style}}"
    return None


def parse_value(name: str, text: str):
    """A field's value from text, as typed on a command line or in a form field."""
    kind = FIELD[name].type
    text = text.strip()
    try:
        if kind == "int":
            value = int(text)
        elif kind == "float":
            value = float(text)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError
        elif kind == "bool":
            lowered = text.lower()
            if lowered not in ("true", "false", "yes", "no", "1", "0", "on", "off"):
                raise ValueError
            value = lowered in ("true", "yes", "1", "on")
        else:
            value = text
    except ValueError:
        raise ConfigError(name, f"{name}: {text!r} is not a valid {kind}") from None
    message = check_value(name, value)
    if message:
        raise ConfigError(name, message)
    return value


HANBINGTAO = dict(
    cell="lstm",
    hidden=16,
    init="uniform-1e-4",
    optimizer="sgd",
    lr=0.5,
    loss="mse",
    batch_size=1,
    samples=1000,
    epochs=40,
)  # his LSTM's and GRU's training

PRESETS: dict[str, dict] = {
    # The quickest dependable learner: a 16-unit LSTM over bits, Adam (0.1) on batches of 64
    # fresh pairs, with noise on the cell state so that the carry is stored as a sharp,
    # self-restoring value that holds over 64-bit numbers; see benchmarks/time_to_exact.py
    # for how it compares with iamtrask's RNN. Every pair is exact within about 20 epochs;
    # the noise rises meanwhile (0.3, then 0.02 more an epoch up to 1.0 at epoch 36, held
    # there to the end), which gathers the carry, spread at first over several units, into
    # one (see tui_lstm/inspection.py and benchmarks/carry_unit.py). Over the last 40 of
    # its 100 epochs (from epoch 61) the learning rate falls to a hundredth, so that the weights settle
    # rather than stop wherever the last batches threw them: trained on 7-bit sums, 9 of
    # 10 seeds then add 10,000 random 4,096-bit pairs without a mistake, against 6 of 10
    # at a held rate (benchmarks/long_sums.py).
    "fast": dict(
        state_noise=0.3,
        noise_rise=0.02,
        noise_max=1.0,
        epochs=100,
        lr_anneal_from=61,
        resample=True,
        batch_size=64,
        lr=0.1,
    ),
    # iamtrask's bitwise RNN: 16 sigmoid units, weights uniform(-1, 1), per-sample SGD
    # with alpha 0.1 on half the summed squared error; a fresh pair every iteration,
    # 100 x 100 = the post's 10,000 iterations, progress every 100.
    "iamtrask-rnn": dict(
        cell="rnn",
        activation="sigmoid",
        hidden=16,
        init="uniform-1",
        optimizer="sgd",
        lr=0.1,
        loss="sse",
        batch_size=1,
        samples=100,
        epochs=100,
        resample=True,
    ),
    # hanbingtao's LstmLayer: tanh candidate and output, weights uniform(-1e-4, 1e-4),
    # zero biases, plain SGD.
    "hanbingtao-lstm": HANBINGTAO,
    # hanbingtao's GRU (eq. 107-110), trained as his LSTM is.
    "gru": {**HANBINGTAO, "cell": "gru"},
    # The lab report's hand-written LSTM (lstm0.py): operands 0..63 as one-hot tokens,
    # softmax cross-entropy over the sum, per-sample SGD at 0.005, halved whenever the
    # epoch loss rises, 100 hidden units, 1000 samples, 5 epochs.
    "report-numpy": dict(
        layout="onehot",
        bits=6,
        hidden=100,
        init="fan-in",
        optimizer="sgd",
        lr=0.005,
        loss="ce",
        batch_size=1,
        samples=1000,
        epochs=5,
        test_samples=10,
        halve_lr_on_rise=True,
    ),
    # The lab report's Keras model (lstm.py) on the NumPy engine: 8-bit MSB-first operand
    # vectors as two steps, LSTM(256, activation='relu'), Dense(8, sigmoid), MSE, Adam
    # at 0.001, 10000 train / 100 test samples, 100 epochs, batch 128, shuffle off.
    "report": dict(
        layout="numbers",
        eval_every=10,  # scoring all 16,384 pairs costs a third of an epoch of this model
        hidden=256,
        activation="relu",
        lr=0.001,
        loss="mse",
        epochs=100,
        batch_size=128,
        samples=10000,
        shuffle=False,
    ),
}

# The lab report's Keras model (lstm.py) run by Keras itself: the settings of "report".
PRESETS["report-keras"] = {**PRESETS["report"], "backend": "keras"}


def preset(name: str, **overrides) -> TrainConfig:
    """The config of a named preset, with fields overridden."""
    if name not in PRESETS:
        raise ConfigError(None, f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return TrainConfig(**{**PRESETS[name], "preset": name, **overrides})
