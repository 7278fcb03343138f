"""The memory estimate against what runs really allocate, and the refusals built on it."""

import subprocess
import sys
import tracemalloc
from functools import partial

import pytest

from tui_lstm import evaluate, resources, training
from tui_lstm.config import preset
from tui_lstm.resources import estimate, too_big
from tui_lstm.session import Session

CONFIGS = [
    preset("fast", epochs=1, samples=20_000, bits=16),
    preset("fast", epochs=1, samples=2_000, batch_size=2_000, hidden=64, bits=32),
    preset("report", epochs=1),
    preset("gru", epochs=1, samples=3_000, batch_size=3_000, bits=12),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c.preset}-{c.samples}x{c.bits}b-batch{c.batch_size}")
def test_the_estimate_errs_high_but_not_by_much(monkeypatch, config):
    monkeypatch.setattr(training, "generalization", partial(evaluate.generalization, n=50))
    Session().train(config.replace(samples=64))  # imports and caches out of the way
    tracemalloc.start()
    Session().train(config)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert 0.8 * peak <= resources.peak(estimate(config)) <= 2 * peak


def test_a_run_that_cannot_fit_names_its_setting():
    field, line = too_big(preset("fast", bits=64, samples=10_000_000), room=8 * 10**9)
    assert field == "samples"
    assert line.startswith("--samples 10,000,000 at 64 bits needs about ") and line.endswith("8.0 GB is available")
    field, _ = too_big(preset("fast", hidden=4096, bits=64, batch_size=1_000_000, samples=1_000_000), room=8 * 10**9)
    assert field == "batch_size"
    assert too_big(preset("fast"), room=8 * 10**9) is None


def test_train_refuses_it_before_building_anything():
    command = [sys.executable, "-m", "tui_lstm.cli", "train", "--headless", "--bits", "64", "--samples", "10000000"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("tui-lstm: error: --samples 10,000,000 at 64 bits needs about ")
    assert len(result.stderr.strip().splitlines()) == 1
