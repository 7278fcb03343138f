"""`train --headless` under faults: signals, crashes, a closed pipe, bad folders, kills;
and `--from`, which continues a saved or checkpointed run as if it had never stopped.

Each runs the real command in a subprocess, as a user or a script meets it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tui_lstm.headless_run import HeadlessRun
from tui_lstm.runs import load_run
from tui_lstm.seeding import TEST, rng_for
from tui_lstm.session import Session
from tui_lstm.task import LAYOUT, Dataset, random_pairs

COMMAND = [sys.executable, "-m", "tui_lstm.cli"]
SLOW = ["--preset", "report", "--epochs", "50", "--samples", "2000"]  # about 0.1 s an epoch


def train(*argv, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, "train", "--headless", *argv], capture_output=True, text=True, **kwargs)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def model_test_loss(run) -> float:
    """The saved model's loss on the run's test pairs: what history.csv's last val_loss says, if they agree."""
    config = run.config
    test = Dataset.of(LAYOUT[config.layout], random_pairs(rng_for(config.seed, TEST), config.test_samples, config.bits))
    return run.backend.evaluate(test)[0]


@pytest.mark.parametrize("number, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_and_saves_it_as_it_was_after_its_last_epoch(tmp_path, number, status):
    out = tmp_path / "run"
    process = subprocess.Popen(
        [*COMMAND, "train", "--headless", *SLOW, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.readline()  # the first epoch's progress line
    process.send_signal(number)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == status
    assert one_line(stderr).startswith("tui-lstm: stopped after epoch ")
    run = load_run(out)
    assert run.record.state == "stopped" and 1 <= len(run.record.history) < 50
    assert model_test_loss(run) == pytest.approx(run.record.history[-1].val_loss, rel=1e-5)


def test_a_signal_while_saving_is_answered_and_the_save_goes_on(tmp_path):
    said = []
    headless = HeadlessRun(Session(), tmp_path / "run", said.append)
    headless.saving = True
    headless._on_signal(signal.SIGINT, None)
    assert said == ["saving, one moment"] and headless.signal is None


def test_a_crash_in_training_is_one_line_exit_1_and_no_run_folder(tmp_path):
    script = textwrap.dedent("""
        import sys
        from tui_lstm.backends.numpy_backend import NumpyBackend
        def out_of_memory(*args, **kwargs):
            raise MemoryError("simulated")
        NumpyBackend.fit_epoch = out_of_memory
        from tui_lstm.cli import main
        sys.exit(main(["train", "--headless", "--epochs", "3", "--out", sys.argv[1]]))
    """)
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "run")], capture_output=True, text=True)
    assert result.returncode == 1
    assert one_line(result.stderr) == "tui-lstm: training failed: MemoryError: simulated"
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_a_folder_that_cannot_take_the_run_is_refused_before_training(tmp_path, where):
    (tmp_path / "file").write_text("")
    out = {"under-a-file": tmp_path / "file" / "run", "proc": "/proc/tui-lstm-run"}[where]
    result = train("--out", str(out), "--epochs", "500")
    assert result.returncode == 2 and result.stdout == ""  # not one epoch trained
    assert one_line(result.stderr).startswith("tui-lstm: error: ")


def test_out_and_from_need_headless(tmp_path):
    for flag in ("--out", "--from"):
        result = subprocess.run([*COMMAND, "train", flag, str(tmp_path / "x")], capture_output=True, text=True)
        assert result.returncode == 2 and "--headless" in one_line(result.stderr)


def test_from_continues_a_run_exactly_in_its_own_folder(tmp_path):
    whole, half = tmp_path / "whole", tmp_path / "half"
    assert train("--epochs", "12", "--out", str(whole)).returncode == 0
    assert train("--epochs", "5", "--out", str(half)).returncode == 0
    assert train("--from", str(half), "--epochs", "12").returncode == 0
    for name in ("history.csv", "model.npz", "results.txt"):
        assert (half / name).read_bytes() == (whole / name).read_bytes(), name


def test_from_refuses_a_change_of_model_and_a_run_with_no_epochs_left(tmp_path):
    run = tmp_path / "run"
    assert train("--epochs", "3", "--out", str(run)).returncode == 0
    changed = train("--from", str(run), "--hidden", "8", "--epochs", "6")
    assert changed.returncode == 2 and "--hidden" in one_line(changed.stderr)
    done = train("--from", str(run))
    assert done.returncode == 2 and "has trained 3 epochs already; give --epochs more than 3" in one_line(done.stderr)


def test_a_killed_run_keeps_its_last_checkpoint_which_continues_exactly(tmp_path):
    """SIGKILL after a checkpoint: the folder holds the run as of that checkpoint, and
    --from takes it to the same figures as a run that was never killed."""
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    flags = [*SLOW, "--epochs", "12", "--checkpoint-every", "3"]
    assert train(*flags, "--out", str(whole)).returncode == 0
    process = subprocess.Popen([*COMMAND, "train", "--headless", *flags, "--out", str(killed)], stdout=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (killed / "summary.json").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    run = load_run(killed)
    assert run.record.state == "stopped" and len(run.record.history) % 3 == 0
    assert "checkpoint" in run.record.summary.message
    assert train("--from", str(killed)).returncode == 0
    assert (killed / "history.csv").read_bytes() == (whole / "history.csv").read_bytes()
    assert np.array_equal(
        np.load(killed / "model.npz")["cell.W"], np.load(whole / "model.npz")["cell.W"]
    )  # the weights; the archive's bytes too, by the test above


@pytest.mark.parametrize("command", ["eval", "study"])
def test_ctrl_c_in_other_commands_exits_130_without_a_traceback(tmp_path, command):
    assert train("--epochs", "1", "--out", str(tmp_path / "run")).returncode == 0
    argv = {
        "eval": ["eval", str(tmp_path / "run"), "--bits", "8", "--samples", "3000000"],
        "study": ["study", "samples", "--sizes", "100000", "--epochs", "100"],
    }[command]
    process = subprocess.Popen(
        [*COMMAND, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    time.sleep(1.0)  # past the imports, into the work
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    ends = {"eval": "tui-lstm: interrupted", "study": "--resume finishes the sweep"}[command]  # a study is a sweep
    assert stderr.strip().endswith(ends) and "Traceback" not in stderr


def test_train_json_keeps_its_keys_when_stopped(tmp_path):
    """A signal still ends with the JSON object a script reads (the one line goes to stderr)."""
    process = subprocess.Popen(
        [*COMMAND, "train", "--headless", "--json", *SLOW, "--out", str(tmp_path / "run")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stderr.readline()  # progress goes to stderr with --json
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=60)
    assert process.returncode == 130
    assert json.loads(stdout)["state"] == "stopped"
