"""Exact accuracy by carry-chain length: where in the carries a model fails.

A single exact-accuracy figure hides which sums a model gets wrong. What makes a sum hard
is how far a carry must travel, so each sum is given its *carry chain*: the longest run
of consecutive bit positions of the operands that each produce a carry out (the carry
as ``inspection.carries`` defines it). 2 + 4 (010 + 100) has none, so 0; 127 + 1
(1111111 + 0000001) carries out of each of its seven bits, so 7; 3 + 1 (11 + 01) carries
out of bits 0 and 1, so 2. The longest chain of a ``width``-bit pair is ``width``.

Uniform random pairs rarely have long chains (a run of k carries has probability about
2**-k), so to see every length at a long width the pairs are *planted*: a carry-out
pattern with exactly the chosen longest run is made first, and then operand bits that
produce exactly that pattern (``planted_pairs``). At long widths the lengths are grouped
on a doubling scale, 0, 1, 2-3, 4-7, ..., as the width scale of ``evaluate`` is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tui_lstm.config import TrainConfig
from tui_lstm.evaluate import RANDOM_EVAL_PAIRS, pairs_per_chunk, predicted_bits, scale_samples
from tui_lstm.inspection import carries
from tui_lstm.seeding import EVAL, rng_for
from tui_lstm.task import EXHAUSTIVE_MAX_WIDTH, LAYOUT, LIMB, Pairs, evaluation_pairs, limbs, random_pairs, sum_bits

PER_LENGTH_MAX_WIDTH = 16  # up to this width a group per length; wider, doubling groups
LONG_PAIRS = 10_000  # planted pairs scored at a long width: 1,250 a group at 64 bits


def run_positions(bits: np.ndarray) -> np.ndarray:
    """(N, W) 0/1 -> (N, W) int64: at each 1, its place in its run of 1s (1, 2, ...); 0 at each 0.

    The place is the distance back to the last 0 before it, which a running maximum of
    the 0s' positions gives for every bit at once.
    """
    place = np.arange(1, bits.shape[1] + 1)  # (W,)
    last_zero = np.maximum.accumulate(np.where(bits == 0, place, 0), axis=1)  # (N, W)
    return place - last_zero


def chain_lengths(pairs: Pairs) -> np.ndarray:
    """(N,) int64: each pair's longest run of consecutive bits that carry out. Any width:
    one uint64 an operand, or rows of limbs."""
    carry_out = carries(pairs)[1]  # (N, width + 1); the last step carries nothing out
    return run_positions(carry_out).max(axis=1, initial=0)


def _pack(bits: np.ndarray, width: int) -> np.ndarray:
    """(N, width) 0/1 bits, LSB first -> operands as ``Pairs`` holds them: (N,) uint64 up to
    64 bits, else (N, L) limbs (the inverse of ``task.operand_bits``)."""
    packed = np.packbits(bits.astype(np.uint8), axis=1, bitorder="little")  # (N, ceil(width / 8))
    padded = np.zeros((len(bits), 8 * limbs(width)), np.uint8)
    padded[:, : packed.shape[1]] = packed
    operands = padded.view("<u8").astype(np.uint64)  # (N, L)
    return operands[:, 0] if width <= LIMB else operands


def planted_pairs(rng: np.random.Generator, lengths: np.ndarray, width: int) -> Pairs:
    """Random ``width``-bit pairs whose longest carry chains are exactly ``lengths`` (N,).

    First a carry-out pattern (N, width): the carries of random pairs, each run cut into
    pieces of at most the chosen length (a 0 after every length-th carry), then one run of
    exactly that length planted at a random place, with no carry just before or after it.
    Then operand bits that make that pattern: with carry in c and carry out k, a bit
    pair must generate (c=0, k=1: 1 and 1), kill (c=1, k=0: 0 and 0), propagate or
    generate (c=k=1: any but 0 and 0) or do neither (c=k=0: any but 1 and 1); where there
    is a choice, it is random.
    """
    n = len(lengths)
    chain = np.asarray(lengths, np.int64)[:, None]  # (N, 1)
    place = np.arange(width)  # (W,)
    background = carries(random_pairs(rng, n, width))[1][:, :width]  # (N, W)
    carry_out = background.astype(bool) & (run_positions(background) % (chain + 1) != 0)
    start = rng.integers(0, width - chain[:, 0] + 1)[:, None]  # (N, 1)
    carry_out[(place >= start) & (place < start + chain)] = True
    carry_out[(place == start - 1) | (place == start + chain)] = False
    carry_in = np.zeros_like(carry_out)
    carry_in[:, 1:] = carry_out[:, :-1]
    choice = rng.integers(0, 3, (n, width))  # which of the three bit pairs, where there are three
    either = carry_in == carry_out  # propagate-or-generate (both 1), or neither (both 0)
    a = np.where(either, (choice != 1) == carry_out, carry_out)  # (1,0) (0,1) (1,1), or (0,0) (1,0) (0,1)
    b = np.where(either, np.where(carry_out, choice != 0, choice == 2), carry_out)
    return Pairs(_pack(a, width), _pack(b, width), width)


def doubling_groups(width: int) -> list[tuple[int, int]]:
    """(shortest, longest) chain of each group: 0, 1, 2-3, 4-7, ..., the last cut at ``width``."""
    return [(0, 0)] + [(2 ** (g - 1), min(2**g - 1, width)) for g in range(1, width.bit_length() + 1)]


def chain_groups(width: int) -> list[tuple[int, int]]:
    """A group per length up to PER_LENGTH_MAX_WIDTH, doubling groups beyond."""
    if width <= PER_LENGTH_MAX_WIDTH:
        return [(length, length) for length in range(width + 1)]
    return doubling_groups(width)


@dataclass(frozen=True)
class ChainAccuracy:
    """Exact accuracy by group of chain lengths: ``groups`` (shortest, longest) each, and the
    ``pairs`` in each and how many were ``right``, (G,) int arrays."""

    groups: list[tuple[int, int]]
    pairs: np.ndarray
    right: np.ndarray
    over: str = ""  # which pairs, in words: "all 16,384 7-bit pairs", "10,000 planted 64-bit pairs"

    @property
    def exact_accuracy(self) -> np.ndarray:
        """(G,) float64: right / pairs, NaN for a group with no pairs."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.right / self.pairs

    def labels(self) -> list[str]:
        """Each group's chains in words: "0", "2-3"."""
        return [str(low) if low == high else f"{low}-{high}" for low, high in self.groups]

    def line(self) -> str:
        """One line, a group each: "0 100% · 1 100% · 2-3 99.8% · ...", cut down (never up)
        to a tenth of a percent so that only a group entirely right reads 100%; "-" where
        a group has no pairs."""
        return " · ".join(
            f"{label} {'-' if n == 0 else '100%' if r == n else f'{math.floor(1000 * r / n) / 10:.1f}%'}"
            for label, n, r in zip(self.labels(), self.pairs, self.right)
        )

    def rows(self) -> list[dict]:
        """A dict a group, for JSON: its chains ("2-3"), pairs, right and exact accuracy (None
        where it has no pairs)."""
        return [
            {"chain": label, "pairs": int(n), "right": int(r), "exact_accuracy": float(r / n) if n else None}
            for label, n, r in zip(self.labels(), self.pairs, self.right)
        ]


def by_chain_length(
    lengths: np.ndarray, right: np.ndarray, groups: list[tuple[int, int]], over: str = ""
) -> ChainAccuracy:
    """Pairs' chain lengths (N,) and whether each was exactly right (N,) -> counts per group."""
    index = np.searchsorted([low for low, _ in groups], lengths, side="right") - 1  # (N,)
    pairs = np.bincount(index, minlength=len(groups))
    right = np.bincount(index, weights=right, minlength=len(groups)).astype(np.int64)
    return ChainAccuracy(groups, pairs, right, over)


def exactly_right(backend, layout: str, pairs: Pairs) -> np.ndarray:
    """(N,) bool: which sums the model gets entirely right."""
    return (predicted_bits(backend, layout, pairs) == sum_bits(pairs)).all(axis=1)


def check_width(config: TrainConfig, width: int) -> None:
    """ValueError, in one line, for a model that cannot add at ``width``: only a bits model
    goes beyond its own."""
    if config.layout != "bits" and width != config.bits:
        raise ValueError(f"a {config.layout}-layout model adds {config.bits}-bit numbers only, not {width}-bit ones")


def at_training_width(backend, config: TrainConfig) -> ChainAccuracy:
    """Over the evaluation pairs at the model's own width (every pair up to 8 bits, else
    random ones drawn afresh from the run's seed), for any layout."""
    pairs = evaluation_pairs(config.bits, rng_for(config.seed, EVAL), RANDOM_EVAL_PAIRS)
    which = "all" if config.bits <= EXHAUSTIVE_MAX_WIDTH else "random"
    right = exactly_right(backend, config.layout, pairs)
    return by_chain_length(
        chain_lengths(pairs), right, chain_groups(config.bits), f"{which} {len(pairs):,} {config.bits}-bit pairs"
    )


def at_width(backend, config: TrainConfig, width: int, n: int | None = None) -> ChainAccuracy:
    """Where ``eval`` and the console measure it: at the training width over its evaluation
    pairs; at another, over every pair up to 8 bits, else over n planted pairs (by default
    as many as the scale of longer sums scores there: 10,000 up to 200 bits, 488 at 4,096,
    so that the widest widths cost about what the narrower do)."""
    if width == config.bits:
        return at_training_width(backend, config)
    check_width(config, width)
    if width <= EXHAUSTIVE_MAX_WIDTH:
        return at_training_width(backend, config.replace(bits=width))
    return on_planted_pairs(backend, config, width, n or scale_samples(width))


def planted_lengths(n: int, groups: list[tuple[int, int]]) -> np.ndarray:
    """(N,) chain lengths for n planted pairs: each group in turn, and within a group each
    of its lengths in turn, so that every group is measured on as many pairs (a share of
    n, not of the lengths: 488 pairs at 4,096 bits still reach chains of 2,048 and more)."""
    i = np.arange(n)
    low, high = (np.array(ends)[i % len(groups)] for ends in zip(*groups))  # (N,) each
    return low + (i // len(groups)) % (high - low + 1)


def on_planted_pairs(backend, config: TrainConfig, width: int, n: int = LONG_PAIRS) -> ChainAccuracy:
    """Over n planted pairs of ``width`` bits (``planted_lengths``, drawn from the run's
    seed), scored a chunk at a time within evaluate's memory budget; ValueError, in one
    line, for a model that cannot add at that width (only a bits model goes beyond its own)."""
    check_width(config, width)
    rng, chunk = rng_for(config.seed, EVAL), pairs_per_chunk(backend.numpy_network(), LAYOUT[config.layout], width)
    lengths = planted_lengths(n, chain_groups(width))
    right = np.concatenate(
        [
            exactly_right(backend, config.layout, planted_pairs(rng, lengths[i : i + chunk], width))
            for i in range(0, n, chunk)
        ]
    )
    return by_chain_length(lengths, right, chain_groups(width), f"{n:,} planted {width}-bit pairs")
