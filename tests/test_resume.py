"""A run continued from its folder goes on exactly as if it had never stopped (NumPy backend),
and a session hands out checkpoints while it trains."""

import dataclasses

import pytest

from tui_lstm.config import preset
from tui_lstm.record import pack
from tui_lstm.runs import RunError, load_run, save_run
from tui_lstm.session import Session


@pytest.mark.parametrize("name", ["fast", "iamtrask-rnn", "report-numpy"])
def test_a_run_continued_from_its_folder_matches_an_uninterrupted_one(tmp_path, name):
    config = preset(name, epochs=6, samples=120)
    whole = Session().train(config)
    save_run(tmp_path / "half", Session().train(config.replace(epochs=3)))
    session = Session()
    session.adopt(load_run(tmp_path / "half"))
    continued = session.train(config)
    assert continued.history == whole.history
    assert continued.model == whole.model


def test_without_its_training_state_a_continued_run_differs(tmp_path):
    """What the test above rests on: the weights alone do not make a run continue exactly."""
    config = preset("fast", epochs=6, samples=120)
    whole = Session().train(config)
    half = dataclasses.replace(Session().train(config.replace(epochs=3)), training_state=b"")
    save_run(tmp_path / "half", half)
    session = Session()
    session.adopt(load_run(tmp_path / "half"))
    assert session.train(config).history != whole.history


def test_a_training_state_that_does_not_fit_is_refused(tmp_path):
    record = Session().train(preset("fast", epochs=1, samples=64))
    wrong = pack({"train_rng": b"x", "shuffle_rng": b"x"})
    save_run(tmp_path / "bad", dataclasses.replace(record, training_state=wrong))
    with pytest.raises(RunError, match="training state"):
        Session().adopt(load_run(tmp_path / "bad"))


def test_checkpoints_come_every_n_epochs_but_not_at_the_end():
    taken = []
    session = Session(checkpoint=lambda record: taken.append(record))
    session.train(preset("fast", epochs=7, samples=64, checkpoint_every=3))
    assert [len(record.history) for record in taken] == [3, 6]
    assert all(record.state == "stopped" and "checkpoint" in record.summary.message for record in taken)
    assert all(record.training_state for record in taken)
