"""Try a sum: parse ``93+116``, ask the model, and read each output bit's probability.

No textual here (Rich text only): the try-a-sum screen shows what these return.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from rich.text import Text

from tui_lstm.config import TrainConfig
from tui_lstm.presentation import WRONG_BIT, sum_line, verdict
from tui_lstm.task import LAYOUT, Layout, Pairs, bits_to_int, operand_bits, pair_for, parse_operand, sum_bits

LISTED_BITS = 72  # a sum's bit probabilities are all listed up to this many bits; beyond, the wrong ones
LISTED_DIGITS = 40  # a number is shown whole up to this many digits; beyond, its ends
_SUM = re.compile(r"\s*(\d+)\s*\+\s*(\d+)\s*")


@dataclass(frozen=True)
class TriedSum:
    a: int
    b: int
    predicted: int
    probabilities: np.ndarray  # (width + 1,) P(bit = 1), LSB first
    true_bits: np.ndarray  # (width + 1,) LSB first

    def describe(self, cell: str) -> Text:
        """The report's line, right or wrong, then each bit's probability (wrong ones lit);
        for a sum of more than LISTED_BITS bits, its numbers cut short and the wrong bits only."""
        a, b, right = self.a, self.b, self.predicted == self.a + self.b
        text = Text(sum_line(cell, a, b, self.predicted, short_int) + "  ").append_text(verdict(right))
        top = len(self.probabilities) - 1
        wrong = (self.probabilities > 0.5) != self.true_bits.astype(bool)  # (width + 1,)
        if top < LISTED_BITS:
            text.append("\nP(bit = 1), most significant first:")
            listed = range(top, -1, -1)
        else:
            listed = np.flatnonzero(wrong)[::-1]
            text.append(f"\n{len(listed):,} of the {top + 1:,} sum bits wrong")
            text.append(", P(bit = 1) of the highest:" if len(listed) else "")
            listed = listed[:LISTED_BITS]
        column = max(3, len(str(top)) + 1)
        for n, k in enumerate(listed):
            if n % 8 == 0:
                text.append("\n")
            text.append(f"{k:>{column}}:{self.probabilities[k]:.2f}", WRONG_BIT if wrong[k] else "")
        return text


def short_int(n: int) -> str:
    """``n`` in full up to LISTED_DIGITS digits, else its first and last digits and how many
    (worked out without str(n), which Python refuses beyond 4,300 digits)."""
    digits = int(n.bit_length() * math.log10(2)) + 1  # n's digits, or one more
    digits -= digits > 1 and 10 ** (digits - 1) > n
    if digits <= LISTED_DIGITS:
        return str(n)
    half = LISTED_DIGITS // 2
    head, tail = n // 10 ** (digits - half), n % 10**half
    return f"{head}…{tail:0{half}} ({digits:,} digits)"


def parse_sum(text: str, config: TrainConfig) -> Pairs:
    """One pair from ``a+b``; ValueError with a one-line reason if it is not one the model
    can add (a bits model takes operands of any width, the others their own)."""
    match = _SUM.fullmatch(text)
    if not match:
        raise ValueError(f"type a sum like 93+116, not {text.strip()!r}")
    return pair_for(parse_operand(match[1]), parse_operand(match[2]), config.bits, config.layout)


def bit_probabilities(layout: Layout, outputs: np.ndarray, width: int) -> np.ndarray:
    """A network's outputs -> (N, width + 1) probability that each sum bit is 1, LSB first."""
    if layout.softmax:  # P(bit k) = the summed probability of the sums with bit k set
        sums = np.arange(outputs.shape[1], dtype=np.uint64)
        return outputs @ operand_bits(sums, width + 1)
    return outputs[:, np.argsort(layout.bit_exponents(width))]


def try_sum(backend, config: TrainConfig, text: str) -> TriedSum:
    pairs = parse_sum(text, config)
    layout = LAYOUT[config.layout]
    outputs = backend.predict(layout.inputs(pairs))
    predicted = layout.predicted_bits(outputs, pairs.width)[0]
    return TriedSum(
        *pairs.operands(0),
        bits_to_int(predicted),
        bit_probabilities(layout, outputs, pairs.width)[0],
        sum_bits(pairs)[0],
    )
