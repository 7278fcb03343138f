"""Scoring random pairs: chunks sized by width within a memory budget, bounded memory at
any count, and the same figures whatever the chunk."""

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from tui_lstm.backends import make_backend
from tui_lstm.config import preset
from tui_lstm.evaluate import (
    EVAL_BUDGET,
    doubling_widths,
    pair_bytes,
    pairs_per_chunk,
    score_pairs,
    score_random_pairs,
)
from tui_lstm.seeding import EVAL, rng_for
from tui_lstm.task import LAYOUT, random_pairs


@pytest.fixture(scope="module")
def backend():
    return make_backend(preset("fast"))


def budget_for(backend, width: int, pairs: int) -> int:
    """The budget that scores ``pairs`` pairs of ``width`` bits a chunk."""
    return pairs * pair_bytes(backend.numpy_network(), LAYOUT["bits"], width)


def peak_bytes(backend, width: int, n: int, budget: int) -> int:
    tracemalloc.start()
    score_random_pairs(backend, "bits", width, n, rng_for(0, EVAL), budget)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_does_not_grow_with_the_number_of_pairs(backend):
    budget = budget_for(backend, 64, 2_000)
    assert peak_bytes(backend, 64, 16_000, budget) < 1.5 * peak_bytes(backend, 64, 2_000, budget)


@pytest.mark.parametrize("width", [64, 1_000])
def test_scoring_stays_within_the_budget(backend, width):
    budget = budget_for(backend, width, 40)
    assert peak_bytes(backend, width, 200, budget) <= budget


def test_chunks_are_sized_by_width(backend):
    network, bits = backend.numpy_network(), LAYOUT["bits"]
    chunks = [pairs_per_chunk(network, bits, width) for width in (64, 512, 4096)]
    assert chunks[0] > 7 * chunks[1] and chunks[1] > 7 * chunks[2] >= 7
    assert pair_bytes(network, bits, 4096) * chunks[2] <= EVAL_BUDGET


@pytest.mark.parametrize("width", [7, 64, 100])
def test_the_same_pairs_and_figures_whatever_the_chunk(backend, width):
    """Scored a few pairs at a time or all at once, they are the pairs of one draw."""
    n = 1_000
    whole = score_pairs(backend, "bits", random_pairs(rng_for(1, EVAL), n, width))
    for pairs_a_chunk in (1, 7, 333, n):
        chunked = score_random_pairs(
            backend, "bits", width, n, rng_for(1, EVAL), budget_for(backend, width, pairs_a_chunk)
        )
        assert chunked == whole


def test_a_width_where_not_one_pair_fits_is_refused(backend):
    network, bits = backend.numpy_network(), LAYOUT["bits"]
    one = pair_bytes(network, bits, 300)
    assert pairs_per_chunk(network, bits, 300, one) == 1
    with pytest.raises(ValueError, match="scoring one 300-bit pair takes about 0.2 MB, more than the 0.2 MB") as error:
        pairs_per_chunk(network, bits, 300, one - 1)
    assert len(str(error.value).splitlines()) == 1


def test_doubling_widths():
    assert doubling_widths(7, 4096) == [7, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
    assert doubling_widths(8, 8) == [8] and doubling_widths(100, 300) == [100, 128, 256]


def test_eval_on_random_pairs_gives_the_same_figures_every_time(tmp_path):
    from tui_lstm.cli import main

    assert main(["train", "--headless", "--epochs", "2", "--out", str(tmp_path / "run")]) == 0
    command = [sys.executable, "-m", "tui_lstm.cli", "eval", str(tmp_path / "run"), "--bits", "16"]
    first, second = (subprocess.run(command, capture_output=True, text=True, check=True).stdout for _ in range(2))
    assert first == second and "10,000 random 16-bit pairs" in first
    assert np.isfinite(float(first.split()[1].rstrip("%,")))
