"""A saved run comes back whole: config, history, figures and a model that answers the same;
folders of every format this version knows are read, and newer ones are refused in one line."""

import json
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from tui_lstm.cli import main
from tui_lstm.config import TrainConfig, preset
from tui_lstm.evaluate import predicted_bits
from tui_lstm.presentation import result_row
from tui_lstm.record import RunRecord
from tui_lstm.runs import CONFIG, FORMAT, SUMMARY, RunError, fresh_run_dir, load_run, save_run
from tui_lstm.session import Session
from tui_lstm.task import exhaustive_pairs

FORMAT_0 = Path(__file__).parent / "fixtures" / "runs" / "format0-numpy"
FORMAT_1 = Path(__file__).parent / "fixtures" / "runs" / "format1-numpy"  # written by b726da6
FORMAT_2 = Path(__file__).parent / "fixtures" / "runs" / "format2-numpy"  # written by 87fcf27


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A gru run, its record and the folder it was saved to."""
    session = Session()
    record = session.train(preset("gru", epochs=2, samples=100))
    directory = save_run(tmp_path_factory.mktemp("runs") / "run", record)
    return session, record, directory


def test_round_trip(saved):
    """Every field of the record comes back, the model byte for byte, and it answers as trained."""
    session, record, directory = saved
    run = load_run(directory)
    for f in fields(RunRecord):
        assert getattr(run.record, f.name) == getattr(record, f.name), f.name
    assert run.config == record.config and len(run.record.history) == 2
    pairs = exhaustive_pairs(7)
    trained = predicted_bits(session.trainer.backend, "bits", pairs)
    assert np.array_equal(predicted_bits(run.backend, "bits", pairs), trained)


def test_a_folder_saved_now_says_its_format(saved):
    _, _, directory = saved
    for name in (CONFIG, SUMMARY):
        assert json.loads((directory / name).read_text())["format"] == FORMAT == 3


def test_format_0_is_read_with_its_stated_defaults():
    """The fixture was saved before format numbers: its exhaustive_* figures are the eval_*
    ones, every 4-bit pair was scored (256 == 4**4), and nothing says what made it."""
    run = load_run(FORMAT_0)
    assert run.config == TrainConfig(bits=4, hidden=8, epochs=12, samples=64, batch_size=16, test_samples=20, seed=0)
    old = json.loads((FORMAT_0 / SUMMARY).read_text())
    summary = run.record.summary
    assert "format" not in old and len(run.record.history) == 12
    assert (summary.eval_exact_accuracy, summary.eval_bit_accuracy, summary.eval_pairs) == (
        old["exhaustive_exact_accuracy"],
        old["exhaustive_bit_accuracy"],
        old["exhaustive_pairs"],
    )
    assert summary.eval_all_pairs is True and summary.eval_pairs == 4**4
    assert run.record.provenance == {} and run.record.state == old["state"]
    assert summary.generalization == {int(width): value for width, value in old["generalization"].items()}


def test_format_0_evaluates_and_predicts(capsys):
    """Its model scores again what its summary says, and answers as its results.txt does."""
    assert main(["eval", str(FORMAT_0), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    summary = load_run(FORMAT_0).record.summary
    assert scores["all_pairs"] is True and scores["pairs"] == summary.eval_pairs
    assert (scores["exact_accuracy"], scores["bit_accuracy"]) == (
        summary.eval_exact_accuracy,
        summary.eval_bit_accuracy,
    )
    first = (FORMAT_0 / "results.txt").read_text().splitlines()[0]
    a, b = first.split(" : ")[1].split(" = ")[0].split(" + ")
    assert main(["predict", str(FORMAT_0), a, b]) == 0
    assert "num0 : " + capsys.readouterr().out.strip() == first


def test_format_1_is_read_with_its_stated_defaults():
    """Before format 2 every epoch scored every pair, and history.csv had no column for it."""
    run = load_run(FORMAT_1)
    assert json.loads((FORMAT_1 / CONFIG).read_text())["format"] == 1
    assert run.config.eval_every == 1 and run.config.bits == 4 and len(run.record.history) == 12
    assert all(row.eval_exact_accuracy is None for row in run.record.history)
    assert run.record.provenance["tui_lstm"] == "0.1.0" and run.record.training_state


def test_format_2_is_read_with_its_stated_defaults():
    """Before format 3 the learning rate was never annealed, and config.json had no field for it."""
    run = load_run(FORMAT_2)
    assert json.loads((FORMAT_2 / CONFIG).read_text())["format"] == 2
    assert run.config.lr_anneal_from == 0 and run.config.eval_every == 5 and len(run.record.history) == 12
    scored = [row.epoch for row in run.record.history if row.eval_exact_accuracy is not None]
    assert scored == [5, 10, 12] and run.record.training_state


@pytest.mark.parametrize("fixture", [FORMAT_1, FORMAT_2], ids=["format1", "format2"])
def test_an_earlier_format_continues_exactly_as_saved(tmp_path, fixture):
    """Its training state still takes the run on: two more epochs from the fixture are the
    epochs a continued run of today's engine trains (the same again from a copy)."""
    runs = []
    for name in ("a", "b"):
        copy = tmp_path / name
        copy.mkdir()
        for p in fixture.iterdir():
            (copy / p.name).write_bytes(p.read_bytes())
        session = Session()
        saved = session.open(copy)
        runs.append(session.train(saved.config.replace(epochs=14)).history)
    assert len(runs[0]) == 14 and runs[0] == runs[1]
    assert runs[0][:12] == tuple(load_run(fixture).record.history)


def newer_format(source: Path, target: Path, name: str) -> Path:
    """A copy of ``source`` whose ``name`` claims the format after this version's."""
    target.mkdir()
    for p in source.iterdir():
        (target / p.name).write_bytes(p.read_bytes())
    data = json.loads((target / name).read_text())
    (target / name).write_text(json.dumps({**data, "format": FORMAT + 1}))
    return target


@pytest.mark.parametrize("name", [CONFIG, SUMMARY])
def test_a_newer_format_is_refused_in_one_line(saved, tmp_path, name):
    folder = newer_format(saved[2], tmp_path / "newer", name)
    with pytest.raises(RunError, match=f"format {FORMAT + 1}") as refused:
        load_run(folder)
    assert "\n" not in str(refused.value)
    result = subprocess.run([sys.executable, "-m", "tui_lstm.cli", "eval", str(folder)], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and f"format {FORMAT + 1}" in result.stderr


def test_fresh_run_dir_never_reuses_a_folder(tmp_path):
    config = preset("fast", seed=4)
    first = fresh_run_dir(tmp_path, config)
    assert first.name == "fast-seed4" and first.is_dir()  # made, so no other run takes it
    assert fresh_run_dir(tmp_path, config).name == "fast-seed4-2"


def test_result_row_is_the_reports():
    assert result_row(0, "lstm", 93, 116, 209) == "num0 : 93 + 116 = 209, lstm(93,116) = 209"
