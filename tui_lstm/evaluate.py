"""Accuracy of a trained model: per bit, per sum, over every pair, and on longer numbers.

A ``bits`` model can be scored at any width, far beyond the 64 bits it may be trained
at; what bounds the width is memory. Random pairs are scored in chunks sized to
EVAL_BUDGET by what one pair takes at that width (``pair_bytes``), so a width is refused
only where not even one pair fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tui_lstm.config import TrainConfig
from tui_lstm.nn.network import Network
from tui_lstm.seeding import EVAL, rng_for
from tui_lstm.task import (
    EXHAUSTIVE_MAX_WIDTH,
    LAYOUT,
    Layout,
    Pairs,
    evaluation_pairs,
    exhaustive_pairs,
    random_pair_chunks,
    sum_bits,
)

GENERALIZATION_WIDTHS = (16, 32, 64)
GENERALIZATION_PAIRS = 10_000  # random pairs a width, at the end of a run and in ``eval``
RANDOM_EVAL_PAIRS = 16_384  # where a width has too many pairs to list
EVAL_BUDGET = 128_000_000  # bytes a chunk of random pairs may take while it is scored
SCALE_WIDTH = 4096  # the widest width of the console's doubling scale (``eval --up-to`` goes anywhere)
SCALE_WORK = 2_000_000  # operand bits a width's random pairs add up to there: about a second a width
FLOAT64 = 8


@dataclass(frozen=True)
class Scores:
    bit_accuracy: float
    exact_accuracy: float
    pairs: int


def score(predicted_bits: np.ndarray, true_bits: np.ndarray) -> Scores:
    """Both (N, width + 1) bit arrays."""
    right = predicted_bits == true_bits
    return Scores(float(right.mean()), float(right.all(axis=1).mean()), len(right))


def predicted_bits(backend, layout_name: str, pairs: Pairs) -> np.ndarray:
    layout = LAYOUT[layout_name]
    return layout.predicted_bits(backend.predict(layout.inputs(pairs)), pairs.width)


def score_pairs(backend, layout_name: str, pairs: Pairs) -> Scores:
    return score(predicted_bits(backend, layout_name, pairs), sum_bits(pairs))


def pair_bytes(network: Network, layout: Layout, width: int) -> int:
    """Bytes one pair at ``width`` holds while it is scored, at the peak, the forward pass:
    its inputs (T, D), in float64 and again in the network's dtype; what the cell keeps of
    each step, its pre-activations and gates (G blocks of H each) and up to three states
    (an LSTM's c, act(c) and h); and its outputs, the head's and their copies, counted as
    four float64s each. Every pair of a chunk is counted with all of that, though
    Network.logits runs only some rows at a time: the budget holds whatever those are."""
    itemsize = network.dtype.itemsize
    T, D = layout.steps(width), layout.input_size(width)
    K = layout.output_size(width) * (T if layout.per_step_output else 1)
    kept = (2 * network.cell.n_blocks + 3) * network.cell.n_hidden  # floats a step, for an LSTM the most
    return T * (D * (FLOAT64 + itemsize) + kept * itemsize) + K * 4 * FLOAT64


def pairs_per_chunk(network: Network, layout: Layout, width: int, budget: int = EVAL_BUDGET) -> int:
    """How many pairs at ``width`` are scored at once within ``budget`` bytes; ValueError, in
    one line, where not even one fits: that, not a number of bits, is the widest a model
    is scored at (a 16-unit LSTM's 4,096-bit pairs take 3.1 MB each, so 41 fit in 128 MB,
    and one pair fits up to about 168,000 bits)."""
    each = pair_bytes(network, layout, width)
    if each > budget:
        raise ValueError(
            f"scoring one {width:,}-bit pair takes about {each / 1e6:,.1f} MB, "
            f"more than the {budget / 1e6:,.1f} MB an evaluation may use"
        )
    return budget // each


def score_random_pairs(
    backend, layout_name: str, width: int, n: int, rng: np.random.Generator, budget: int = EVAL_BUDGET
) -> Scores:
    """Over the ``n`` pairs of ``random_pairs(rng, n, width)``, drawn and scored a chunk at a
    time (``pairs_per_chunk``), so that ten million pairs, or 4,096-bit ones, take no more
    memory than one chunk; the same pairs whatever the chunk, so the same figures."""
    chunk = pairs_per_chunk(backend.numpy_network(), LAYOUT[layout_name], width, budget)
    right_bits = right_sums = 0
    for pairs in random_pair_chunks(rng, n, width, chunk):
        right = predicted_bits(backend, layout_name, pairs) == sum_bits(pairs)  # (chunk, width + 1)
        right_bits, right_sums = right_bits + int(right.sum()), right_sums + int(right.all(axis=1).sum())
    return Scores(right_bits / (n * (width + 1)), right_sums / n, n)


def score_evaluation_pairs(backend, layout_name: str, width: int, rng: np.random.Generator) -> Scores:
    """Over every pair where they are few enough to list (16,384 at 7 bits), else over
    RANDOM_EVAL_PAIRS random ones."""
    return score_pairs(backend, layout_name, evaluation_pairs(width, rng, RANDOM_EVAL_PAIRS))


def score_width(
    backend, config: TrainConfig, width: int, samples: int | None = None, budget: int = EVAL_BUDGET
) -> tuple[Scores, bool]:
    """A saved model's figures at one width, and whether they cover every pair: every pair
    where they are few enough to list and no ``samples`` is asked for, else ``samples``
    (default GENERALIZATION_PAIRS) random pairs drawn afresh from the run's own seed, so a
    width gets the same figures every time, alone or in a scale of widths."""
    if samples is None and width <= EXHAUSTIVE_MAX_WIDTH:
        return score_pairs(backend, config.layout, exhaustive_pairs(width)), True
    n, rng = samples or GENERALIZATION_PAIRS, rng_for(config.seed, EVAL)
    return score_random_pairs(backend, config.layout, width, n, rng, budget), False


def doubling_widths(start: int, stop: int) -> list[int]:
    """``start``, then every power of two above it up to ``stop``: 7, 8, 16, ..., 4096."""
    return [start, *(2**k for k in range(start.bit_length(), stop.bit_length()))]


def scale_samples(width: int) -> int | None:
    """Random pairs the console's scale scores at ``width``: every pair where they are few
    enough to list (None), else 10,000 up to 200 bits and fewer beyond, so that each wider
    width costs about as much as the last (488 pairs at 4,096 bits), not twice as much."""
    return None if width <= EXHAUSTIVE_MAX_WIDTH else min(GENERALIZATION_PAIRS, SCALE_WORK // width)


def generalization(backend, rng: np.random.Generator, n: int = GENERALIZATION_PAIRS) -> dict[int, float]:
    """Exact accuracy of a ``bits`` model on n random pairs of each longer width."""
    return {width: score_random_pairs(backend, "bits", width, n, rng).exact_accuracy for width in GENERALIZATION_WIDTHS}
