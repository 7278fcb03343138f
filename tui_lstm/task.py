"""Binary addition as a learning task: operands, layouts, datasets.

Operands are unsigned integers of a fixed width (1..64 bits) held as ``uint64``; their
sum needs one bit more, so sums never exist as machine integers here: they are built
bit by bit from the operands (a 64-bit sum is 65 bits wide) and turned into Python
ints only for display.

A *layout* is how one sum is shown to a network:

- ``bits``: one step per bit, least significant first; input (a_i, b_i), target s_i,
  width + 1 steps. The only layout that works at any width.
- ``numbers``: two steps, each an operand as a (width + 1)-bit vector, MSB first; a dense
  layer on the last state emits the sum's bits, MSB first (the lab report's Keras model).
- ``onehot``: two steps of one-hot operand tokens; a softmax over every possible sum
  (the lab report's hand-written LSTM).

Every layout turns a network's outputs back into the sum's bits, LSB first, shape
(N, width + 1), so accuracy is measured the same way for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_WIDTH = 64
ONEHOT_MAX_WIDTH = 10  # 1,024 input tokens and 2,047 sum classes
EXHAUSTIVE_MAX_WIDTH = 8  # 65,536 pairs; above this, evaluate on random pairs
LAYOUTS = ("bits", "numbers", "onehot")


@dataclass(frozen=True)
class Pairs:
    """Operand pairs a, b: uint64 arrays of shape (N,), each below 2**width."""

    a: np.ndarray
    b: np.ndarray
    width: int

    def __len__(self) -> int:
        return len(self.a)

    def take(self, index) -> Pairs:
        return Pairs(self.a[index], self.b[index], self.width)


def operand_bits(values: np.ndarray, n_bits: int) -> np.ndarray:
    """(N,) uint64 -> (N, n_bits) uint8, least significant bit first; zero above 64."""
    shifts = np.arange(min(n_bits, MAX_WIDTH), dtype=np.uint64)
    bits = ((values[:, None] >> shifts) & np.uint64(1)).astype(np.uint8)
    if n_bits > MAX_WIDTH:
        bits = np.pad(bits, ((0, 0), (0, n_bits - MAX_WIDTH)))
    return bits


def sum_bits(pairs: Pairs) -> np.ndarray:
    """The exact sums as bits: (N, width + 1) uint8, LSB first, with no overflow.

    The low ``width`` bits come from the wrapping uint64 sum; the carry out is bit
    ``width`` of that sum, or, at width 64, whether the sum wrapped.
    """
    low = pairs.a + pairs.b  # modulo 2**64
    bits = operand_bits(low, pairs.width + 1)
    if pairs.width == MAX_WIDTH:
        bits[:, MAX_WIDTH] = low < pairs.a
    return bits


def bits_to_int(bits) -> int:
    """One row of bits, LSB first -> Python int (unbounded)."""
    return sum(int(bit) << k for k, bit in enumerate(bits))


def pair_for(a: int, b: int, width: int, layout: str) -> Pairs:
    """The single pair a + b, at the model's width, or wider for a ``bits`` model.

    ValueError with a one-line reason for negative operands, or ones too wide for the
    layout (a ``bits`` model takes up to 64-bit operands, the others only their own width).
    """
    if a < 0 or b < 0:
        raise ValueError("operands must be non-negative")
    needed = max(a.bit_length(), b.bit_length(), 1)
    limit = MAX_WIDTH if layout == "bits" else width
    if needed > limit:
        raise ValueError(f"{max(a, b)} does not fit in {limit} bits")
    return Pairs(np.array([a], np.uint64), np.array([b], np.uint64), max(width, needed))


def random_pairs(rng: np.random.Generator, n: int, width: int) -> Pairs:
    """n pairs drawn uniformly from [0, 2**width)^2."""
    a = rng.integers(0, 2**width, size=n, dtype=np.uint64)
    b = rng.integers(0, 2**width, size=n, dtype=np.uint64)
    return Pairs(a, b, width)


def exhaustive_pairs(width: int) -> Pairs:
    """All 4**width pairs, a-major: (0,0), (0,1), ... Only for width <= 8."""
    if width > EXHAUSTIVE_MAX_WIDTH:
        raise ValueError(f"{width}-bit operands have too many pairs to list")
    values = np.arange(2**width, dtype=np.uint64)
    a, b = np.meshgrid(values, values, indexing="ij")
    return Pairs(a.ravel(), b.ravel(), width)


def evaluation_pairs(width: int, rng: np.random.Generator, n_random: int) -> Pairs:
    """Every pair where that is few enough, else ``n_random`` random pairs."""
    if width <= EXHAUSTIVE_MAX_WIDTH:
        return exhaustive_pairs(width)
    return random_pairs(rng, n_random, width)


class Layout:
    """How a pair is fed to a network and how its outputs read back as bits."""

    name: str
    per_step_output: bool  # a head on every step (True) or on the last only
    softmax: bool  # one class per sum (True) or one sigmoid per bit

    def steps(self, width: int) -> int:
        raise NotImplementedError

    def input_size(self, width: int) -> int:
        raise NotImplementedError

    def output_size(self, width: int) -> int:
        """Units of the head: per step if ``per_step_output``, else in all."""
        raise NotImplementedError

    def inputs(self, pairs: Pairs) -> np.ndarray:
        """(T, N, D) float64, time-major."""
        raise NotImplementedError

    def targets(self, pairs: Pairs) -> np.ndarray:
        """What the loss compares the outputs with: (N, K) bits, or (N,) classes."""
        raise NotImplementedError

    def predicted_bits(self, outputs: np.ndarray, width: int) -> np.ndarray:
        """Network outputs (N, K) -> (N, width + 1) uint8 sum bits, LSB first."""
        raise NotImplementedError

    def bit_exponents(self, width: int) -> np.ndarray:
        """For each sigmoid output, the power of two its bit is worth."""
        raise NotImplementedError


class BitsLayout(Layout):
    name = "bits"
    per_step_output = True
    softmax = False

    def steps(self, width):
        return width + 1

    def input_size(self, width):
        return 2

    def output_size(self, width):
        return 1

    def inputs(self, pairs):
        n_bits = pairs.width + 1
        x = np.stack([operand_bits(pairs.a, n_bits), operand_bits(pairs.b, n_bits)], axis=-1)
        return x.transpose(1, 0, 2).astype(np.float64)  # (T, N, 2)

    def targets(self, pairs):
        return sum_bits(pairs).astype(np.float64)  # (N, T): one bit per step

    def predicted_bits(self, outputs, width):
        return (outputs > 0.5).astype(np.uint8)

    def bit_exponents(self, width):
        return np.arange(width + 1)


class NumbersLayout(Layout):
    name = "numbers"
    per_step_output = False
    softmax = False

    def steps(self, width):
        return 2

    def input_size(self, width):
        return width + 1

    def output_size(self, width):
        return width + 1

    def inputs(self, pairs):
        n_bits = pairs.width + 1
        msb_first = [operand_bits(v, n_bits)[:, ::-1] for v in (pairs.a, pairs.b)]
        return np.stack(msb_first).astype(np.float64)  # (2, N, width + 1)

    def targets(self, pairs):
        return sum_bits(pairs)[:, ::-1].astype(np.float64)  # MSB first, as the report

    def predicted_bits(self, outputs, width):
        return (outputs[:, ::-1] > 0.5).astype(np.uint8)

    def bit_exponents(self, width):
        return np.arange(width, -1, -1)


class OneHotLayout(Layout):
    name = "onehot"
    per_step_output = False
    softmax = True

    def steps(self, width):
        return 2

    def input_size(self, width):
        return 2**width

    def output_size(self, width):
        return 2 ** (width + 1) - 1  # sums 0 .. 2**(width+1) - 2

    def inputs(self, pairs):
        eye = np.eye(2**pairs.width)
        return np.stack([eye[pairs.a.astype(np.int64)], eye[pairs.b.astype(np.int64)]])

    def targets(self, pairs):
        return (pairs.a + pairs.b).astype(np.int64)  # width <= 10: no overflow

    def predicted_bits(self, outputs, width):
        classes = outputs.argmax(axis=1).astype(np.uint64)
        return operand_bits(classes, width + 1)

    def bit_exponents(self, width):
        raise ValueError("the onehot layout has no per-bit outputs")


LAYOUT = {layout.name: layout for layout in (BitsLayout(), NumbersLayout(), OneHotLayout())}


@dataclass(frozen=True)
class Dataset:
    """A set of pairs encoded for one layout: inputs x (T, N, D), targets y."""

    pairs: Pairs
    x: np.ndarray
    y: np.ndarray

    @classmethod
    def of(cls, layout: Layout, pairs: Pairs) -> Dataset:
        return cls(pairs, layout.inputs(pairs), layout.targets(pairs))

    def __len__(self) -> int:
        return len(self.pairs)
