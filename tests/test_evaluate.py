"""Scoring random pairs: bounded memory at any count, the same figures every time."""

import subprocess
import sys
import tracemalloc

from tui_lstm import evaluate
from tui_lstm.backends import make_backend
from tui_lstm.config import preset
from tui_lstm.evaluate import score_random_pairs
from tui_lstm.seeding import EVAL, rng_for


def peak_bytes(n: int, backend) -> int:
    tracemalloc.start()
    score_random_pairs(backend, "bits", 64, n, rng_for(0, EVAL))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_does_not_grow_with_the_number_of_pairs(monkeypatch):
    monkeypatch.setattr(evaluate, "EVAL_CHUNK", 2_000)
    backend = make_backend(preset("fast"))
    assert peak_bytes(16_000, backend) < 1.5 * peak_bytes(2_000, backend)


def test_scores_count_every_pair_across_chunks(monkeypatch):
    backend = make_backend(preset("fast"))
    whole = score_random_pairs(backend, "bits", 7, 3_000, rng_for(1, EVAL))
    monkeypatch.setattr(evaluate, "EVAL_CHUNK", 1_000)
    chunked = score_random_pairs(backend, "bits", 7, 3_000, rng_for(1, EVAL))
    assert chunked.pairs == whole.pairs == 3_000
    assert abs(chunked.exact_accuracy - whole.exact_accuracy) < 0.05  # other pairs, the same model


def test_eval_on_random_pairs_gives_the_same_figures_every_time(tmp_path):
    from tui_lstm.cli import main

    assert main(["train", "--headless", "--epochs", "2", "--out", str(tmp_path / "run")]) == 0
    command = [sys.executable, "-m", "tui_lstm.cli", "eval", str(tmp_path / "run"), "--bits", "16"]
    first, second = (subprocess.run(command, capture_output=True, text=True, check=True).stdout for _ in range(2))
    assert first == second and "10,000 random 16-bit pairs" in first
