"""The training loop: epochs, metrics, events, pause and stop, divergence, the final tests.

A ``Trainer`` runs in whatever thread calls ``run()`` and reports only through the
``on_event`` callback; the console turns those events into messages, the headless CLI
into progress lines. Nothing here knows which.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from tui_lstm.backends import Backend, make_backend
from tui_lstm.config import TrainConfig
from tui_lstm.control import Control
from tui_lstm.evaluate import Scores, generalization, score, score_evaluation_pairs
from tui_lstm.nn.flow import Flow, probe
from tui_lstm.seeding import EVAL, SHUFFLE, TEST, TRAIN, rng_for, rng_state, set_rng_state
from tui_lstm.stopwatch import Stopwatch
from tui_lstm.task import EXHAUSTIVE_MAX_WIDTH, LAYOUT, Dataset, Pairs, random_pairs, sum_bits

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
    lr: float  # its batches': the control's, times the epoch's lr_factor
    eval_exact_accuracy: float | None = None  # on every evaluation pair, in the epochs that score them

    COLUMNS = (
        "epoch",
        "loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
        "exact_accuracy",
        "val_exact_accuracy",
        "lr",
        "eval_exact_accuracy",
    )


@dataclass(frozen=True)
class EpochFlow:
    """How far back the error reached after one epoch, and how saturated the gates were
    (``nn/flow.py``): a row of gradients.csv."""

    epoch: int
    flow: Flow


@dataclass(frozen=True)
class RunStarted:
    """A run, new or continued, has begun its first batch."""

    test_pairs: Pairs  # what it is tested on, drawn in the run's thread: the results table's rows


@dataclass(frozen=True)
class BatchDone:
    epoch: int
    samples_per_second: float


@dataclass(frozen=True)
class EpochDone:
    metrics: EpochMetrics
    epochs: int
    elapsed: float  # seconds since the run started, pauses excluded
    samples_per_second: float
    test_predictions: np.ndarray  # (rows, width + 1) predicted sum bits, LSB first
    eval_exact_accuracy: float | None  # over the evaluation pairs; None where not scored each epoch


@dataclass(frozen=True)
class FinalTests:
    """Training is over and the end-of-run tests (every pair, longer numbers) have begun."""


@dataclass(frozen=True)
class RunFinished:
    outcome: str  # finished, stopped or diverged
    summary: RunSummary


@dataclass
class RunSummary:
    """The end-of-run figures. ``eval_*`` are over the evaluation pairs: every pair of the
    operand width where they are few enough to list (``eval_all_pairs``), else a random
    sample of ``evaluate.RANDOM_EVAL_PAIRS``."""

    epochs_run: int = 0
    train_seconds: float = 0.0
    eval_exact_accuracy: float | None = None
    eval_bit_accuracy: float | None = None  # the test bit accuracy without the 100 rows' luck
    eval_pairs: int = 0
    eval_all_pairs: bool = False
    test_exact_accuracy: float | None = None
    test_bit_accuracy: float | None = None
    generalization: dict[int, float] = field(default_factory=dict)
    message: str = ""


Event = RunStarted | BatchDone | EpochDone | FinalTests | RunFinished


def pairs_for_testing(config: TrainConfig) -> Pairs:
    """The pairs a run of ``config`` is tested on: its first REPORT_ROWS are the results table's."""
    return random_pairs(rng_for(config.seed, TEST), config.test_samples, config.bits)


class Trainer:
    """Trains one config. ``run()`` blocks; ``control`` steers it from other threads.

    ``outcome`` is None until a run ends, then finished, stopped or diverged.
    """

    def __init__(
        self,
        config: TrainConfig,
        on_event: Callable[[Event], None] = lambda event: None,
        *,
        until_exact: bool = False,
        backend: Backend | None = None,
        control: Control | None = None,
    ):
        self.config = config
        self.on_event = on_event
        self.until_exact = until_exact
        self.control = control or Control(config.lr)
        self.backend = backend or make_backend(config)
        self.layout = LAYOUT[config.layout]
        self.train_rng = rng_for(config.seed, TRAIN)
        self.shuffle_rng = rng_for(config.seed, SHUFFLE)
        self.train: Dataset | None = None  # drawn when training starts: see training_set()
        self.history: list[EpochMetrics] = []
        self.flow: list[EpochFlow] = []  # a row an epoch, for a bits-layout model (see probe_flow)
        self.summary = RunSummary()
        self.outcome: str | None = None
        self._last_eval: Scores | None = None  # of the newest kept model, if measured

    def scores(self, epoch: int) -> bool:
        """Whether the evaluation pairs are scored after ``epoch``: every ``eval_every``
        epochs (and after the last) where they are few enough to list, or where the run
        stops once they are all right (a continued run may ask). Counted in epochs, never
        in seconds, so that a run does not depend on how busy the machine is."""
        every_pair = self.until_exact or self.config.bits <= EXHAUSTIVE_MAX_WIDTH
        return every_pair and (epoch % self.config.eval_every == 0 or epoch == self.config.epochs)

    @property
    def stopwatch(self) -> Stopwatch:
        return self.control.stopwatch

    def training_state(self) -> dict[str, np.ndarray]:
        """Besides the weights, what a continued run needs to go on exactly as if it had
        never stopped: the random streams and the backend's own (optimizer, noise)."""
        own = {"train_rng": rng_state(self.train_rng), "shuffle_rng": rng_state(self.shuffle_rng)}
        return {**own, **{f"backend.{name}": value for name, value in self.backend.training_state().items()}}

    def resume(self, state: dict[str, np.ndarray]) -> None:
        """Go on from a saved ``training_state()``; ValueError if it does not fit this run."""
        backend = {name.removeprefix("backend."): v for name, v in state.items() if name.startswith("backend.")}
        try:
            set_rng_state(self.train_rng, state["train_rng"])
            set_rng_state(self.shuffle_rng, state["shuffle_rng"])
            self.backend.load_training_state(backend)
        except KeyError as error:
            raise ValueError(f"the training state has no {error}") from None

    # The data are drawn when a run starts, in the thread that trains, not where the trainer
    # is built: ten million pairs take seconds and gigabytes, which opening a run in the
    # console (on its UI thread) must not spend.

    def training_set(self) -> Dataset:
        """The training pairs of the current epoch. The first set is the TRAIN stream's first
        draw; a resumed stream has moved past it, so it is drawn again from a fresh copy of
        the stream, which leaves the resumed one where it was (and ``training_state()``
        right, drawn or not)."""
        if self.train is None:
            fresh = rng_for(self.config.seed, TRAIN)
            moved = not np.array_equal(rng_state(self.train_rng), rng_state(fresh))
            self.train = self._draw_training_set(fresh if moved else self.train_rng)
        return self.train

    @cached_property
    def test(self) -> Dataset:
        return Dataset.of(self.layout, pairs_for_testing(self.config))

    def _draw_training_set(self, rng: np.random.Generator) -> Dataset:
        return Dataset.of(self.layout, random_pairs(rng, self.config.samples, self.config.bits))

    def run(self) -> RunSummary:
        """Train the epochs left. A stop asked before the run began stops it at its first
        batch: clearing an old stop (``control.rearm()``) is for whoever begins the run,
        as ``Session.begin`` does, so that a stop between then and now is not lost."""
        cfg, control, summary, clock = self.config, self.control, self.summary, self.stopwatch
        self.outcome = None
        clock.start()
        try:
            self.outcome = self._epochs(cfg, control, summary, clock)
            if self.outcome != "stopped" and self.history:
                self.on_event(FinalTests())
                self._final_tests()
            elif self.history:
                self._test_figures()
        finally:
            clock.stop()
        self.on_event(RunFinished(self.outcome, summary))
        return summary

    def _epochs(self, cfg: TrainConfig, control: Control, summary: RunSummary, clock: Stopwatch) -> str:
        """Train the epochs left; the outcome: finished, stopped or diverged."""
        self.training_set()  # the first set before any fresh one, as an uninterrupted run drew them
        self.on_event(RunStarted(self.test.pairs))
        good = self.backend.snapshot()
        first = len(self.history) + 1
        for epoch in range(first, cfg.epochs + 1):
            # A pause or stop at an epoch's end (a step's) parks here, before the next
            # epoch's draws: a run saved or stopped there holds its exact end-of-epoch state.
            if epoch > first and control.checkpoint():
                return "stopped"
            if epoch > 1 and cfg.resample:
                self.train = self._draw_training_set(self.train_rng)
            order = self.shuffle_rng.permutation(cfg.samples) if cfg.shuffle else np.arange(cfg.samples)
            started = clock.seconds
            control.lr_factor = cfg.lr_factor(epoch)
            fit = self.backend.fit_epoch(epoch, self.train, order, cfg.batch_size, control, self._batch_reporter(epoch))
            seconds = clock.seconds - started
            summary.train_seconds += seconds
            if not fit.complete:  # stopped mid-epoch: keep the model the history describes
                self.backend.restore(good)
                return "stopped"
            if not math.isfinite(fit.loss):
                return self._diverged(good, epoch, f"loss became {fit.loss}")
            metrics, predictions = self._measure(epoch, fit)
            if not math.isfinite(metrics.val_loss):
                return self._diverged(good, epoch, f"test loss became {metrics.val_loss}")
            good = self.backend.snapshot()
            self._last_eval = self._eval() if self.scores(epoch) else None
            self.probe_flow(epoch)
            exact = None if self._last_eval is None else self._last_eval.exact_accuracy
            metrics = dataclasses.replace(metrics, eval_exact_accuracy=exact)
            self.history.append(metrics)
            summary.epochs_run = epoch
            rate = cfg.samples / max(seconds, 1e-9)
            self.on_event(EpochDone(metrics, cfg.epochs, clock.seconds, rate, predictions, exact))
            if cfg.halve_lr_on_rise and len(self.history) > 1 and metrics.loss > self.history[-2].loss:
                control.lr *= 0.5
            if control.stopped:
                return "stopped"
            if self.until_exact and exact == 1.0:
                return "finished"
        return "finished"

    def _diverged(self, good, epoch: int, what: str) -> str:
        """Put back the model of the epoch before, and say what broke."""
        self.backend.restore(good)
        self.summary.message = f"{what} in epoch {epoch}; kept the model of epoch {epoch - 1}"
        return "diverged"

    def _batch_reporter(self, epoch: int):
        """An on_batch callback: at most one BatchDone every BATCH_EVENT_SECONDS, and the last."""
        steps, clock = self.config.steps_per_epoch, self.stopwatch
        started = clock.seconds
        last = [started]

        def on_batch(step: int, loss: float) -> None:
            now = clock.seconds
            if now - last[0] >= BATCH_EVENT_SECONDS or step == steps:
                last[0] = now
                done = min(step * self.config.batch_size, self.config.samples)
                self.on_event(BatchDone(epoch, done / max(now - started, 1e-9)))

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
            self.control.batch_lr,
        )
        return metrics, test_bits[:REPORT_ROWS]

    def probe_flow(self, epoch: int) -> None:
        """Record the gradient flow through time and the gates' saturation of a bits-layout
        model after ``epoch``, on the fixed probe batch. A measurement, as scoring the
        evaluation pairs is: outside the timed part of the epoch (train_seconds), and it
        draws from no random stream of the run, so it changes nothing the run does next.
        A Keras model is probed through its weights converted to the NumPy network."""
        if self.config.layout == "bits":
            network = self.backend.numpy_network()
            self.flow.append(EpochFlow(epoch, probe(network, self.config.layout, self.config.loss)))

    def _eval(self) -> Scores:
        return score_evaluation_pairs(
            self.backend, self.config.layout, self.config.bits, rng_for(self.config.seed, EVAL)
        )

    def generalization(self) -> dict[int, float]:
        """Exact accuracy of a bits model on random pairs of longer widths, from the run's seed."""
        return generalization(self.backend, rng_for(self.config.seed, EVAL))

    def _test_figures(self) -> None:
        last = self.history[-1]
        self.summary.test_exact_accuracy, self.summary.test_bit_accuracy = last.val_exact_accuracy, last.val_accuracy

    def _final_tests(self) -> None:
        """The test rows' figures, every evaluation pair and, for a bits model, longer numbers."""
        summary = self.summary
        self._test_figures()
        scores = self._last_eval or self._eval()  # a divergence restores that very model
        summary.eval_exact_accuracy, summary.eval_bit_accuracy = scores.exact_accuracy, scores.bit_accuracy
        summary.eval_pairs, summary.eval_all_pairs = scores.pairs, self.config.bits <= EXHAUSTIVE_MAX_WIDTH
        if self.config.layout == "bits":
            summary.generalization = self.generalization()
