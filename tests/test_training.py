"""The loop: it learns, it is deterministic, it stops, pauses and survives divergence."""

import dataclasses
import threading
import time
import warnings

import numpy as np
import pytest

from tui_lstm.backends.numpy_backend import NumpyBackend
from tui_lstm.config import preset
from tui_lstm.runs import write_history
from tui_lstm.training import BatchDone, EpochDone, FinalTests, RunFinished, RunStarted, Trainer


def test_fast_preset_learns_every_pair_and_longer_numbers():
    trainer = Trainer(preset("fast"))
    summary = trainer.run()
    assert trainer.outcome == "finished"
    assert (summary.eval_pairs, summary.eval_all_pairs) == (16_384, True)
    assert summary.eval_exact_accuracy == 1.0
    assert summary.generalization[64] == 1.0
    assert trainer.history[0].loss > trainer.history[-1].loss


def test_the_noise_of_each_epoch_reaches_the_cell():
    """With noise 0 in epoch 1 and rising after, epoch 1 trains as a noiseless model does and
    epoch 2 does not."""
    config = preset("fast", state_noise=0.0, noise_rise=0.5, samples=128, resample=False)
    rising, still = NumpyBackend(config), NumpyBackend(config.replace(noise_rise=0.0))
    trainer = Trainer(config)
    data, order = trainer.training_set(), np.arange(config.samples)
    fits = [
        [b.fit_epoch(epoch, data, order, 64, trainer.control, lambda *_: None).loss for b in (rising, still)]
        for epoch in (1, 2)
    ]
    assert fits[0][0] == fits[0][1]
    assert fits[1][0] != fits[1][1]


def test_clipping_bounds_each_step():
    """Plain SGD moves the weights by lr times the gradient: clipped to norm 0.01, by at most 0.01."""
    config = preset("fast", optimizer="sgd", lr=1.0, samples=64, state_noise=0.0, noise_rise=0.0, resample=False)
    moves = []
    for clip in (0.0, 0.01):
        backend = NumpyBackend(config.replace(clip=clip))
        before = backend.snapshot()
        trainer = Trainer(config)
        backend.fit_epoch(1, trainer.training_set(), np.arange(64), 64, trainer.control, lambda *_: None)
        moves.append(np.linalg.norm(backend.snapshot() - before))
    assert moves[0] > 0.05 and moves[1] == pytest.approx(0.01, rel=1e-4)  # unclipped: 0.065


def test_events_arrive_in_order():
    """Started, the epochs, then the final tests announced before the run says it finished."""
    events = []
    Trainer(preset("fast", epochs=2, samples=200), events.append).run()
    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[-2:] == [FinalTests, RunFinished]
    assert kinds.count(EpochDone) == 2 and BatchDone in kinds
    assert kinds.count(RunStarted) == kinds.count(FinalTests) == 1
    done = [e for e in events if isinstance(e, EpochDone)]
    assert done[-1].test_predictions.shape == (100, 8)
    assert done[-1].eval_exact_accuracy is not None
    assert events[-1].outcome == "finished" and events[-1].summary.eval_exact_accuracy is not None


def test_above_eight_bits_the_evaluation_pairs_are_a_sample():
    """A 9-bit run is scored on random pairs at the end, not each epoch, and says so."""
    events = []
    summary = Trainer(preset("fast", bits=9, epochs=1, samples=64), events.append).run()
    assert [e.eval_exact_accuracy for e in events if isinstance(e, EpochDone)] == [None]
    assert summary.eval_all_pairs is False and summary.eval_pairs < 4**9
    assert summary.eval_exact_accuracy is not None


def test_same_seed_same_history_bytes(tmp_path):
    for name in ("a", "b"):
        trainer = Trainer(preset("fast", epochs=3, seed=5))
        trainer.run()
        write_history(tmp_path / f"{name}.csv", trainer.history)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    other = Trainer(preset("fast", epochs=3, seed=6))
    other.run()
    write_history(tmp_path / "c.csv", other.history)
    assert (tmp_path / "c.csv").read_bytes() != (tmp_path / "a.csv").read_bytes()


def test_until_exact_stops_early():
    trainer = Trainer(preset("fast", epochs=200), until_exact=True)
    summary = trainer.run()
    assert summary.epochs_run < 200
    assert summary.eval_exact_accuracy == 1.0


def test_every_pair_is_scored_every_eval_every_epochs_and_after_the_last():
    trainer = Trainer(preset("fast", epochs=8, samples=64, eval_every=3))
    seen = []
    trainer.on_event = lambda event: isinstance(event, EpochDone) and seen.append(event.eval_exact_accuracy)
    trainer.run()
    scored = [row.epoch for row in trainer.history if row.eval_exact_accuracy is not None]
    assert scored == [3, 6, 8]  # and the history says so, as each epoch's event did
    assert [figure is not None for figure in seen] == [epoch in scored for epoch in range(1, 9)]


def test_until_exact_checks_only_the_scored_epochs():
    every = Trainer(preset("fast", epochs=200), until_exact=True)
    every.run()
    first = every.summary.epochs_run
    sparse = Trainer(preset("fast", epochs=200, eval_every=first + 1), until_exact=True)
    sparse.run()
    assert sparse.summary.epochs_run % (first + 1) == 0  # stopped on a scored epoch, not the first exact one
    unscored = [dataclasses.replace(row, eval_exact_accuracy=None) for row in every.history]
    assert sparse.history[:first] == unscored  # the same training until then


DIVERGING = dict(
    cell="rnn",
    activation="relu",
    init="uniform-1",
    optimizer="sgd",
    lr=1.0,
    hidden=64,
    batch_size=32,
    loss="bce",
    samples=64,
    epochs=5,
    state_noise=0.0,
    resample=False,
)


def test_divergence_stops_the_run_and_keeps_the_last_good_model():
    """A relu RNN with weights of +-1 explodes through time: the loss turns NaN at once."""
    trainer = Trainer(preset("fast", **DIVERGING))
    before = {name: p.copy() for name, p in trainer.backend.network.params.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and quietly: the one line says it all
        trainer.run()
    assert trainer.outcome == "diverged"
    assert "kept the model of epoch 0" in trainer.summary.message
    assert trainer.history == []
    for name, p in trainer.backend.network.params.items():
        assert np.array_equal(p, before[name])


def test_stop_from_another_thread_takes_effect_within_a_batch():
    """A stop means now: no end-of-run tests (no FinalTests), but the test rows' figures."""
    events = []
    trainer = Trainer(preset("iamtrask-rnn", epochs=1000), events.append)
    worker = threading.Thread(target=trainer.run)
    worker.start()
    time.sleep(0.3)
    asked = time.perf_counter()
    trainer.control.stop()
    worker.join(2)
    assert not worker.is_alive()
    assert time.perf_counter() - asked < 1.0
    assert trainer.outcome == "stopped" and events[-1].outcome == "stopped"
    assert not any(isinstance(e, FinalTests) for e in events)
    assert trainer.summary.eval_exact_accuracy is None
    assert trainer.summary.test_exact_accuracy == trainer.history[-1].val_exact_accuracy


def test_pause_holds_and_resume_continues():
    """While paused nothing trains and the stopwatch stands still: pauses are not training time."""
    batches = []
    trainer = Trainer(preset("iamtrask-rnn", epochs=30), lambda e: isinstance(e, BatchDone) and batches.append(e))
    worker = threading.Thread(target=trainer.run)
    worker.start()
    time.sleep(0.2)
    trainer.control.pause()
    deadline = time.monotonic() + 10  # the loop pauses at its next batch (after an epoch's tests, maybe)
    while trainer.stopwatch.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not trainer.stopwatch.running
    during = len(trainer.history), len(batches), trainer.stopwatch.seconds
    time.sleep(0.4)
    assert (len(trainer.history), len(batches), trainer.stopwatch.seconds) == during  # nothing moved
    trainer.control.resume()
    worker.join(30)
    assert trainer.outcome == "finished" and len(trainer.history) == 30
    assert trainer.summary.train_seconds <= trainer.stopwatch.seconds
    assert not trainer.stopwatch.running  # the run's end stops it


def test_lr_changed_mid_run_is_used_and_recorded():
    trainer = Trainer(preset("fast", epochs=2, samples=200, lr_anneal_from=0))
    trainer.on_event = lambda e: isinstance(e, EpochDone) and setattr(trainer.control, "lr", 0.001)
    trainer.run()
    assert [m.lr for m in trainer.history] == [preset("fast").lr, 0.001]
    assert trainer.backend.optimizer.lr == 0.001


def test_the_annealed_rate_is_the_one_each_epoch_trains_at_and_records():
    """From lr_anneal_from to the last epoch of the run as it is now set: a continued run
    with more epochs falls again to its new last, from the rate the console set."""
    trainer = Trainer(preset("fast", epochs=4, samples=64, lr_anneal_from=3))
    rates = []
    fit_epoch = trainer.backend.fit_epoch

    def recording(*args):
        fit = fit_epoch(*args)
        rates.append(trainer.backend.optimizer.lr)  # what the epoch's batches were given
        return fit

    trainer.backend.fit_epoch = recording
    trainer.run()
    lr = preset("fast").lr
    assert rates == [m.lr for m in trainer.history] == pytest.approx([lr, lr, lr * 0.505, lr * 0.01])
    trainer.config, trainer.control.lr = trainer.config.replace(epochs=6), 0.02
    trainer.run()
    assert [m.lr for m in trainer.history[4:]] == rates[4:] == pytest.approx([0.02 * 0.2575, 0.02 * 0.01])


def test_halving_the_lr_when_the_epoch_loss_rises():
    """The report's rule, on a backend whose epoch losses are scripted: 1, 2, 1.5, 1.7, 1."""
    config = preset("report-numpy", epochs=5, samples=20)
    losses = iter([1.0, 2.0, 1.5, 1.7, 1.0])

    class Scripted(NumpyBackend):
        def fit_epoch(self, *args):
            return dataclasses.replace(super().fit_epoch(*args), loss=next(losses))

    trainer = Trainer(config, backend=Scripted(config))
    trainer.run()
    assert [m.lr for m in trainer.history] == [0.005, 0.005, 0.0025, 0.0025, 0.00125]
