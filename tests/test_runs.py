"""A saved run comes back whole: config, history and a model that answers the same."""

import numpy as np

from tui_lstm.config import preset
from tui_lstm.evaluate import predicted_bits
from tui_lstm.runs import fresh_run_dir, load_run, result_row, save_run
from tui_lstm.task import exhaustive_pairs
from tui_lstm.training import Trainer


def test_round_trip(tmp_path):
    trainer = Trainer(preset("gru", epochs=2, samples=100))
    trainer.run()
    save_run(tmp_path / "run", trainer)
    run = load_run(tmp_path / "run")
    assert run.config == trainer.config
    assert run.history == trainer.history
    pairs = exhaustive_pairs(7)
    assert np.array_equal(predicted_bits(run.backend, "bits", pairs), predicted_bits(trainer.backend, "bits", pairs))


def test_fresh_run_dir_never_reuses_a_folder(tmp_path):
    config = preset("fast", seed=4)
    first = fresh_run_dir(tmp_path, config)
    assert first.name == "fast-seed4"
    first.mkdir()
    assert fresh_run_dir(tmp_path, config).name == "fast-seed4-2"


def test_result_row_is_the_reports():
    assert result_row(0, "lstm", 93, 116, 209) == "num0 : 93 + 116 = 209, lstm(93,116) = 209"
