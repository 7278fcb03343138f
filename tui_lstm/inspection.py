"""Inside a bits-layout network: its gates and states bit by bit, and where it keeps the carry.

Only the ``bits`` layout has a time step per bit, so only there can a step's gates be
set beside the bit it reads and the carry it must pass on. The carry is defined here,
once, for everything that shows or measures it:

    carry_in[t]   the carry into bit t from the bits below it (0 at bit 0)
    carry_out[t]  the carry out of bit t, i.e. carry_in[t + 1]; 0 at the last step,
                  whose inputs are (0, 0) and whose output bit is the final carry
    sum bit s_t = a_t xor b_t xor carry_in[t]

A network's state after step t is all that step t + 1 gets to see of the bits so far,
so it is the state after step t that must hold carry_out[t]: the *carry unit* is the
unit of the cell state c (LSTM) or the hidden state h (every cell) whose value after
each step correlates best, by absolute Pearson r, with carry_out over every step of
every pair at the model's width (all 4**width pairs up to 8 bits, else random ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tui_lstm.config import TrainConfig
from tui_lstm.nn.activations import sigmoid
from tui_lstm.nn.network import Network
from tui_lstm.seeding import EVAL, rng_for
from tui_lstm.task import (
    EXHAUSTIVE_MAX_WIDTH, LAYOUT, Pairs, bits_to_int, evaluation_pairs, operand_bits, pair_for, sum_bits,
)  # fmt: skip

CARRY_PAIRS = 16_384  # random pairs for the carry search where a width has too many to list
CHUNK = 4096  # pairs per forward pass in the carry search, to bound the cache's memory
STATES = ("c", "h")  # cache entries that are states; the cell's other entries are gates
NAMES = {
    "i": "input", "f": "forget", "g": "candidate", "o": "output",  # LSTM gates
    "z": "update", "r": "reset", "n": "candidate",  # GRU gates
    "c": "cell", "h": "hidden",  # states; the RNN has no gates, only h
}  # fmt: skip
WHY_NO_STEPS = {
    "numbers": "reads a and b whole, as one bit vector a step",
    "onehot": "reads a and b whole, as one token a step",
}


class NoBitSteps(ValueError):
    """A model whose layout has no step per bit, so nothing to show bit by bit."""


def check_bits_layout(config: TrainConfig) -> None:
    if config.layout != "bits":
        raise NoBitSteps(
            f"a {config.layout}-layout model {WHY_NO_STEPS[config.layout]}, so no step belongs to a bit "
            "and no carry passes between steps: only bits-layout models can be inspected"
        )


def carries(pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
    """(carry_in, carry_out), each (N, width + 1) uint8, LSB first.

    Each sum bit is a xor b xor carry_in, so carry_in is the exact sum's bits xor'ed
    with both operands' bits: no loop over bits, and right at 64 bits too.
    """
    n_bits = pairs.width + 1
    carry_in = sum_bits(pairs) ^ operand_bits(pairs.a, n_bits) ^ operand_bits(pairs.b, n_bits)
    carry_out = np.zeros_like(carry_in)
    carry_out[:, :-1] = carry_in[:, 1:]
    return carry_in, carry_out


@dataclass(frozen=True)
class CarryUnit:
    """The state unit that best tracks carry_out, and how well."""

    state: str  # "c" or "h"
    unit: int
    correlation: float  # signed Pearson r: a unit may hold the carry as a low value
    pairs: int  # how many pairs it was measured over, every step of each
    width: int
    exhaustive: bool  # every pair of that width (True), or random ones

    def describe(self) -> str:
        which = f"all {self.pairs:,}" if self.exhaustive else f"{self.pairs:,} random"
        return (f"carry unit {self.state}{self.unit} ({NAMES[self.state]} state), "
                f"r = {self.correlation:+.3f} over {which} {self.width}-bit pairs")  # fmt: skip

    def to_dict(self) -> dict:
        """JSON: state ("cell" or "hidden"), unit, correlation, pairs, width, exhaustive."""
        return {"state": NAMES[self.state], "unit": self.unit, "correlation": self.correlation,
                "pairs": self.pairs, "width": self.width, "exhaustive": self.exhaustive}  # fmt: skip


def find_carry_unit(network: Network, config: TrainConfig) -> CarryUnit:
    """Search every unit of c (if the cell has one) and h for the best |r| with carry_out.

    The pairs are run in chunks and only running sums are kept, so memory stays small
    whatever the width; the random pairs above 8 bits come from the run's own seed, so
    the same model always names the same unit.
    """
    check_bits_layout(config)
    pairs = evaluation_pairs(config.bits, rng_for(config.seed, EVAL), CARRY_PAIRS)
    states = [name for name in STATES if name in network.cell.state_names]
    n_units = len(states) * network.cell.n_hidden
    n = 0
    sum_x, sum_xx, sum_xy = np.zeros(n_units), np.zeros(n_units), np.zeros(n_units)
    sum_y = 0.0  # carry_out is 0 or 1, so its sum of squares is its sum
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs.take(slice(start, start + CHUNK))
        _, cache = network.forward(LAYOUT["bits"].inputs(chunk))
        x = np.concatenate([cache[name] for name in states], axis=-1).astype(np.float64)  # (T, B, S*H)
        x = x.reshape(-1, n_units)  # (T*B, S*H)
        y = carries(chunk)[1].T.reshape(-1).astype(np.float64)  # (T*B,), time-major as x
        n += len(y)
        sum_x += x.sum(axis=0)
        sum_xx += (x * x).sum(axis=0)
        sum_xy += y @ x
        sum_y += y.sum()
    covariance = n * sum_xy - sum_x * sum_y
    spread = np.sqrt(np.maximum(n * sum_xx - sum_x**2, 0.0) * (n * sum_y - sum_y**2))
    r = np.divide(covariance, spread, out=np.zeros(n_units), where=spread > 0)
    best = int(np.argmax(np.abs(r)))
    state, unit = divmod(best, network.cell.n_hidden)
    return CarryUnit(states[state], unit, float(r[best]), len(pairs), config.bits,
                     config.bits <= EXHAUSTIVE_MAX_WIDTH)  # fmt: skip


@dataclass(frozen=True)
class SumInspection:
    """One sum, step by step (LSB first): every (T,) array is indexed by bit = step."""

    cell: str
    a: int
    b: int
    width: int
    a_bits: np.ndarray  # (T,) uint8
    b_bits: np.ndarray
    carry_in: np.ndarray
    carry_out: np.ndarray
    sum_bits: np.ndarray  # the true sum
    probabilities: np.ndarray  # (T,) P(sum bit = 1) from the network
    gates: dict[str, np.ndarray]  # cache name -> (T, H), in the cell's own order
    states: dict[str, np.ndarray]  # "c" (LSTM), "h" -> (T, H)

    @property
    def steps(self) -> int:
        return len(self.a_bits)

    @property
    def output_bits(self) -> np.ndarray:
        return (self.probabilities > 0.5).astype(np.uint8)

    @property
    def predicted(self) -> int:
        return bits_to_int(self.output_bits)

    def to_dict(self) -> dict:
        """Plain JSON: cell, a, b, sum, predicted, width, and steps, a list with one object
        per step: bit, a, b, carry_in, carry_out, sum_bit, output_bit, probability, gates
        and states, each {name: [one value per unit]} (gates: input, forget, candidate,
        output for an LSTM; update, reset, candidate for a GRU; none for an RNN; states:
        cell and hidden for an LSTM, hidden for the others)."""
        return {
            "cell": self.cell, "a": self.a, "b": self.b, "sum": self.a + self.b,
            "predicted": self.predicted, "width": self.width,
            "steps": [
                {
                    "bit": t, "a": int(self.a_bits[t]), "b": int(self.b_bits[t]),
                    "carry_in": int(self.carry_in[t]), "carry_out": int(self.carry_out[t]),
                    "sum_bit": int(self.sum_bits[t]), "output_bit": int(self.output_bits[t]),
                    "probability": float(self.probabilities[t]),
                    "gates": {NAMES[k]: v[t].tolist() for k, v in self.gates.items()},
                    "states": {NAMES[k]: v[t].tolist() for k, v in self.states.items()},
                }
                for t in range(self.steps)
            ],
        }  # fmt: skip


def inspect_sum(network: Network, config: TrainConfig, a: int, b: int) -> SumInspection:
    """Run a + b through the network and keep every step's gates, states and output."""
    check_bits_layout(config)
    pairs = pair_for(a, b, config.bits, config.layout)
    width = pairs.width
    x = LAYOUT["bits"].inputs(pairs)  # (T, 1, 2)
    logits, cache = network.forward(x)  # (1, T): one logit per step
    carry_in, carry_out = carries(pairs)
    per_step = {name: cache[name][:, 0].astype(np.float64) for name in network.cell.state_names}  # (T, H) each
    return SumInspection(
        cell=network.cell.kind, a=a, b=b, width=width,
        a_bits=x[:, 0, 0].astype(np.uint8), b_bits=x[:, 0, 1].astype(np.uint8),
        carry_in=carry_in[0], carry_out=carry_out[0], sum_bits=sum_bits(pairs)[0],
        probabilities=sigmoid(logits[0].astype(np.float64)),
        gates={k: v for k, v in per_step.items() if k not in STATES},
        states={k: v for k, v in per_step.items() if k in STATES},
    )  # fmt: skip
