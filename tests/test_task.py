"""The task's encodings are exact at every width, including 64-bit operands."""

import numpy as np
import pytest

from tui_lstm.task import (
    LAYOUT,
    Pairs,
    bits_to_int,
    evaluation_pairs,
    exhaustive_pairs,
    operand_bits,
    random_pairs,
    sum_bits,
)


def pairs_of(values, width):
    a, b = zip(*values)
    return Pairs(np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64), width)


@pytest.mark.parametrize("width", [1, 2, 7, 8, 31, 32, 33, 63, 64])
def test_sum_bits_are_exact_at_every_width(width):
    top = 2**width - 1
    rng = np.random.default_rng(width)
    cases = [(0, 0), (top, top), (top, 1), (1, top), (top, 0)] + [
        (int(a), int(b)) for a, b in zip(*(rng.integers(0, 2**width, 50, dtype=np.uint64) for _ in "ab"))
    ]
    bits = sum_bits(pairs_of(cases, width))
    assert bits.shape == (len(cases), width + 1)
    assert [bits_to_int(row) for row in bits] == [a + b for a, b in cases]


def test_64_bit_sum_keeps_its_65th_bit():
    top = 2**64 - 1
    assert bits_to_int(sum_bits(pairs_of([(top, top)], 64))[0]) == 2**65 - 2


def test_operand_bits_are_lsb_first():
    assert operand_bits(np.array([6], dtype=np.uint64), 4).tolist() == [[0, 1, 1, 0]]


def test_exhaustive_pairs_list_every_pair_once():
    pairs = exhaustive_pairs(7)
    assert len(pairs) == 16_384
    assert len(set(zip(pairs.a.tolist(), pairs.b.tolist()))) == 16_384
    assert len(evaluation_pairs(9, np.random.default_rng(0), 500)) == 500


def test_random_pairs_are_seeded_and_in_range():
    first = random_pairs(np.random.default_rng(3), 1000, 64)
    again = random_pairs(np.random.default_rng(3), 1000, 64)
    assert np.array_equal(first.a, again.a) and np.array_equal(first.b, again.b)
    assert first.a.max() > 2**63  # the top bit is drawn too
    small = random_pairs(np.random.default_rng(3), 1000, 3)
    assert small.a.max() <= 7 and small.b.max() <= 7


def test_bits_layout_steps_through_the_bits_lsb_first():
    pairs = pairs_of([(5, 3)], 3)  # 101 + 011 = 1000
    x, y = LAYOUT["bits"].inputs(pairs), LAYOUT["bits"].targets(pairs)
    assert x.shape == (4, 1, 2)
    assert x[:, 0].tolist() == [[1, 1], [0, 1], [1, 0], [0, 0]]
    assert y.tolist() == [[0, 0, 0, 1]]


def test_numbers_layout_is_the_reports_msb_first_vectors():
    pairs = pairs_of([(93, 116)], 7)
    layout = LAYOUT["numbers"]
    x, y = layout.inputs(pairs), layout.targets(pairs)
    assert x.shape == (2, 1, 8)
    assert "".join(str(int(v)) for v in x[0, 0]) == f"{93:08b}"
    assert "".join(str(int(v)) for v in y[0]) == f"{209:08b}"
    assert bits_to_int(layout.predicted_bits(y, 7)[0]) == 209


def test_onehot_layout_has_a_class_per_sum():
    pairs = pairs_of([(63, 63), (0, 1)], 6)
    layout = LAYOUT["onehot"]
    x, y = layout.inputs(pairs), layout.targets(pairs)
    assert x.shape == (2, 2, 64) and x.sum() == 4 and x[0, 0, 63] == 1
    assert y.tolist() == [126, 1]
    assert layout.output_size(6) == 127
    scores = np.eye(127)[y]
    assert [bits_to_int(r) for r in layout.predicted_bits(scores, 6)] == [126, 1]
