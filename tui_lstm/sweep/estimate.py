"""What a planned run will cost, for ``sweep --dry-run``: time measured here, memory counted.

The time is measured, not modelled: a few batches of the run's model on this machine's
NumPy engine (a Keras run is timed on the NumPy engine too, which the lab report's model
runs at 0.8x Keras's epoch time), scaled to the run's epochs, samples and the pairs it
scores each epoch. Runs of one shape are timed once. It is an estimate: a run with
``--until-exact`` may end much sooner, and a busy machine runs slower.
"""

from __future__ import annotations

import time
from functools import cache

import numpy as np

from tui_lstm.backends import make_backend
from tui_lstm.config import TrainConfig
from tui_lstm.control import Control
from tui_lstm.evaluate import GENERALIZATION_PAIRS, GENERALIZATION_WIDTHS, RANDOM_EVAL_PAIRS
from tui_lstm.resources import estimate, peak
from tui_lstm.seeding import TRAIN, rng_for
from tui_lstm.task import EXHAUSTIVE_MAX_WIDTH, LAYOUT, Dataset, random_pairs

PROBE_BATCHES = 4


@cache
def _per_pair(shape: TrainConfig) -> tuple[float, float]:
    """Seconds to train on one pair and to score one pair, for configs of this shape."""
    backend = make_backend(shape)
    data = Dataset.of(LAYOUT[shape.layout], random_pairs(rng_for(0, TRAIN), shape.samples, shape.bits))
    started = time.perf_counter()
    backend.fit_epoch(1, data, np.arange(shape.samples), shape.batch_size, Control(shape.lr), lambda step, loss: None)
    trained = time.perf_counter()
    backend.evaluate(data)
    scored = time.perf_counter()
    return (trained - started) / shape.samples, (scored - trained) / shape.samples


def run_seconds(config: TrainConfig, until_exact: bool = False) -> float:
    """About how long a run of ``config`` trains and tests here, with one BLAS thread."""
    probe_samples = min(config.samples, PROBE_BATCHES * config.batch_size)
    shape = config.replace(backend="numpy", samples=probe_samples, seed=0, epochs=1)
    train, score = _per_pair(shape)
    every_pair = 4**config.bits if config.bits <= EXHAUSTIVE_MAX_WIDTH else RANDOM_EVAL_PAIRS
    scored = config.test_samples + (every_pair if until_exact or config.bits <= EXHAUSTIVE_MAX_WIDTH else 0)
    final = every_pair * score
    if config.layout == "bits":  # the longer widths cost in proportion to their steps
        final += sum(GENERALIZATION_PAIRS * score * (width + 1) / (config.bits + 1) for width in GENERALIZATION_WIDTHS)
    return config.epochs * (config.samples * train + scored * score) + final


def run_bytes(config: TrainConfig) -> int:
    return peak(estimate(config))
