"""Carry chains (tui_lstm.carry_chains): lengths against a bit-by-bit count, planted pairs,
doubling groups, and exact accuracy grouped by chain length."""

import json

import numpy as np
import pytest
from adders import wired_adder, wired_config

from tui_lstm.carry_chains import (
    ChainAccuracy,
    at_training_width,
    by_chain_length,
    chain_groups,
    chain_lengths,
    doubling_groups,
    on_planted_pairs,
    planted_lengths,
    planted_pairs,
)
from tui_lstm.task import Pairs, exhaustive_pairs, operand_array, random_pairs


def counted_chain(a: int, b: int, width: int) -> int:
    """The longest run of bits that carry out, counted bit by bit as on paper."""
    carry = run = longest = 0
    for i in range(width):
        carry = ((a >> i) & 1) + ((b >> i) & 1) + carry >= 2
        run = run + 1 if carry else 0
        longest = max(longest, run)
    return longest


def pairs_of(values: list[tuple[int, int]], width: int) -> Pairs:
    return Pairs(operand_array([a for a, _ in values], width), operand_array([b for _, b in values], width), width)


@pytest.mark.parametrize(
    ("a", "b", "width", "chain"),
    [
        (2, 4, 7, 0),
        (127, 1, 7, 7),
        (3, 1, 7, 2),
        (0, 0, 7, 0),
        (0b1011, 0b0001, 4, 2),  # carries out of bits 0 and 1, not 2; bit 3 carries nothing
        (2**64 - 1, 1, 64, 64),
        (2**70 - 2**60, 2**60, 80, 10),  # a chain across the boundary between two limbs
        (2**300 - 1, 1, 300, 300),
    ],
)
def test_chain_lengths_of_known_sums(a, b, width, chain):
    assert counted_chain(a, b, width) == chain
    assert chain_lengths(pairs_of([(a, b)], width)).tolist() == [chain]


def test_every_6_bit_pair_against_a_bit_by_bit_count():
    pairs = exhaustive_pairs(6)
    expected = [counted_chain(int(a), int(b), 6) for a, b in zip(pairs.a, pairs.b)]
    assert chain_lengths(pairs).tolist() == expected
    assert set(expected) == set(range(7))


@pytest.mark.parametrize("width", [64, 130])
def test_random_wide_pairs_against_a_bit_by_bit_count(width):
    pairs = random_pairs(np.random.default_rng(4), 300, width)
    expected = [counted_chain(*pairs.operands(i), width) for i in range(len(pairs))]
    assert chain_lengths(pairs).tolist() == expected


@pytest.mark.parametrize("width", [1, 6, 7, 64, 65, 300])
def test_planted_pairs_have_exactly_the_chosen_chains_and_every_length_occurs(width):
    lengths = np.arange(4 * (width + 1)) % (width + 1)
    pairs = planted_pairs(np.random.default_rng(width), lengths, width)
    assert pairs.width == width and len(pairs) == len(lengths)
    assert np.array_equal(chain_lengths(pairs), lengths)
    operands = [pairs.operands(i) for i in range(len(pairs))]
    assert all(a < 2**width and b < 2**width for a, b in operands)
    assert [counted_chain(a, b, width) for a, b in operands] == lengths.tolist()
    if width >= 6:  # and they are varied, not one pair per length
        assert len(set(operands)) == len(operands)


def test_doubling_groups():
    assert doubling_groups(64) == [(0, 0), (1, 1), (2, 3), (4, 7), (8, 15), (16, 31), (32, 63), (64, 64)]
    assert doubling_groups(7) == [(0, 0), (1, 1), (2, 3), (4, 7)]
    assert doubling_groups(100)[-2:] == [(32, 63), (64, 100)]
    for width in (1, 2, 7, 8, 63, 64, 65, 4096):
        groups = doubling_groups(width)  # every length from 0 to the width in one group, in order
        assert [low for low, _ in groups[1:]] == [high + 1 for _, high in groups[:-1]]
        assert groups[0][0] == 0 and groups[-1][1] == width
    assert chain_groups(16) == [(n, n) for n in range(17)]
    assert chain_groups(17) == doubling_groups(17)


@pytest.mark.parametrize("groups", [chain_groups(6), doubling_groups(6)], ids=["per-length", "doubling"])
def test_grouping_against_a_count_by_hand(groups):
    pairs = exhaustive_pairs(6)
    right = np.random.default_rng(0).random(len(pairs)) < 0.7
    got = by_chain_length(chain_lengths(pairs), right, groups)
    counted = {group: [0, 0] for group in groups}
    for (a, b), ok in zip(zip(pairs.a, pairs.b), right):
        chain = counted_chain(int(a), int(b), 6)
        group = next(g for g in groups if g[0] <= chain <= g[1])
        counted[group][0] += 1
        counted[group][1] += int(ok)
    assert got.groups == groups
    assert got.pairs.tolist() == [counted[g][0] for g in groups]
    assert got.right.tolist() == [counted[g][1] for g in groups]
    np.testing.assert_allclose(got.exact_accuracy, [counted[g][1] / counted[g][0] for g in groups])


def test_rows_for_json():
    accuracy = ChainAccuracy([(0, 0), (1, 1), (2, 3)], np.array([4, 0, 2]), np.array([3, 0, 2]))
    rows = json.loads(json.dumps(accuracy.rows()))
    assert rows == [
        {"chain": "0", "pairs": 4, "right": 3, "exact_accuracy": 0.75},
        {"chain": "1", "pairs": 0, "right": 0, "exact_accuracy": None},
        {"chain": "2-3", "pairs": 2, "right": 2, "exact_accuracy": 1.0},
    ]


class FailsChainsOf(int):
    """A model that adds exactly (a ripple adder over the bits layout's inputs) but gets
    the lowest bit wrong in every sum with a carry chain of this length or longer."""

    def predict(self, x):  # x (T, N, 2) -> (N, T) probabilities
        carry, run, longest = (np.zeros(x.shape[1], int) for _ in range(3))
        bits = np.empty(x.shape[1::-1])
        for t in range(x.shape[0]):
            total = x[t, :, 0].astype(int) + x[t, :, 1].astype(int) + carry
            bits[:, t], carry = total % 2, total // 2
            run = np.where(carry == 1, run + 1, 0)
            longest = np.maximum(longest, run)
        bits[longest >= self, 0] = 1 - bits[longest >= self, 0]
        return bits

    def numpy_network(self):  # what the chunks are sized by
        return wired_adder("lstm")


def test_accuracy_at_the_training_width_by_chain_length():
    config = wired_config("lstm")
    assert config.bits == 7 and config.layout == "bits"
    got = at_training_width(FailsChainsOf(5), config)
    assert got.groups == [(n, n) for n in range(8)]
    assert got.pairs.sum() == 4**7
    assert got.pairs.tolist() == np.bincount(chain_lengths(exhaustive_pairs(7))).tolist()
    assert got.exact_accuracy.tolist() == [1.0] * 5 + [0.0] * 3


def test_accuracy_on_planted_pairs_by_doubling_groups():
    config = wired_config("lstm")
    got = on_planted_pairs(FailsChainsOf(5), config, 64, n=8 * 40)
    assert got.groups == doubling_groups(64)
    assert got.pairs.tolist() == [40] * 8  # as many pairs a group, each length of a group in turn
    assert got.exact_accuracy.tolist() == [1.0, 1.0, 1.0, 0.25, 0.0, 0.0, 0.0, 0.0]  # 4-7: only 4 is right


def test_planted_lengths_reach_every_group_with_fewer_pairs_than_lengths():
    groups = doubling_groups(4096)
    lengths = planted_lengths(488, groups)
    assert np.bincount(np.searchsorted([low for low, _ in groups], lengths, side="right") - 1).min() >= 488 // 14
    assert lengths.max() >= 2048 and lengths.min() == 0
    assert planted_lengths(7, chain_groups(6)).tolist() == list(range(7))  # per length up to 16 bits


def test_planted_pairs_beyond_the_training_width_need_the_bits_layout():
    config = wired_config("lstm").replace(layout="numbers")
    with pytest.raises(ValueError, match="7-bit numbers only, not 64-bit") as error:
        on_planted_pairs(None, config, 64)
    assert "\n" not in str(error.value)
