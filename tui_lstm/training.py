"""The training loop: epochs, metrics, events, pause and stop, divergence, the final tests.

A ``Trainer`` runs in whatever thread calls ``run()`` and reports only through the
``on_event`` callback; the console turns those events into messages, the headless CLI
into progress lines. Nothing here knows which.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tui_lstm.backends import Backend, make_backend
from tui_lstm.config import TrainConfig
from tui_lstm.control import Control
from tui_lstm.evaluate import exhaustive, generalization, score
from tui_lstm.seeding import EVAL, SHUFFLE, TEST, TRAIN, rng_for
from tui_lstm.task import EXHAUSTIVE_MAX_WIDTH, LAYOUT, Dataset, random_pairs, sum_bits

BATCH_EVENT_SECONDS = 0.1  # at most ten progress events a second
REPORT_ROWS = 100  # test rows carried by each epoch event (the report printed 100)


@dataclass(frozen=True)
class EpochMetrics:
    """One row of history.csv."""

    epoch: int
    loss: float
    accuracy: float  # train bit accuracy, as Keras' binary accuracy
    val_loss: float
    val_accuracy: float
    exact_accuracy: float  # train sums entirely right
    val_exact_accuracy: float
    lr: float

    COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "exact_accuracy", "val_exact_accuracy", "lr")


@dataclass(frozen=True)
class RunStarted:
    config: TrainConfig
    steps_per_epoch: int


@dataclass(frozen=True)
class BatchDone:
    epoch: int
    step: int
    steps: int
    loss: float
    samples_per_second: float


@dataclass(frozen=True)
class EpochDone:
    metrics: EpochMetrics
    epochs: int
    elapsed: float  # seconds since the run started, pauses excluded
    samples_per_second: float
    test_predictions: np.ndarray  # (rows, width + 1) predicted sum bits, LSB first
    exhaustive_exact_accuracy: float | None  # None where the pairs are too many to score each epoch


@dataclass(frozen=True)
class RunFinished:
    state: str  # finished, stopped or diverged
    summary: RunSummary


@dataclass
class RunSummary:
    epochs_run: int = 0
    train_seconds: float = 0.0
    exhaustive_exact_accuracy: float | None = None
    exhaustive_bit_accuracy: float | None = None  # the test bit accuracy without the 100 rows' luck
    exhaustive_pairs: int = 0
    test_exact_accuracy: float | None = None
    test_bit_accuracy: float | None = None
    generalization: dict[int, float] = field(default_factory=dict)
    message: str = ""


Event = RunStarted | BatchDone | EpochDone | RunFinished


class Trainer:
    """Trains one config. ``run()`` blocks; ``control`` steers it from other threads."""

    def __init__(
        self,
        config: TrainConfig,
        on_event: Callable[[Event], None] = lambda event: None,
        *,
        until_exact: bool = False,
        backend: Backend | None = None,
    ):
        self.config = config
        self.on_event = on_event
        self.until_exact = until_exact
        self.control = Control(config.lr)
        self.backend = backend or make_backend(config)
        self.layout = LAYOUT[config.layout]
        self.train_rng = rng_for(config.seed, TRAIN)
        self.shuffle_rng = rng_for(config.seed, SHUFFLE)
        self.train = self._draw_training_set()
        self.test = Dataset.of(self.layout, random_pairs(rng_for(config.seed, TEST), config.test_samples, config.bits))
        self.history: list[EpochMetrics] = []
        self.summary = RunSummary()
        self.state = "ready"
        self.elapsed = 0.0  # seconds of training and measuring, pauses excluded
        # every pair is scored after each epoch where they are few enough to list
        self.cheap_exhaustive = config.bits <= EXHAUSTIVE_MAX_WIDTH
        self._last_exhaustive = None  # the Scores of the newest kept model, if measured

    def _draw_training_set(self) -> Dataset:
        return Dataset.of(self.layout, random_pairs(self.train_rng, self.config.samples, self.config.bits))

    def run(self) -> RunSummary:
        cfg, control, summary = self.config, self.control, self.summary
        self.state = "training"
        control.rearm()
        self._last_exhaustive = None  # a stopped epoch may have moved the weights since
        self.on_event(RunStarted(cfg, cfg.steps_per_epoch))
        good = self.backend.snapshot()
        for epoch in range(len(self.history) + 1, cfg.epochs + 1):
            if epoch > 1 and cfg.resample:
                self.train = self._draw_training_set()
            order = self.shuffle_rng.permutation(cfg.samples) if cfg.shuffle else np.arange(cfg.samples)
            started, paused_before = time.perf_counter(), control.paused_seconds
            fit = self.backend.fit_epoch(
                epoch, self.train, order, cfg.batch_size, control, self._batch_reporter(epoch, started)
            )
            seconds = time.perf_counter() - started - (control.paused_seconds - paused_before)
            summary.train_seconds += seconds
            if not fit.complete:
                self.state = "stopped"
                break
            if not math.isfinite(fit.loss):
                self._diverged(good, epoch, f"loss became {fit.loss}")
                break
            metrics, predictions = self._measure(epoch, fit)
            if not math.isfinite(metrics.val_loss):
                self._diverged(good, epoch, f"test loss became {metrics.val_loss}")
                break
            good = self.backend.snapshot()
            self.history.append(metrics)
            summary.epochs_run = epoch
            self._last_exhaustive = self._exhaustive() if self.until_exact or self.cheap_exhaustive else None
            exact = None if self._last_exhaustive is None else self._last_exhaustive.exact_accuracy
            self.elapsed += time.perf_counter() - started - (control.paused_seconds - paused_before)
            self.on_event(
                EpochDone(metrics, cfg.epochs, self.elapsed, cfg.samples / max(seconds, 1e-9), predictions, exact)
            )
            if cfg.halve_lr_on_rise and len(self.history) > 1 and metrics.loss > self.history[-2].loss:
                control.lr *= 0.5
            if control.stopped:
                self.state = "stopped"
                break
            if self.until_exact and exact == 1.0:
                self.state = "finished"
                break
        else:
            self.state = "finished"
        self._final_tests()
        self.on_event(RunFinished(self.state, summary))
        return summary

    def _diverged(self, good, epoch: int, what: str) -> None:
        """Put back the model of the epoch before, and say what broke."""
        self.backend.restore(good)
        self.state = "diverged"
        self.summary.message = f"{what} in epoch {epoch}; kept the model of epoch {epoch - 1}"

    def _batch_reporter(self, epoch: int, started: float):
        steps = self.config.steps_per_epoch
        paused_before = self.control.paused_seconds
        last = [started]

        def on_batch(step: int, loss: float) -> None:
            now = time.perf_counter()
            if now - last[0] >= BATCH_EVENT_SECONDS or step == steps:
                last[0] = now
                done = min(step * self.config.batch_size, self.config.samples)
                busy = now - started - (self.control.paused_seconds - paused_before)
                self.on_event(BatchDone(epoch, step, steps, loss, done / max(busy, 1e-9)))

        return on_batch

    def _measure(self, epoch: int, fit) -> tuple[EpochMetrics, np.ndarray]:
        """The epoch's metrics, and the predicted bits of the first test rows."""
        width = self.config.bits
        train = score(self.layout.predicted_bits(fit.outputs, width), sum_bits(self.train.pairs))
        val_loss, outputs = self.backend.evaluate(self.test)
        test_bits = self.layout.predicted_bits(outputs, width)
        test = score(test_bits, sum_bits(self.test.pairs))
        metrics = EpochMetrics(
            epoch,
            fit.loss,
            train.bit_accuracy,
            val_loss,
            test.bit_accuracy,
            train.exact_accuracy,
            test.exact_accuracy,
            self.control.lr,
        )
        return metrics, test_bits[:REPORT_ROWS]

    def _exhaustive(self):
        return exhaustive(self.backend, self.config.layout, self.config.bits, rng_for(self.config.seed, EVAL))

    def _final_tests(self) -> None:
        """Test accuracy; unless stopped (a stop means now), every pair and longer numbers."""
        summary = self.summary
        if not self.history:
            return
        last = self.history[-1]
        summary.test_exact_accuracy, summary.test_bit_accuracy = last.val_exact_accuracy, last.val_accuracy
        if self.state == "stopped":
            return
        full = self._last_exhaustive or self._exhaustive()  # a divergence restores that very model
        summary.exhaustive_exact_accuracy, summary.exhaustive_pairs = full.exact_accuracy, full.pairs
        summary.exhaustive_bit_accuracy = full.bit_accuracy
        if self.config.layout == "bits":
            summary.generalization = generalization(self.backend, rng_for(self.config.seed, EVAL))
