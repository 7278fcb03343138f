"""A trainer draws its data when a run starts, not when it is built (opening a run in the
console builds one on the UI thread); and that changes no figure: a run saved again before
it continues (ctrl+s on an opened run) still continues exactly."""

import dataclasses

import pytest

from tui_lstm import training
from tui_lstm.config import preset
from tui_lstm.runs import load_run, save_run
from tui_lstm.session import Session
from tui_lstm.task import random_pairs


def continued_from_a_copy(folder, config):
    """Open ``folder``, save it again untouched, and continue the copy to ``config``'s end."""
    opened = Session()
    opened.adopt(load_run(folder))
    save_run(folder.parent / "copy", opened.record())
    session = Session()
    session.adopt(load_run(folder.parent / "copy"))
    return session.train(config)


@pytest.mark.parametrize("name", ["fast", "iamtrask-rnn"])  # fresh pairs every epoch, and not
def test_a_run_saved_again_before_it_continues_still_continues_exactly(tmp_path, name):
    config = preset(name, epochs=4, samples=120)
    whole = Session().train(config)
    save_run(tmp_path / "half", Session().train(config.replace(epochs=2)))
    continued = continued_from_a_copy(tmp_path / "half", config)
    assert continued.history == whole.history and continued.model == whole.model


def test_a_run_without_its_training_state_continues_alike_from_a_copy(tmp_path):
    """A format-0 folder has no training state: a copy of it continues as it does."""
    config = preset("fast", epochs=4, samples=120)
    save_run(tmp_path / "old", dataclasses.replace(Session().train(config.replace(epochs=2)), training_state=b""))
    direct = Session()
    direct.adopt(load_run(tmp_path / "old"))
    assert continued_from_a_copy(tmp_path / "old", config).history == direct.train(config).history


def test_building_a_trainer_draws_no_pairs(monkeypatch):
    drawn = []
    monkeypatch.setattr(training, "random_pairs", lambda *args: drawn.append(args) or random_pairs(*args))
    trainer = training.Trainer(preset("fast", samples=1000, test_samples=200))
    assert drawn == []
    trainer.run()
    assert {n for _, n, _ in drawn} == {1000, 200}
