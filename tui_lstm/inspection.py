"""Inside a bits-layout network: its gates and states bit by bit, and where it keeps the carry.

Only the ``bits`` layout has a time step per bit, so only there can a step's gates be
set beside the bit it reads and the carry it must pass on. The carry is defined here,
once, for everything that shows or measures it:

    carry_in[t]   the carry into bit t from the bits below it (0 at bit 0)
    carry_out[t]  the carry out of bit t, i.e. carry_in[t + 1]; 0 at the last step,
                  whose inputs are (0, 0) and whose output bit is the final carry
    sum bit s_t = a_t xor b_t xor carry_in[t]

Where does a network keep the carry? Step t must read carry_in[t] to emit its bit, and
must pass carry_out[t] on in its state; a trained network may do either in any unit. Some
hold carry_out in a state unit; others keep it spread over several units of h, where no
one unit holds it, and gather it into one gate of the next step (a candidate that is +1
exactly when a carry comes in). So the *carry unit* is the unit, of any gate or state,
whose value at each step correlates best, by absolute Pearson r, with carry_in or with
carry_out at that step, over every step of every pair at the model's width (all
4**width pairs up to 8 bits, else random ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tui_lstm.config import TrainConfig
from tui_lstm.evaluate import RANDOM_EVAL_PAIRS
from tui_lstm.nn.activations import sigmoid
from tui_lstm.nn.cells import CELLS
from tui_lstm.nn.network import Network
from tui_lstm.seeding import EVAL, rng_for
from tui_lstm.task import (
    EXHAUSTIVE_MAX_WIDTH,
    LAYOUT,
    Pairs,
    bits_to_int,
    evaluation_pairs,
    operand_bits,
    pair_for,
    sum_bits,
)

CHUNK = 4096  # pairs per forward pass in the carry search, to bound the cache's memory
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
    with both operands' bits: no loop over bits, and right at any width.
    """
    n_bits = pairs.width + 1
    carry_in = sum_bits(pairs) ^ operand_bits(pairs.a, n_bits) ^ operand_bits(pairs.b, n_bits)
    carry_out = np.zeros_like(carry_in)
    carry_out[:, :-1] = carry_in[:, 1:]
    return carry_in, carry_out


def title(cell: str, name: str) -> str:
    """``input gate``, ``candidate``, ``cell state``: what cache entry ``name`` of a ``cell`` holds."""
    gates, states = CELLS[cell].gates, CELLS[cell].states
    if name in states:
        return f"{states[name]} state"
    return gates[name] if gates[name] == "candidate" else f"{gates[name]} gate"


@dataclass(frozen=True)
class CarryUnit:
    """The unit that best tracks the carry, and how well."""

    cell: str  # the cell's kind: "lstm", ...
    name: str  # the gate or state it belongs to, as the cell's cache names it: "g", "h", ...
    unit: int
    carry: str  # "in" (the carry into each bit) or "out" (the carry out of it)
    correlation: float  # signed Pearson r: a unit may hold the carry as a low value
    pairs: int  # how many pairs it was measured over, every step of each
    width: int
    all_pairs: bool  # every pair of that width (True), or a random sample

    def describe(self) -> str:
        which = f"all {self.pairs:,}" if self.all_pairs else f"{self.pairs:,} random"
        return (
            f"carry unit {self.name}{self.unit} ({title(self.cell, self.name)}, carry {self.carry}): "
            f"r = {self.correlation:+.3f}, {which} {self.width}-bit pairs"
        )

    def to_dict(self) -> dict:
        """JSON: of (e.g. "candidate", "cell state"), unit, carry ("in" or "out"),
        correlation, pairs, width, all_pairs."""
        return {
            "of": title(self.cell, self.name),
            "unit": self.unit,
            "carry": self.carry,
            "correlation": self.correlation,
            "pairs": self.pairs,
            "width": self.width,
            "all_pairs": self.all_pairs,
        }


CARRIES = ("in", "out")


def carry_correlations(network: Network, config: TrainConfig) -> tuple[list[str], np.ndarray, Pairs]:
    """Pearson r of every unit of every gate and state with carry_in and carry_out.

    Returns (names, r, pairs): r is (2, A, H), for (carry in | carry out, the cache names
    in ``names``, unit), states first. The pairs are run in chunks and only running sums
    are kept, so memory stays small whatever the width; the random pairs above 8 bits come
    from the run's own seed, so the same model always gives the same figures.
    """
    check_bits_layout(config)
    pairs = evaluation_pairs(config.bits, rng_for(config.seed, EVAL), RANDOM_EVAL_PAIRS)  # the all-pairs score's
    names = [*network.cell.states, *network.cell.gates]
    n_units = len(names) * network.cell.n_hidden
    n = 0
    sum_x, sum_xx = np.zeros(n_units), np.zeros(n_units)
    sum_xy, sum_y = np.zeros((2, n_units)), np.zeros((2, 1))
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs.take(slice(start, start + CHUNK))
        _, cache = network.forward(LAYOUT["bits"].inputs(chunk))
        x = np.concatenate([cache[name] for name in names], axis=-1).astype(np.float64)  # (T, B, A*H)
        x = x.reshape(-1, n_units)  # (T*B, A*H)
        y = np.stack([carry.T.reshape(-1) for carry in carries(chunk)]).astype(np.float64)  # (2, T*B), time-major
        n += y.shape[1]
        sum_x += x.sum(axis=0)
        sum_xx += (x * x).sum(axis=0)
        sum_xy += y @ x
        sum_y += y.sum(axis=1, keepdims=True)  # a carry is 0 or 1: its sum of squares is its sum
    covariance = n * sum_xy - sum_x * sum_y  # (2, A*H)
    spread = np.sqrt(np.maximum(n * sum_xx - sum_x**2, 0.0) * (n * sum_y - sum_y**2))
    r = np.divide(covariance, spread, out=np.zeros_like(covariance), where=spread > 0)
    return names, r.reshape(2, len(names), network.cell.n_hidden), pairs


def find_carry_unit(network: Network, config: TrainConfig) -> CarryUnit:
    """The unit, of any gate or state, with the best |r| with carry_in or carry_out; a
    state wins a tie."""
    names, r, pairs = carry_correlations(network, config)
    by_name = np.abs(r).transpose(1, 0, 2)  # (A, 2, H): the first maximum is a state's, if one ties
    name, carry, unit = np.unravel_index(np.argmax(by_name), by_name.shape)
    return CarryUnit(
        network.cell.kind,
        names[name],
        int(unit),
        CARRIES[carry],
        float(r[carry, name, unit]),
        len(pairs),
        pairs.width,
        config.bits <= EXHAUSTIVE_MAX_WIDTH,
    )


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
        cell and hidden for an LSTM, hidden for the others: each cell's ``gates`` and
        ``states`` name them)."""
        return {
            "cell": self.cell,
            "a": self.a,
            "b": self.b,
            "sum": self.a + self.b,
            "predicted": self.predicted,
            "width": self.width,
            "steps": [
                {
                    "bit": t,
                    "a": int(self.a_bits[t]),
                    "b": int(self.b_bits[t]),
                    "carry_in": int(self.carry_in[t]),
                    "carry_out": int(self.carry_out[t]),
                    "sum_bit": int(self.sum_bits[t]),
                    "output_bit": int(self.output_bits[t]),
                    "probability": float(self.probabilities[t]),
                    "gates": {CELLS[self.cell].gates[k]: v[t].tolist() for k, v in self.gates.items()},
                    "states": {CELLS[self.cell].states[k]: v[t].tolist() for k, v in self.states.items()},
                }
                for t in range(self.steps)
            ],
        }


def inspect_sum(network: Network, config: TrainConfig, a: int, b: int) -> SumInspection:
    """Run a + b through the network and keep every step's gates, states and output."""
    check_bits_layout(config)
    pairs = pair_for(a, b, config.bits, config.layout)
    width = pairs.width
    x = LAYOUT["bits"].inputs(pairs)  # (T, 1, 2)
    logits, cache = network.forward(x)  # (1, T): one logit per step
    carry_in, carry_out = carries(pairs)

    def per_step(names) -> dict[str, np.ndarray]:
        return {name: cache[name][:, 0].astype(np.float64) for name in names}  # (T, H) each

    return SumInspection(
        cell=network.cell.kind,
        a=a,
        b=b,
        width=width,
        a_bits=x[:, 0, 0].astype(np.uint8),
        b_bits=x[:, 0, 1].astype(np.uint8),
        carry_in=carry_in[0],
        carry_out=carry_out[0],
        sum_bits=sum_bits(pairs)[0],
        probabilities=sigmoid(logits[0].astype(np.float64)),
        gates=per_step(network.cell.gates),
        states=per_step(network.cell.states),
    )
