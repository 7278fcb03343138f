"""``--tensorboard DIR``: each epoch's figures as TensorBoard event files, read back with
TensorBoard's own event reader and checked against the run's history.csv; written under
DIR only; refused in one line where it cannot be written; tensorboardX imported only
when asked for, and the run still imports no console and no TensorFlow."""

from __future__ import annotations

import csv
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from tui_helpers import quick_final_tests, small, wait_until

from tui_lstm.cli import main
from tui_lstm.scalars_log import INSTALL, RUN_FILE, ScalarLog

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator", reason="tensorboard is not installed"
)

# Keras's TensorBoard layout: a figure's train and test curves under one tag, in two folders
EXPECTED = {  # event folder -> {tag: history.csv's column}
    "train": {
        "epoch_loss": "loss",
        "epoch_accuracy": "accuracy",
        "epoch_exact_accuracy": "exact_accuracy",
        "epoch_learning_rate": "lr",
    },
    "validation": {
        "epoch_loss": "val_loss",
        "epoch_accuracy": "val_accuracy",
        "epoch_exact_accuracy": "val_exact_accuracy",
    },
}
TINY = ["--bits", "3", "--hidden", "4", "--samples", "32", "--batch-size", "16", "--test-samples", "10"]


def scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar tag in ``folder``'s event files: (step, value) by tag."""
    reader = event_accumulator.EventAccumulator(str(folder))
    reader.Reload()
    return {tag: [(event.step, event.value) for event in reader.Scalars(tag)] for tag in reader.Tags()["scalars"]}


def history(run: Path) -> list[dict[str, str]]:
    with open(run / "history.csv", newline="") as file:
        return list(csv.DictReader(file))


def assert_logged_as_history(log: Path, run: Path) -> None:
    rows = history(run)
    for folder, tags in EXPECTED.items():
        logged = scalars(log / folder)
        assert set(logged) == set(tags)
        for tag, column in tags.items():  # TensorBoard keeps float32
            assert logged[tag] == [(int(row["epoch"]), np.float32(row[column])) for row in rows], (folder, tag)


def test_a_headless_run_logs_every_epoch_as_its_history(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--headless", *TINY, "--epochs", "4", "--out", "runs/r", "--tensorboard", "tb"]) == 0
    assert_logged_as_history(tmp_path / "tb" / "r", tmp_path / "runs" / "r")
    written = {path.relative_to(tmp_path).parts[:3] for path in tmp_path.rglob("*") if path.is_file()}
    assert {parts for parts in written if parts[0] != "runs"} == {
        ("tb", "r", "train"),
        ("tb", "r", "validation"),
        ("tb", "r", RUN_FILE),
    }
    assert (tmp_path / "tb" / "r" / RUN_FILE).read_text() == f"{(tmp_path / 'runs' / 'r').resolve()}\n"  # whose curves


def test_a_continued_run_goes_on_in_the_same_curves(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--headless", *TINY, "--epochs", "2", "--out", "runs/r", "--tensorboard", "tb"]) == 0
    assert main(["train", "--headless", "--from", "r", "--epochs", "4", "--tensorboard", "tb"]) == 0
    assert [path.name for path in (tmp_path / "tb").iterdir()] == ["r"]
    assert_logged_as_history(tmp_path / "tb" / "r", tmp_path / "runs" / "r")  # epochs 1 to 4


def test_a_new_headless_run_never_logs_into_a_folder_another_run_holds(tmp_path, monkeypatch, capsys):
    """A console run reserves DIR/fast-seed0 (as fresh_run_dir does); a headless run of the
    same name then gets DIR/fast-seed0-2, and another run saved as r elsewhere gets r-2."""
    from tui_lstm.config import preset
    from tui_lstm.runs import fresh_run_dir

    monkeypatch.chdir(tmp_path)
    held = fresh_run_dir(tmp_path / "tb", preset("fast"))
    assert held.name == "fast-seed0"
    assert main(["train", "--headless", "--preset", "fast", *TINY, "--epochs", "2", "--tensorboard", "tb"]) == 0
    assert not any(held.iterdir())
    assert_logged_as_history(tmp_path / "tb" / "fast-seed0-2", tmp_path / "runs" / "fast-seed0")
    assert main(["train", "--headless", *TINY, "--epochs", "2", "--out", "a/r", "--tensorboard", "tb"]) == 0
    assert main(["train", "--headless", *TINY, "--epochs", "3", "--out", "b/r", "--tensorboard", "tb"]) == 0
    assert_logged_as_history(tmp_path / "tb" / "r", tmp_path / "a" / "r")
    assert_logged_as_history(tmp_path / "tb" / "r-2", tmp_path / "b" / "r")


def test_a_continued_run_goes_on_in_its_own_curves_whatever_they_were_named(tmp_path, monkeypatch, capsys):
    """a/r logs into tb/r and b/r into tb/r-2: --from b/r goes on in tb/r-2, never in a/r's
    tb/r; a run whose log is not in DIR (another DIR then) starts a folder of its own."""
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--headless", *TINY, "--epochs", "2", "--out", "a/r", "--tensorboard", "tb"]) == 0
    assert main(["train", "--headless", *TINY, "--epochs", "2", "--out", "b/r", "--tensorboard", "tb"]) == 0
    assert main(["train", "--headless", "--from", "b/r", "--epochs", "4", "--tensorboard", "tb"]) == 0
    assert_logged_as_history(tmp_path / "tb" / "r", tmp_path / "a" / "r")  # untouched: epochs 1 and 2
    assert_logged_as_history(tmp_path / "tb" / "r-2", tmp_path / "b" / "r")  # epochs 1 to 4
    assert main(["train", "--headless", "--from", "b/r", "--epochs", "5", "--tensorboard", "other"]) == 0
    assert [path.name for path in (tmp_path / "other").iterdir()] == ["r"]
    assert scalars(tmp_path / "other" / "r" / "train")["epoch_loss"][0][0] == 5  # the epoch it went on with


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_a_folder_that_cannot_be_written_is_refused_before_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("tb").write_text("in the way")
    assert main(["train", "--headless", *TINY, "--epochs", "1", "--tensorboard", "tb/logs"]) == 2
    captured = capsys.readouterr()
    assert one_line(captured.err).startswith("tui-lstm: error: tb/logs: a file is in the way")
    assert captured.out == "" and [path.name for path in tmp_path.iterdir()] == ["tb"]  # no runs folder


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=cwd)


def test_without_tensorboardx_it_says_what_to_install(tmp_path):
    result = run_python(
        """
        import sys
        sys.modules["tensorboardX"] = None  # as if it were not installed
        from tui_lstm.cli import main
        sys.exit(main(["train", "--headless", "--epochs", "1", "--tensorboard", "tb"]))
        """,
        tmp_path,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert one_line(result.stderr) == f"tui-lstm: error: --tensorboard needs tensorboardX: {INSTALL}"
    assert list(tmp_path.iterdir()) == []


def test_tensorboardx_is_imported_only_when_asked_for(tmp_path):
    result = run_python(
        """
        import sys
        from tui_lstm.cli import main
        assert main(["train", "--headless", "--bits", "3", "--epochs", "1"]) == 0
        print(" ".join(sys.modules))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "tensorboardX" not in {name.split(".")[0] for name in result.stdout.split()}


def test_a_run_with_a_log_imports_no_console_and_no_tensorflow(tmp_path):
    result = run_python(
        """
        import sys
        from tui_lstm.cli import main
        assert main(["train", "--headless", "--bits", "3", "--epochs", "1", "--tensorboard", "tb"]) == 0
        print(" ".join(sys.modules))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    imported = {name.split(".")[0] for name in result.stdout.split()}
    assert "tensorboardX" in imported and not {"textual", "tensorflow", "keras"} & imported


async def test_the_console_logs_each_run_in_a_folder_of_its_own(tmp_path, monkeypatch):
    """A run, the same run continued (one folder), then a fresh run after a reset (another)."""
    from tui_lstm.tui.app import TuiLstmApp

    quick_final_tests(monkeypatch)
    log = ScalarLog(tmp_path / "tb")
    app = TuiLstmApp(small(epochs=2), runs_dir=tmp_path / "runs", watcher=log)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("s")
            await wait_until(pilot, lambda: app.trainer is not None and not app.live)
            app.panel.control("epochs").value = "3"
            await pilot.pause()
            await pilot.press("s")  # continues: epoch 3
            await wait_until(pilot, lambda: len(app.trainer.history) == 3 and not app.live)
            first = app.trainer.history
            await pilot.press("r")
            await pilot.press("s")
            await wait_until(pilot, lambda: app.trainer is not None and len(app.trainer.history) == 3 and not app.live)
            second = app.trainer.history
    finally:
        log.close()
    assert sorted(path.name for path in (tmp_path / "tb").iterdir()) == ["custom-seed0", "custom-seed0-2"]
    for name, rows in (("custom-seed0", first), ("custom-seed0-2", second)):
        logged = scalars(tmp_path / "tb" / name / "train")["epoch_loss"]
        assert logged == [(row.epoch, np.float32(row.loss)) for row in rows]
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("argv", [["--tensorboard", "tb"], ["train", "--tensorboard", "tb"]], ids=["console", "train"])
def test_the_console_is_given_the_log(tmp_path, monkeypatch, argv):
    """The flag reaches the console (whose Pilot test is above) as its session's watcher."""
    from tui_lstm import cli

    monkeypatch.chdir(tmp_path)
    given = []
    monkeypatch.setattr(cli, "refuse_without_terminal", lambda: None)  # stdout is pytest's here
    monkeypatch.setattr(cli, "run_console", lambda config, **kwargs: given.append(kwargs["watcher"]) or 0)
    assert main(argv) == 0
    assert isinstance(given[0], ScalarLog) and given[0].directory == Path("tb")
