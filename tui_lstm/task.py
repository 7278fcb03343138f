"""Binary addition as a learning task: operands, layouts, datasets.

Operands are unsigned integers of a fixed width. Up to 64 bits (every width a model is
trained at) an operand is one ``uint64``; wider ones, which a ``bits`` model can still be
asked to add, are rows of 64-bit limbs, least significant first. Sums are one bit wider
than their operands, so they never exist as machine integers here: they are built bit by
bit from the operands (a 64-bit sum is 65 bits wide) and turned into Python ints only
for display.

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

import sys
from collections.abc import Iterator, Sequence
from copy import deepcopy
from dataclasses import dataclass

import numpy as np

MAX_WIDTH = 64  # the widest operands a model is trained on
LIMB = 64  # bits of a uint64: an operand up to this wide is one, a wider one a row of limbs
ONEHOT_MAX_WIDTH = 10  # 1,024 input tokens and 2,047 sum classes
EXHAUSTIVE_MAX_WIDTH = 8  # 65,536 pairs; above this, evaluate on random pairs
LAYOUTS = ("bits", "numbers", "onehot")


def limbs(width: int) -> int:
    """How many 64-bit limbs hold an operand of ``width`` bits."""
    return -(-width // LIMB)


@dataclass(frozen=True)
class Pairs:
    """Operand pairs a, b, each below 2**width: uint64 arrays of shape (N,) up to 64 bits,
    else (N, limbs(width)), least significant limb first.

    Limbs rather than Python ints or bits: a sum is a short vectorized loop over them,
    they take an eighth of the room of bits, and random ones are drawn in one call.
    """

    a: np.ndarray
    b: np.ndarray
    width: int

    def __len__(self) -> int:
        return len(self.a)

    def take(self, index) -> Pairs:
        return Pairs(self.a[index], self.b[index], self.width)

    def operands(self, i: int) -> tuple[int, int]:
        """Pair i as Python ints."""
        return _to_int(self.a[i]), _to_int(self.b[i])


def operand_array(values: Sequence[int], width: int) -> np.ndarray:
    """Python ints below 2**width -> (N,) uint64 up to 64 bits, else (N, L) limbs."""
    if width <= LIMB:
        return np.array(values, dtype=np.uint64)
    size = limbs(width)
    packed = b"".join(value.to_bytes(8 * size, "little") for value in values)
    return np.frombuffer(packed, "<u8").reshape(len(values), size).astype(np.uint64)


def _to_int(operand: np.ndarray) -> int:
    """One operand, a uint64 or a row of limbs -> Python int."""
    return int.from_bytes(np.asarray(operand, "<u8").tobytes(), "little")


def operand_bits(values: np.ndarray, n_bits: int) -> np.ndarray:
    """(N,) uint64 or (N, L) limbs -> (N, n_bits) uint8, least significant bit first;
    zero above the operands' own bits.

    Little-endian limbs, viewed as bytes, are the operand's bytes in order, so unpacking
    them least significant bit first is the whole conversion (``count`` pads or cuts).
    """
    as_bytes = np.ascontiguousarray(values.reshape(len(values), -1), "<u8").view(np.uint8)  # (N, 8 L)
    return np.unpackbits(as_bytes, axis=1, count=n_bits, bitorder="little")


def sum_bits(pairs: Pairs) -> np.ndarray:
    """The exact sums as bits: (N, width + 1) uint8, LSB first, with no overflow.

    Limb by limb, least significant first, the carry rippling between them (one step
    up to 64 bits, 64 at 4,096 bits, each over all N pairs at once): a limb's carry out
    is whether a + b wrapped around 2**64, or adding the carry in did. The last carry is
    one more limb, so the sum's top bit is there at every width, 64 L included.
    """
    a, b = pairs.a.reshape(len(pairs), -1), pairs.b.reshape(len(pairs), -1)  # (N, L)
    total = np.zeros((len(pairs), a.shape[1] + 1), np.uint64)  # (N, L + 1)
    for k in range(a.shape[1]):
        low = a[:, k] + b[:, k]  # modulo 2**64
        total[:, k] = low + total[:, k]  # plus the carry in, left there by the limb below
        total[:, k + 1] = (low < a[:, k]) | (total[:, k] < low)
    return operand_bits(total, pairs.width + 1)


def bits_to_int(bits) -> int:
    """One row of bits, LSB first -> Python int (unbounded)."""
    return sum(int(bit) << k for k, bit in enumerate(bits))


def parse_operand(text: str) -> int:
    """An operand as typed, in decimal; ValueError, in one line, if it is not a whole
    number or has as many digits as Python turns into text (4,300 unless
    sys.set_int_max_str_digits says otherwise): the sum, a digit longer, must print too."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()  # 0: no limit, or a Python without one
    digits = len(text.strip().lstrip("+-"))
    if limit and digits >= limit:
        raise ValueError(
            f"an operand of {digits:,} digits; at most {limit - 1:,} are taken (Python's limit on printing numbers)"
        )
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def pair_for(a: int, b: int, width: int, layout: str) -> Pairs:
    """The single pair a + b, at the model's width, or wider for a ``bits`` model.

    ValueError with a one-line reason for negative operands, or ones too wide for the
    layout (a ``bits`` model takes operands of any width, the others only their own).
    """
    if a < 0 or b < 0:
        raise ValueError("operands must be non-negative")
    needed = max(a.bit_length(), b.bit_length(), 1)
    if needed > width and layout != "bits":
        raise ValueError(f"{max(a, b)} does not fit in {width} bits")
    width = max(width, needed)
    return Pairs(operand_array([a], width), operand_array([b], width), width)


def random_operands(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """n operands drawn uniformly from [0, 2**width), as ``Pairs`` holds them.

    Up to 64 bits, numpy's bounded draw, as every run has made it (training sets and
    saved figures depend on it). Wider, every limb is a full 64-bit draw, made row by
    row, and the top limb is cut to its bits (a uniform draw's low bits are uniform).
    Either way, n operands drawn in pieces are the n drawn at once.
    """
    if width <= LIMB:
        return rng.integers(0, 2**width, size=n, dtype=np.uint64)
    drawn = rng.integers(0, 2**LIMB, size=(n, limbs(width)), dtype=np.uint64)  # (N, L)
    drawn[:, -1] &= np.uint64(2 ** (width - LIMB * (drawn.shape[1] - 1)) - 1)
    return drawn


def random_pairs(rng: np.random.Generator, n: int, width: int) -> Pairs:
    """n pairs drawn uniformly from [0, 2**width)^2: every a, then every b."""
    return Pairs(random_operands(rng, n, width), random_operands(rng, n, width), width)


def random_pair_chunks(rng: np.random.Generator, n: int, width: int, chunk: int) -> Iterator[Pairs]:
    """``random_pairs(rng, n, width)`` in pieces of at most ``chunk`` pairs, holding one
    piece at a time: the same pairs in the same order, and ``rng`` left where that one
    draw leaves it, whatever the chunk.

    That draw makes every a before any b, so a first pass draws the a's and drops them,
    to bring ``rng`` to where the b's begin; each piece then takes its a's from a copy
    of ``rng`` made before that pass, and its b's from ``rng``.
    """
    a_rng = deepcopy(rng)
    for start in range(0, n, chunk):
        random_operands(rng, min(chunk, n - start), width)
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        yield Pairs(random_operands(a_rng, size, width), random_operands(rng, size, width), width)


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
