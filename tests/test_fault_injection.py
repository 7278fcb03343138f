"""Kill a training process at random moments, during epochs, checkpoints and saves: every
folder left in the runs folder loads whole or is refused in one line, and no run that
reported success is missing."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import pytest

from tui_lstm.runs import RunError, list_runs, load_run

KILLS = 20
FLAGS = ["--preset", "fast", "--epochs", "12", "--checkpoint-every", "2", "--samples", "2000"]


def start(out) -> subprocess.Popen:
    command = [sys.executable, "-m", "tui_lstm.cli", "train", "--headless", *FLAGS, "--out", str(out)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("seed", [0])
def test_kills_at_random_moments_leave_only_whole_runs(tmp_path, seed):
    runs = tmp_path / "runs"
    began = time.monotonic()
    first = start(runs / "timing")
    assert first.wait(timeout=120) == 0
    duration = time.monotonic() - began  # the whole life of one run: imports, epochs, saves
    moments = random.Random(seed).sample(range(1000), KILLS)
    succeeded = []
    for i, moment in enumerate(sorted(moments)):
        out = runs / f"r{i}"
        process = start(out)
        time.sleep(duration * moment / 1000)
        process.send_signal(signal.SIGKILL)
        stdout, _ = process.communicate()
        if process.returncode == 0 and stdout.strip().endswith(f"saved to {out}"):
            succeeded.append(out)
    folders = [path for path in runs.iterdir() if path.is_dir()]
    loaded = 0
    for folder in folders:
        try:
            run = load_run(folder)
        except RunError as error:
            assert len(str(error).splitlines()) == 1
        else:
            loaded += 1
            assert run.record.state in ("finished", "stopped")
    for out in succeeded:
        assert load_run(out).record.state == "finished"
    assert set(list_runs(runs)) <= set(folders)  # partial folders are never listed
    assert loaded >= len(succeeded) + 1  # the timing run too; checkpoints usually add more
