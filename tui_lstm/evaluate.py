"""Accuracy of a trained model: per bit, per sum, over every pair, and on longer numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tui_lstm.task import LAYOUT, Pairs, evaluation_pairs, random_pairs, sum_bits

GENERALIZATION_WIDTHS = (16, 32, 64)
GENERALIZATION_PAIRS = 10_000
RANDOM_EVAL_PAIRS = 16_384  # where a width has too many pairs to list
EVAL_CHUNK = 65_536  # random pairs drawn and scored at a time: memory is bounded whatever n is


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


def score_random_pairs(backend, layout_name: str, width: int, n: int, rng: np.random.Generator) -> Scores:
    """Over ``n`` random pairs, drawn and scored EVAL_CHUNK at a time, so that ten million
    64-bit pairs need no more memory than 65,536 do (below EVAL_CHUNK, one draw of n)."""
    right_bits = right_sums = 0
    for start in range(0, n, EVAL_CHUNK):
        pairs = random_pairs(rng, min(EVAL_CHUNK, n - start), width)
        right = predicted_bits(backend, layout_name, pairs) == sum_bits(pairs)  # (chunk, width + 1)
        right_bits, right_sums = right_bits + int(right.sum()), right_sums + int(right.all(axis=1).sum())
    return Scores(right_bits / (n * (width + 1)), right_sums / n, n)


def score_evaluation_pairs(backend, layout_name: str, width: int, rng: np.random.Generator) -> Scores:
    """Over every pair where they are few enough to list (16,384 at 7 bits), else over
    RANDOM_EVAL_PAIRS random ones."""
    return score_pairs(backend, layout_name, evaluation_pairs(width, rng, RANDOM_EVAL_PAIRS))


def generalization(backend, rng: np.random.Generator, n: int = GENERALIZATION_PAIRS) -> dict[int, float]:
    """Exact accuracy of a ``bits`` model on n random pairs of each longer width."""
    return {width: score_random_pairs(backend, "bits", width, n, rng).exact_accuracy for width in GENERALIZATION_WIDTHS}
