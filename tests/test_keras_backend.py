"""The keras backend: the protocol, steering from another thread, run folders, bad input.

Models here are tiny (8 units, a few dozen samples, two epochs) so that the file runs
in seconds; what it checks does not depend on size.
"""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from tui_lstm.backends import make_backend
from tui_lstm.cli import main
from tui_lstm.config import PRESETS, ConfigError, preset
from tui_lstm.control import Control
from tui_lstm.nn.losses import make_loss
from tui_lstm.runs import RESULTS, load_run
from tui_lstm.session import Session, result_rows
from tui_lstm.task import LAYOUT, Dataset, random_pairs
from tui_lstm.training import EpochMetrics

TINY = dict(hidden=8, samples=64, test_samples=20, epochs=2, batch_size=16)
TINY_FLAGS = ["--hidden", "8", "--samples", "64", "--test-samples", "20", "--epochs", "2", "--batch-size", "16"]


def tiny(**overrides):
    return preset("report-keras", **{**TINY, **overrides})


def dataset(config, n=64, seed=0):
    return Dataset.of(LAYOUT[config.layout], random_pairs(np.random.default_rng(seed), n, config.bits))


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory):
    """A run folder trained by the CLI on the keras backend."""
    out = tmp_path_factory.mktemp("runs") / "report-keras"
    assert main(["train", "--headless", "--preset", "report-keras", *TINY_FLAGS, "--out", str(out)]) == 0
    return out


def test_tensorflow_is_imported_only_when_the_backend_is_used():
    code = (
        "import sys, tui_lstm.cli, tui_lstm.training, tui_lstm.runs, tui_lstm.study, tui_lstm.session, "
        "tui_lstm.record, tui_lstm.backends.keras_backend, tui_lstm.backends.keras_weights\n"
        "assert not {'tensorflow', 'keras'} & set(sys.modules), 'imported too early'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_report_keras_is_the_reports_model():
    config = preset("report-keras")
    assert (config.backend, config.layout, config.bits, config.cell) == ("keras", "numbers", 7, "lstm")
    assert (config.hidden, config.activation, config.loss, config.optimizer, config.lr) == (
        256,
        "relu",
        "mse",
        "adam",
        0.001,
    )
    assert (config.samples, config.test_samples, config.epochs, config.batch_size, config.shuffle) == (
        10000,
        100,
        100,
        128,
        False,
    )
    assert PRESETS["report-keras"] == {**PRESETS["report"], "backend": "keras"}


@pytest.mark.parametrize(
    "field, value",
    [("init", "uniform-1"), ("state_noise", 0.3), ("noise_rise", 0.01), ("loss", "sse"), ("cell", "mgu")],
)
def test_numpy_only_settings_are_refused_for_keras(tmp_path, capsys, field, value):
    with pytest.raises(ConfigError) as refused:
        tiny(**{field: value})
    assert refused.value.name == field
    out = tmp_path / "run"
    flag = "--" + field.replace("_", "-")
    assert main(["train", "--headless", "--preset", "report-keras", flag, str(value), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and field in err and "keras" in err
    assert not out.exists()
    preset("report-keras", **{field: value}, backend="numpy")  # the NumPy engine takes it


def test_keras_without_tensorflow_is_refused(monkeypatch):
    monkeypatch.setattr("tui_lstm.backends._tensorflow_installed", lambda: False)
    with pytest.raises(ConfigError) as refused:
        preset("report-keras")
    assert refused.value.name == "backend" and "pip install" in str(refused.value)
    preset("report")


def test_same_seed_same_initial_weights():
    first, second, other = (make_backend(tiny(seed=seed)).snapshot() for seed in (3, 3, 4))
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    assert not np.array_equal(first[0], other[0])


def test_fit_epoch_from_another_thread_reports_every_batch():
    """Built in this thread, trained in a worker, as the console does."""
    config = tiny()
    backend, data = make_backend(config), dataset(config, n=40)
    batches, fits = [], []
    worker = threading.Thread(
        target=lambda: fits.append(
            backend.fit_epoch(
                1, data, np.arange(40), 16, Control(config.lr), lambda step, loss: batches.append((step, loss))
            )
        )
    )
    worker.start()
    worker.join()
    fit = fits[0]
    assert fit.complete and [step for step, _ in batches] == [1, 2, 3]
    assert fit.outputs.shape == (40, 8) and np.all((fit.outputs > 0) & (fit.outputs < 1))
    # each batch's own loss, recovered from Keras' running mean, averages back to the epoch's
    sizes = [16, 16, 8]
    assert sum(n * loss for n, (_, loss) in zip(sizes, batches)) / 40 == pytest.approx(fit.loss, rel=1e-4)


def test_restore_brings_back_a_snapshot():
    """What the trainer does when a loss diverges."""
    config = tiny()
    backend, data = make_backend(config), dataset(config)
    before = backend.snapshot()
    backend.fit_epoch(1, data, np.arange(64), 16, Control(config.lr), lambda step, loss: None)
    assert not np.array_equal(backend.snapshot()[0], before[0])
    backend.restore(before)
    assert all(np.array_equal(a, b) for a, b in zip(backend.snapshot(), before))


def test_stop_takes_effect_within_one_batch():
    config = tiny(batch_size=1)
    backend, data, control = make_backend(config), dataset(config), Control(config.lr)
    steps = []

    def on_batch(step, loss):
        steps.append(step)
        if step == 5:
            control.stop()

    fit = backend.fit_epoch(1, data, np.arange(64), 1, control, on_batch)
    assert not fit.complete and steps == [1, 2, 3, 4, 5]


def test_pause_holds_between_batches_and_lr_changes_apply():
    """A pause holds before the next batch, with the stopwatch stopped, and does not keep
    the model from being read; the lr set meanwhile is the next batch's."""
    config = tiny(batch_size=8)
    backend, data, control = make_backend(config), dataset(config), Control(config.lr)
    steps = []

    def on_batch(step, loss):
        steps.append(step)
        if step == 2:
            control.pause()
            control.lr = 0.25  # read before the next batch

    worker = threading.Thread(
        target=backend.fit_epoch, args=(1, data, np.arange(64), 8, control, on_batch), daemon=True
    )
    control.stopwatch.start()  # as the trainer does
    worker.start()
    try:
        deadline = time.monotonic() + 60  # the first batch waits for TensorFlow's import and tracing
        while (len(steps) < 2 or control.stopwatch.running) and time.monotonic() < deadline:
            time.sleep(0.05)
        held = control.stopwatch.seconds
        time.sleep(0.4)
        assert steps == [1, 2] and control.paused
        assert not control.stopwatch.running and control.stopwatch.seconds == held
        inspector = threading.Thread(target=backend.numpy_network, daemon=True)  # does not wait for the epoch
        inspector.start()
        inspector.join(10)
        assert not inspector.is_alive()
    finally:
        control.resume()
        worker.join(60)
    assert steps == list(range(1, 9)) and control.stopwatch.running  # it runs again after the pause
    assert backend._call(lambda: float(backend.model.optimizer.learning_rate)) == 0.25
    control.lr_factor = 0.5  # an annealed epoch's
    backend.fit_epoch(2, data, np.arange(64), 8, control, lambda step, loss: None)
    assert backend._call(lambda: float(backend.model.optimizer.learning_rate)) == 0.125


def test_model_bytes_round_trip():
    """A backend built from another's bytes predicts what it does (after training, so not
    merely the same seed's initial weights)."""
    config = tiny()
    backend, data = make_backend(config), dataset(config)
    fresh = backend.predict(data.x)
    backend.fit_epoch(1, data, np.arange(64), 16, Control(config.lr), lambda step, loss: None)
    trained = backend.predict(data.x)
    assert not np.array_equal(trained, fresh)
    copy = make_backend(config, backend.model_bytes())
    assert np.array_equal(copy.predict(data.x), trained)
    assert copy.model_bytes()[:2] == b"PK"  # a .keras file is a zip archive


def test_a_keras_record_saves_without_tensorflow(tmp_path):
    """Saving is writing a record's bytes: a process where TensorFlow cannot be imported saves
    a Keras run's record, and the folder loads here with the model the run trained."""
    record = Session().train(tiny())
    (tmp_path / "record.pickle").write_bytes(pickle.dumps(record))
    code = (
        "import pickle, sys\n"
        "sys.modules['tensorflow'] = sys.modules['keras'] = None  # any import of them fails\n"
        "from tui_lstm.runs import save_run\n"
        f"record = pickle.loads(open({str(tmp_path / 'record.pickle')!r}, 'rb').read())\n"
        f"save_run({str(tmp_path / 'run')!r}, record)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    run = load_run(tmp_path / "run")
    assert run.record.model == record.model and run.record.history == record.history
    assert (tmp_path / "run" / "model.keras").read_bytes() == record.model
    assert result_rows(run.backend, run.config, random_pairs(*_test_pairs(run.config))) == record.results


@pytest.mark.parametrize("cell, layout", [("lstm", "numbers"), ("gru", "bits"), ("rnn", "bits"), ("lstm", "onehot")])
def test_numpy_network_computes_what_keras_does(cell, layout):
    onehot = dict(loss="ce", bits=3) if layout == "onehot" else {}
    config = tiny(cell=cell, layout=layout, activation="tanh", **onehot)
    backend, data = make_backend(config), dataset(config, n=32)
    net = backend.numpy_network()
    expected = LAYOUT[layout].predicted_bits(backend.predict(data.x), config.bits)
    probabilities = make_loss(config.loss).probabilities(net.logits(data.x).astype(np.float64))
    np.testing.assert_allclose(probabilities, backend.predict(data.x), atol=1e-5)
    assert np.array_equal(LAYOUT[layout].predicted_bits(probabilities, config.bits), expected)


def test_run_folder_train_eval_predict(keras_run, capsys):
    header = (keras_run / "history.csv").read_text().splitlines()[0]
    assert tuple(header.split(",")) == EpochMetrics.COLUMNS
    assert (keras_run / "model.keras").is_file()
    run = load_run(keras_run)
    assert run.config.backend == "keras" and len(run.record.history) == 2
    # the loaded model answers the test rows as the trained one did
    assert result_rows(run.backend, run.config, random_pairs(*_test_pairs(run.config))) == tuple(
        (keras_run / RESULTS).read_text().splitlines()
    )
    capsys.readouterr()
    assert main(["eval", str(keras_run), "--json"]) == 0
    assert '"pairs": 16384' in capsys.readouterr().out
    assert main(["predict", str(keras_run), "93", "116"]) == 0
    assert capsys.readouterr().out.startswith("93 + 116 = 209, lstm(93,116) = ")


def _test_pairs(config):
    from tui_lstm.seeding import TEST, rng_for

    return rng_for(config.seed, TEST), config.test_samples, config.bits


def _foreign(path, units=None, lam=False):
    """A real .keras file of another model: other units, or an unsafe Lambda layer."""
    from tui_lstm.backends.keras_backend import import_keras

    keras = import_keras()
    layers = [
        keras.Input((2, 8)),
        keras.layers.LSTM(units or 8, activation="relu"),
        keras.layers.Dense(8, activation="sigmoid"),
    ]
    if lam:
        layers.append(keras.layers.Lambda(lambda t: t * 2))
    keras.Sequential(layers).save(path)


DAMAGE = {
    "missing": lambda path: path.unlink(),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]),
    "corrupt": lambda path: path.write_bytes(b"not a zip file at all" * 50),
    "foreign shape": lambda path: (path.unlink(), _foreign(path, units=4)),
    "unsafe code": lambda path: (path.unlink(), _foreign(path, lam=True)),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_bad_model_file_is_one_line_exit_2(keras_run, tmp_path, capsys, damage):
    run = tmp_path / "run"
    shutil.copytree(keras_run, run)
    model = run / "model.keras"
    DAMAGE[damage](model)
    before = model.read_bytes() if model.exists() else None
    capsys.readouterr()
    for command in (["eval", str(run)], ["predict", str(run), "1", "2"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "model.keras" in err, err
    assert (model.read_bytes() if model.exists() else None) == before  # nothing lost
    if damage == "foreign shape":
        assert "LSTM(4, relu)" in err and "LSTM(8, relu)" in err
